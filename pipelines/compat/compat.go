// Package compat reads the compatibility matrix (images/compat.yaml): which
// service tags each platform version ships, and how each service is reached
// (port, health and inference endpoints). It renders the bundle's compose
// file and the service configuration qa-smoke reads.
package compat

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
	"gopkg.in/yaml.v3"
)

// Service is how one platform service is run and checked.
type Service struct {
	Name      string `json:"name"`
	Image     string `json:"image"`
	Port      int    `json:"port"`
	Health    string `json:"health"`
	Inference string `json:"inference,omitempty"`
	// Env are the platform.env keys the service receives, and no others.
	Env []string `json:"env,omitempty"`
	// Models: the service gets the models metadata and the model store,
	// read-only (contract.go).
	Models bool `json:"models,omitempty"`
	// DependsOn are the services that must be healthy before this one starts.
	DependsOn []string `json:"depends_on,omitempty"`
}

// Matrix is a parsed compatibility matrix.
type Matrix struct {
	Registry  string
	Services  map[string]Service
	Platforms map[string]map[string]string // platform version -> service -> tag
}

// Set is the service tag set of one platform version.
type Set struct {
	PlatformVersion string            `json:"platform_version"`
	Registry        string            `json:"registry"`
	Services        []Service         `json:"services"`
	Tags            map[string]string `json:"tags"`
	// Digests pin images (service -> sha256:...) when known at release time.
	Digests map[string]string `json:"digests,omitempty"`
	// Offline: the images travel on the medium (loaded with docker load,
	// which keeps tags but not registry digests): the compose file names
	// them by tag, the digest they were saved from as a comment, and never pulls.
	Offline bool `json:"offline,omitempty"`
}

var (
	serviceRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)
	pathRE    = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
	digestRE  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	envKeyRE  = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

// Parse reads compat.yaml.
func Parse(file string, data []byte) (*Matrix, error) {
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	pairs, err := d.Mapping(d.Root, "", []string{"version", "registry", "services", "platforms"})
	if err != nil {
		return nil, err
	}
	m := &Matrix{Services: map[string]Service{}, Platforms: map[string]map[string]string{}}
	byKey := map[string]yamlx.Pair{}
	for _, p := range pairs {
		byKey[p.Key] = p
	}
	for _, k := range []string{"version", "registry", "services", "platforms"} {
		if _, ok := byKey[k]; !ok {
			return nil, d.Errorf(d.Root, k, "missing")
		}
	}
	if v, err := d.Int(byKey["version"].Value, "version"); err != nil {
		return nil, err
	} else if v != 1 {
		return nil, d.Errorf(byKey["version"].Value, "version", "unsupported version %d (this build reads version 1)", v)
	}
	reg, err := d.String(byKey["registry"].Value, "registry")
	if err != nil {
		return nil, err
	}
	if _, err := name.NewRepository(reg+"/x", name.StrictValidation); err != nil || reg != strings.ToLower(reg) {
		return nil, d.Errorf(byKey["registry"].Value, "registry", "%q is not a lowercase registry/namespace like ghcr.io/project-unisonos", reg)
	}
	m.Registry = reg

	if err := m.parseServices(d, byKey["services"].Value); err != nil {
		return nil, err
	}
	if err := m.parsePlatforms(d, byKey["platforms"].Value); err != nil {
		return nil, err
	}
	return m, nil
}

// parseServices reads the services: section.
func (m *Matrix) parseServices(d *yamlx.Doc, n *yaml.Node) error {
	svcs, err := d.Mapping(n, "services", nil)
	if err != nil {
		return err
	}
	if len(svcs) == 0 {
		return d.Errorf(n, "services", "list at least one service")
	}
	ports := map[int]string{}
	for _, s := range svcs {
		field := "services." + s.Key
		if !serviceRE.MatchString(s.Key) {
			return d.Errorf(s.KeyN, field, "service names are lowercase letters, digits and '-'")
		}
		svc, err := m.parseService(d, s, ports)
		if err != nil {
			return err
		}
		m.Services[s.Key] = svc
	}
	return m.checkDependsOn(d, svcs)
}

// checkDependsOn refuses a depends_on that names an unknown service or
// closes a cycle (compose would refuse to start it).
func (m *Matrix) checkDependsOn(d *yamlx.Doc, svcs []yamlx.Pair) error {
	for _, s := range svcs {
		field := "services." + s.Key + ".depends_on"
		for _, dep := range m.Services[s.Key].DependsOn {
			if _, ok := m.Services[dep]; !ok || dep == s.Key {
				return d.Errorf(s.Value, field, "%q is not another service of this file (known: %s)", dep, strings.Join(m.ServiceNames(), ", "))
			}
		}
		if path := m.cycle(s.Key, []string{s.Key}); path != nil {
			return d.Errorf(s.Value, field, "start-up order has a cycle: %s; remove one of these dependencies", strings.Join(path, " -> "))
		}
	}
	return nil
}

// cycle returns a dependency path from the last of path back to path[0], or nil.
func (m *Matrix) cycle(start string, path []string) []string {
	for _, dep := range m.Services[path[len(path)-1]].DependsOn {
		if dep == start {
			return append(path, dep)
		}
		if slices.Contains(path, dep) {
			continue
		}
		if c := m.cycle(start, append(slices.Clone(path), dep)); c != nil {
			return c
		}
	}
	return nil
}

// parseService reads one service; ports records the ports taken so far.
func (m *Matrix) parseService(d *yamlx.Doc, s yamlx.Pair, ports map[int]string) (Service, error) {
	field, reg := "services."+s.Key, m.Registry
	fields, err := d.Mapping(s.Value, field, []string{"image", "port", "health", "inference", "env", "models", "depends_on"})
	if err != nil {
		return Service{}, err
	}
	svc := Service{Name: s.Key}
	for _, f := range fields {
		ff := yamlx.Join(field, f.Key)
		switch f.Key {
		case "image":
			svc.Image, err = d.String(f.Value, ff)
			if err == nil {
				if _, e := name.NewRepository(reg+"/"+svc.Image, name.StrictValidation); e != nil {
					err = d.Errorf(f.Value, ff, "%q is not a valid image name", svc.Image)
				}
			}
		case "port":
			svc.Port, err = d.Int(f.Value, ff)
			if err == nil && (svc.Port < 1 || svc.Port > 65535) {
				err = d.Errorf(f.Value, ff, "port %d out of range 1-65535", svc.Port)
			}
			if err == nil && ports[svc.Port] != "" {
				err = d.Errorf(f.Value, ff, "port %d already used by %s", svc.Port, ports[svc.Port])
			}
			ports[svc.Port] = s.Key
		case "env":
			svc.Env, err = d.Strings(f.Value, ff)
			for _, k := range svc.Env {
				if err == nil && !envKeyRE.MatchString(k) {
					err = d.Errorf(f.Value, ff, "%q is not an environment variable name (UPPER_CASE)", k)
				}
				if why, ok := contractEnv[k]; ok && err == nil {
					err = d.Errorf(f.Value, ff, "%s is set by the service contract (%s): remove it from env", k, why)
				}
			}
		case "models":
			svc.Models, err = d.Bool(f.Value, ff)
		case "depends_on":
			svc.DependsOn, err = d.Strings(f.Value, ff)
		case "health", "inference":
			var v string
			v, err = d.String(f.Value, ff)
			if err == nil && !pathRE.MatchString(v) {
				err = d.Errorf(f.Value, ff, "%q is not an HTTP path starting with /", v)
			}
			if f.Key == "health" {
				svc.Health = v
			} else {
				svc.Inference = v
			}
		}
		if err != nil {
			return Service{}, err
		}
	}
	for _, req := range []struct{ v, k string }{{svc.Image, "image"}, {svc.Health, "health"}} {
		if req.v == "" {
			return Service{}, d.Errorf(s.Value, field+"."+req.k, "required")
		}
	}
	if svc.Port == 0 {
		return Service{}, d.Errorf(s.Value, field+".port", "required")
	}
	return svc, nil
}

// parsePlatforms reads the platforms: section (every version lists every service).
func (m *Matrix) parsePlatforms(d *yamlx.Doc, n *yaml.Node) error {
	reg := m.Registry
	plats, err := d.Mapping(n, "platforms", nil)
	if err != nil {
		return err
	}
	if len(plats) == 0 {
		return d.Errorf(n, "platforms", "list at least one platform version")
	}
	for _, p := range plats {
		field := "platforms." + p.Key
		if _, err := semver.StrictNewVersion(p.Key); err != nil {
			return d.Errorf(p.KeyN, field, "platform versions are X.Y.Z without a v")
		}
		names := m.ServiceNames()
		tags, err := d.Mapping(p.Value, field, names)
		if err != nil {
			return err
		}
		set := map[string]string{}
		for _, t := range tags {
			tag, err := d.String(t.Value, yamlx.Join(field, t.Key))
			if err != nil {
				return err
			}
			if _, err := name.NewTag(reg+"/"+m.Services[t.Key].Image+":"+tag, name.StrictValidation); err != nil {
				return d.Errorf(t.Value, yamlx.Join(field, t.Key), "%q is not a valid image tag", tag)
			}
			set[t.Key] = tag
		}
		var missing []string
		for _, n := range names {
			if _, ok := set[n]; !ok {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return d.Errorf(p.Value, field, "missing services: %s (every platform version lists every service)", strings.Join(missing, ", "))
		}
		m.Platforms[p.Key] = set
	}
	return nil
}

// ServiceNames lists the services, sorted.
func (m *Matrix) ServiceNames() []string {
	var out []string
	for n := range m.Services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Versions lists the platform versions, newest first.
func (m *Matrix) Versions() []string {
	var vs []*semver.Version
	for k := range m.Platforms {
		vs = append(vs, semver.MustParse(k))
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Original()
	}
	return out
}

// Resolve returns the service set for a platform version. A leading v and a
// pre-release suffix are ignored (v0.6.0-beta.2 ships the 0.6.0 set); an
// empty version means the newest platform version.
func (m *Matrix) Resolve(platformVersion string) (*Set, error) {
	key := platformVersion
	if key == "" {
		key = m.Versions()[0]
	} else {
		v, err := semver.NewVersion(strings.TrimPrefix(platformVersion, "v"))
		if err != nil {
			return nil, fmt.Errorf("platform-version %q: not a version X.Y.Z (known: %s)", platformVersion, strings.Join(m.Versions(), ", "))
		}
		key = fmt.Sprintf("%d.%d.%d", v.Major(), v.Minor(), v.Patch())
	}
	tags, ok := m.Platforms[key]
	if !ok {
		return nil, fmt.Errorf("platform-version %q: not in the compatibility matrix (known: %s); pick one with --platform-version or add it to images/compat.yaml", platformVersion, strings.Join(m.Versions(), ", "))
	}
	s := &Set{PlatformVersion: key, Registry: m.Registry, Tags: map[string]string{}}
	for _, n := range m.ServiceNames() {
		s.Services = append(s.Services, m.Services[n])
		s.Tags[n] = tags[n]
	}
	return s, nil
}

// Pin records image digests (service=sha256:...) for the compose file.
func (s *Set) Pin(digests map[string]string) error {
	for svc, d := range digests {
		if _, ok := s.Tags[svc]; !ok {
			return fmt.Errorf("digest for %q: not a service of platform %s", svc, s.PlatformVersion)
		}
		if !digestRE.MatchString(d) {
			return fmt.Errorf("digest for %q: %q is not sha256:<64 hex>", svc, d)
		}
	}
	s.Digests = digests
	return nil
}

// ImageRef is the image reference a service runs: repo@sha256:... when a
// digest is pinned (what a release ships), else the tagged reference.
func (s *Set) ImageRef(svc Service) string {
	if d := s.Digests[svc.Name]; d != "" {
		return fmt.Sprintf("%s/%s@%s", s.Registry, svc.Image, d)
	}
	return s.TagRef(svc)
}

// TagRef is the tagged reference of a service (what a release resolves to a digest).
func (s *Set) TagRef(svc Service) string {
	return fmt.Sprintf("%s/%s:%s", s.Registry, svc.Image, s.Tags[svc.Name])
}

// Unpinned lists the tagged references of the services without a digest:
// a release refuses to ship any.
func (s *Set) Unpinned() []string {
	var out []string
	for _, svc := range s.Services {
		if s.Digests[svc.Name] == "" {
			out = append(out, svc.Name+" ("+s.TagRef(svc)+")")
		}
	}
	return out
}

// JSON renders the set (what `compat` prints and the bundle's services.json).
func (s *Set) JSON() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// Compose renders the bundle's compose file (docker compose v2) from the
// service contract (contract.go). Secrets come from /etc/unison/platform.env
// at run time; nothing secret is written here.
func (s *Set) Compose() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# UnisonOS platform %s: generated from images/compat.yaml and the service contract, do not edit.\n", s.PlatformVersion)
	b.WriteString("name: unison-platform\nservices:\n")
	for _, svc := range s.Services {
		fmt.Fprintf(&b, "  %s:\n", svc.Name)
		s.composeImage(&b, svc)
		// the contract: not root, nothing writable but /tmp, no capabilities
		fmt.Fprintf(&b, "    restart: unless-stopped\n    user: \"%s\"\n    read_only: true\n    tmpfs:\n      - /tmp\n", User)
		b.WriteString("    cap_drop:\n      - ALL\n    security_opt:\n      - no-new-privileges=true\n")
		// only the keys the service declares, from the env file compose is given
		// (--env-file /etc/unison/platform.env); a missing secret stops compose
		fmt.Fprintf(&b, "    environment:\n      UNISON_SERVICE: %s\n      UNISON_PORT: \"%d\"\n      UNISON_HEALTH: %s\n", svc.Name, svc.Port, svc.Health)
		if svc.Models {
			fmt.Fprintf(&b, "      UNISON_MODELS_FILE: %s\n      UNISON_MODELS_STORE: %s\n", ModelsFile, ModelsStore)
		}
		for _, k := range svc.Env {
			if IsSecret(k) {
				fmt.Fprintf(&b, "      %s: ${%s:?%s is not set in /etc/unison/platform.env}\n", k, k, k)
			} else {
				fmt.Fprintf(&b, "      %s: ${%s:-}\n", k, k)
			}
		}
		if svc.Models {
			// the metadata must exist (no empty folder made in its place); the store may be empty
			fmt.Fprintf(&b, "    volumes:\n      - type: bind\n        source: ${UNISON_MODELS_FILE:-%s}\n        target: %s\n        read_only: true\n        bind:\n          create_host_path: false\n", HostModelsFile, ModelsFile)
			fmt.Fprintf(&b, "      - type: bind\n        source: ${UNISON_MODELS_STORE:-%s}\n        target: %s\n        read_only: true\n        bind:\n          create_host_path: true\n", HostModelsStore, ModelsStore)
		}
		fmt.Fprintf(&b, "    ports:\n      - \"127.0.0.1:%d:%d\"\n", svc.Port, svc.Port)
		if len(svc.DependsOn) > 0 {
			b.WriteString("    depends_on:\n")
			for _, dep := range svc.DependsOn {
				fmt.Fprintf(&b, "      %s:\n        condition: service_healthy\n", dep)
			}
		}
		fmt.Fprintf(&b, "    healthcheck:\n      test: [\"CMD\", \"%s\"]\n      interval: 5s\n      timeout: 5s\n      retries: 3\n      start_period: 30s\n", HealthCheck)
		fmt.Fprintf(&b, "    logging:\n      driver: json-file\n      options:\n        max-size: \"%s\"\n        max-file: \"%d\"\n", LogMaxSize, LogMaxFiles)
	}
	return []byte(b.String())
}

// composeImage writes a service's image (and its labels).
func (s *Set) composeImage(b *strings.Builder, svc Service) {
	labels := map[string]string{"org.unisonos.contract": ContractVersion}
	switch {
	case s.Offline:
		fmt.Fprintf(b, "    image: %s # %s, loaded from the medium\n    pull_policy: never\n", s.TagRef(svc), s.Digests[svc.Name])
	case s.Digests[svc.Name] != "":
		// pinned: the tag stays as a comment and a label, the digest is what runs
		fmt.Fprintf(b, "    image: %s # %s\n", s.ImageRef(svc), s.Tags[svc.Name])
		labels["org.opencontainers.image.ref.name"] = s.TagRef(svc)
	default:
		fmt.Fprintf(b, "    image: %s\n", s.ImageRef(svc))
	}
	b.WriteString("    labels:\n")
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fmt.Fprintf(b, "      %s: %q\n", k, labels[k])
	}
}

// PlatformFor is the matrix version a build of version uses: explicit when
// given, else the version itself when it is a release (vX.Y.Z, with or
// without a pre-release suffix), else "" (the newest in the matrix), as for
// edge-main-20261127 or 0.0.0-dev.
func PlatformFor(version, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if releaseRE.MatchString(version) && !strings.HasPrefix(strings.TrimPrefix(version, "v"), "0.0.0") {
		return version
	}
	return ""
}

var releaseRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$`)

// ParseDigests reads SERVICE=sha256:... pins (as --digests takes them).
func ParseDigests(pins []string) (map[string]string, error) {
	out := map[string]string{}
	for _, d := range pins {
		k, v, ok := strings.Cut(d, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("digests: %q is not SERVICE=sha256:<64 hex digits>", d)
		}
		if !digestRE.MatchString(v) {
			return nil, fmt.Errorf("digest for %q: %q is not sha256:<64 hex>", k, v)
		}
		out[k] = v
	}
	return out, nil
}

// IsSecret reports a platform.env key whose value is a secret: generated per
// machine, required, given only to the services that declare it. (The
// installers' common.sh applies the same suffixes.)
func IsSecret(key string) bool {
	for _, s := range []string{"_SECRET", "_PASSWORD", "_PASS", "_TOKEN", "_KEY"} {
		if strings.HasSuffix(key, s) {
			return true
		}
	}
	return false
}
