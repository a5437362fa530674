package qa

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoServices = `{"services": [
 {"name": "inference", "port": 8087, "health": "/health", "inference": "/inference/request", "models": true},
 {"name": "auth", "port": 8088, "health": "/health"}]}`

// docker is what Docker reports of a platform that meets the contract, in
// Docker's own field names; each case changes one thing.
type docker struct {
	ps      []map[string]any
	inspect []map[string]any
}

func goodDocker() docker {
	var d docker
	for _, svc := range []struct {
		name, port string
		models     bool
	}{{"inference", "8087", true}, {"auth", "8088", false}} {
		d.ps = append(d.ps, map[string]any{"Service": svc.name, "State": "running", "Health": "healthy",
			"Publishers": []any{map[string]any{"URL": "127.0.0.1", "PublishedPort": 8087}}})
		mounts := []any{}
		if svc.models {
			mounts = []any{
				map[string]any{"Source": "/opt/unison-platform/models.json", "Destination": "/unison/models/models.json", "RW": false},
				map[string]any{"Source": "/var/lib/unisonos/models", "Destination": "/unison/models/store", "RW": false},
			}
		}
		d.inspect = append(d.inspect, map[string]any{
			"Config": map[string]any{"User": "65532:65532", "Labels": map[string]any{"com.docker.compose.service": svc.name}},
			"HostConfig": map[string]any{"ReadonlyRootfs": true, "CapDrop": []any{"ALL"}, "CapAdd": nil,
				"SecurityOpt":  []any{"no-new-privileges:true"},
				"PortBindings": map[string]any{svc.port + "/tcp": []any{map[string]any{"HostIp": "127.0.0.1", "HostPort": svc.port}}},
				"LogConfig":    map[string]any{"Type": "json-file", "Config": map[string]any{"max-size": "10m", "max-file": "3"}}},
			"Mounts": mounts,
		})
	}
	return d
}

// run judges d, with compose ps as one object a line (Compose v2.21+).
func (d docker) run(t *testing.T) []Result {
	var ps []string
	for _, p := range d.ps {
		b, _ := json.Marshal(p)
		ps = append(ps, string(b))
	}
	insp, _ := json.Marshal(d.inspect)
	rs, err := Containers([]byte(twoServices), []byte(strings.Join(ps, "\n")+"\n"), insp)
	require.NoError(t, err)
	return rs
}

func failures(rs []Result) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		if !r.Passed {
			out[r.Name] = r.Message
		}
	}
	return out
}

func TestContainersMeetContract(t *testing.T) {
	rs := goodDocker().run(t)
	assert.Empty(t, failures(rs))
	assert.Len(t, rs, 2*7+2+1, "seven rules a service, the models mounts of inference, no models for auth")
	assert.Equal(t, "auth running healthy", rs[0].Name, "services in name order")

	// compose before v2.21 printed one JSON array
	d := goodDocker()
	ps, _ := json.Marshal(d.ps)
	insp, _ := json.Marshal(d.inspect)
	rs, err := Containers([]byte(twoServices), ps, insp)
	require.NoError(t, err)
	assert.Empty(t, failures(rs))
}

func TestContainersNameServiceAndRule(t *testing.T) {
	hc := func(d docker, i int) map[string]any { return d.inspect[i]["HostConfig"].(map[string]any) }
	for _, tc := range []struct {
		name   string
		change func(d docker)
		rule   string
		want   string
	}{
		{"unhealthy", func(d docker) { d.ps[0]["Health"] = "unhealthy" }, "inference running healthy",
			`state running, health "unhealthy": the contract wants GET /health to answer 200 and /usr/local/bin/unison-healthcheck to exit 0`},
		{"never started", func(d docker) { d.ps[1]["State"], d.ps[1]["Health"] = "created", "" }, "auth running healthy", "state created"},
		{"root", func(d docker) { d.inspect[1]["Config"].(map[string]any)["User"] = "0:0" }, "auth not root", `runs as "0:0": the contract runs every service as 65532:65532`},
		{"image default user", func(d docker) { d.inspect[1]["Config"].(map[string]any)["User"] = "" }, "auth not root", `runs as ""`},
		{"writable root", func(d docker) { hc(d, 0)["ReadonlyRootfs"] = false }, "inference read-only root", "its root file system is writable"},
		{"capability added", func(d docker) { hc(d, 1)["CapAdd"] = []any{"NET_ADMIN"} }, "auth no capabilities", "cap_add [NET_ADMIN]"},
		{"capabilities kept", func(d docker) { hc(d, 1)["CapDrop"] = nil }, "auth no capabilities", "the contract drops ALL"},
		{"new privileges", func(d docker) { hc(d, 0)["SecurityOpt"] = nil }, "inference no new privileges", "no-new-privileges=true"},
		{"every address", func(d docker) {
			hc(d, 1)["PortBindings"] = map[string]any{"8088/tcp": []any{map[string]any{"HostIp": "", "HostPort": "8088"}}}
		}, "auth loopback ports", `published beyond loopback: 8088/tcp on ""`},
		{"unbounded logs", func(d docker) { hc(d, 0)["LogConfig"] = map[string]any{"Type": "json-file"} }, "inference bounded logs", "log driver json-file without max-size"},
		{"models writable", func(d docker) {
			d.inspect[0]["Mounts"].([]any)[0].(map[string]any)["RW"] = true
		}, "inference models /unison/models/models.json", "mounted true, read-only false"},
		{"store missing", func(d docker) { d.inspect[0]["Mounts"] = d.inspect[0]["Mounts"].([]any)[:1] }, "inference models /unison/models/store", "mounted false"},
		{"models where not declared", func(d docker) { d.inspect[1]["Mounts"] = d.inspect[0]["Mounts"] }, "auth no models", "without models: true"},
		{"no container", func(d docker) {
			d.ps[1]["Service"] = "other"
			d.inspect[1]["Config"].(map[string]any)["Labels"] = map[string]any{}
		}, "auth running healthy", "no container of this service"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := goodDocker()
			tc.change(d)
			f := failures(d.run(t))
			require.Contains(t, f, tc.rule, "failures: %v", f)
			assert.Contains(t, f[tc.rule], tc.want)
			assert.Len(t, f, 1, "only the changed rule fails: %v", f)
		})
	}
}

func TestContainersRejectInput(t *testing.T) {
	_, err := Containers([]byte("nope"), nil, []byte("[]"))
	assert.ErrorContains(t, err, "services: not the bundle's services.json")
	_, err = Containers([]byte(twoServices), []byte("{bad"), []byte("[]"))
	assert.ErrorContains(t, err, "docker compose ps")
	_, err = Containers([]byte(twoServices), nil, []byte("{}"))
	assert.ErrorContains(t, err, "docker inspect: not its JSON array")
}
