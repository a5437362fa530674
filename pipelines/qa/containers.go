package qa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/compat"
)

// psEntry is what `docker compose ps --format json` reports of a container
// (one object a line in Compose v2.21 and later, an array before).
type psEntry struct {
	Service, State, Health string
	Publishers             []struct {
		URL           string
		PublishedPort int
	}
}

// inspectEntry is what `docker inspect` reports of a container.
type inspectEntry struct {
	Config struct {
		User   string
		Labels map[string]string
	}
	HostConfig struct {
		ReadonlyRootfs  bool
		CapAdd, CapDrop []string
		SecurityOpt     []string
		PortBindings    map[string][]struct{ HostIp, HostPort string }
		LogConfig       struct {
			Type   string
			Config map[string]string
		}
	}
	Mounts []struct {
		Source, Destination string
		RW                  bool
	}
}

// Containers judges the platform's running containers against the service
// contract (docs/service-contract.md) from what Docker itself reports:
// `docker compose ps --format json` and `docker inspect` of every container.
// One result a service and rule, named "<service> <rule>", the failure
// message saying what Docker showed and what the contract wants.
func Containers(servicesJSON, psJSON, inspectJSON []byte) ([]Result, error) {
	var d servicesDoc
	if err := json.Unmarshal(servicesJSON, &d); err != nil {
		return nil, fmt.Errorf("services: not the bundle's services.json: %v", err)
	}
	ps, err := parsePS(psJSON)
	if err != nil {
		return nil, err
	}
	var insp []inspectEntry
	if err := json.Unmarshal(inspectJSON, &insp); err != nil {
		return nil, fmt.Errorf("docker inspect: not its JSON array: %v", err)
	}
	byService := map[string]inspectEntry{}
	for _, c := range insp {
		byService[c.Config.Labels["com.docker.compose.service"]] = c
	}
	sort.Slice(d.Services, func(i, j int) bool { return d.Services[i].Name < d.Services[j].Name })
	var out []Result
	for _, s := range d.Services {
		p, ok := ps[s.Name]
		c, inspected := byService[s.Name]
		if !ok || !inspected {
			out = append(out, Result{Name: s.Name + " running healthy", Message: "no container of this service (docker compose ps, docker inspect)"})
			continue
		}
		out = append(out, judge(s.Name, s.Health, s.Models, p, c)...)
	}
	return out, nil
}

func parsePS(b []byte) (map[string]psEntry, error) {
	var list []psEntry
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("docker compose ps: %v", err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(b))
		for dec.More() {
			var e psEntry
			if err := dec.Decode(&e); err != nil {
				return nil, fmt.Errorf("docker compose ps: %v", err)
			}
			list = append(list, e)
		}
	}
	out := map[string]psEntry{}
	for _, e := range list {
		out[e.Service] = e
	}
	return out, nil
}

// judge applies each rule of the contract to one service's container.
func judge(svc, health string, models bool, p psEntry, c inspectEntry) []Result {
	rule := func(name string, ok bool, format string, a ...any) Result {
		r := Result{Name: svc + " " + name, Passed: ok}
		if !ok {
			r.Message = fmt.Sprintf(format, a...)
		}
		return r
	}
	h := c.HostConfig
	var wide []string
	for port, bs := range h.PortBindings {
		for _, b := range bs {
			if b.HostIp != "127.0.0.1" && b.HostIp != "::1" {
				wide = append(wide, fmt.Sprintf("%s on %q", port, b.HostIp))
			}
		}
	}
	sort.Strings(wide)
	out := []Result{
		rule("running healthy", p.State == "running" && p.Health == "healthy",
			"state %s, health %q: the contract wants GET %s to answer 200 and %s to exit 0", p.State, p.Health, health, compat.HealthCheck),
		rule("not root", !isRoot(c.Config.User), "runs as %q: the contract runs every service as %s", c.Config.User, compat.User),
		rule("read-only root", h.ReadonlyRootfs, "its root file system is writable: the contract wants read_only (only /tmp is writable)"),
		rule("no capabilities", slices.Contains(h.CapDrop, "ALL") && len(h.CapAdd) == 0,
			"cap_drop %v, cap_add %v: the contract drops ALL and adds none", h.CapDrop, h.CapAdd),
		rule("no new privileges", slices.ContainsFunc(h.SecurityOpt, func(o string) bool {
			return o == "no-new-privileges" || o == "no-new-privileges=true" || o == "no-new-privileges:true"
		}), "security_opt %v: the contract wants no-new-privileges=true", h.SecurityOpt),
		rule("loopback ports", len(wide) == 0, "published beyond loopback: %s; the contract publishes on 127.0.0.1 only", strings.Join(wide, ", ")),
		rule("bounded logs", h.LogConfig.Type == "local" || h.LogConfig.Config["max-size"] != "",
			"log driver %s without max-size: the contract rotates logs (%s x %d)", h.LogConfig.Type, compat.LogMaxSize, compat.LogMaxFiles),
	}
	mounts := map[string]bool{} // destination -> read-only
	for _, m := range c.Mounts {
		mounts[m.Destination] = !m.RW
	}
	if models {
		for _, dst := range []string{compat.ModelsFile, compat.ModelsStore} {
			ro, ok := mounts[dst]
			out = append(out, rule("models "+dst, ok && ro, "mounted %t, read-only %t: the contract mounts it read-only", ok, ro))
		}
	} else {
		_, file := mounts[compat.ModelsFile]
		_, store := mounts[compat.ModelsStore]
		out = append(out, rule("no models", !file && !store, "has the models mounted without models: true in images/compat.yaml"))
	}
	return out
}

// isRoot: no user (the image's default, root unless the image says
// otherwise: the contract wants it said), uid 0 or root.
func isRoot(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u == "" || u == "0" || u == "root"
}
