package compat

import (
	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func real(t *testing.T) *Matrix {
	data, err := os.ReadFile("../../images/compat.yaml")
	require.NoError(t, err)
	m, err := Parse("images/compat.yaml", data)
	require.NoError(t, err)
	return m
}

func TestRealMatrix(t *testing.T) {
	m := real(t)
	assert.Equal(t, []string{"0.6.0", "0.5.0"}, m.Versions())
	for _, v := range m.Versions() {
		s, err := m.Resolve(v)
		require.NoError(t, err)
		assert.Len(t, s.Tags, len(m.Services), "every service listed for %s", v)
	}
}

func TestResolve(t *testing.T) {
	m := real(t)
	for in, want := range map[string]string{"": "0.6.0", "0.5.0": "0.5.0", "v0.6.0": "0.6.0", "v0.6.0-beta.2": "0.6.0", "0.6.0-rc.1": "0.6.0"} {
		s, err := m.Resolve(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, s.PlatformVersion, in)
	}
	_, err := m.Resolve("9.9.9")
	require.ErrorContains(t, err, `platform-version "9.9.9": not in the compatibility matrix (known: 0.6.0, 0.5.0)`)
	_, err = m.Resolve("edge-main-20261127")
	require.ErrorContains(t, err, "not a version")
}

func TestComposeGolden(t *testing.T) {
	s, err := real(t).Resolve("0.6.0")
	require.NoError(t, err)
	for name, pin := range map[string]map[string]string{
		"compose-0.6.0":        nil,
		"compose-0.6.0-pinned": {"inference": "sha256:" + strings.Repeat("ab", 32)},
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, s.Pin(pin))
			got := s.Compose()
			golden.Equal(t, filepath.Join("testdata", name+".golden.yaml"), got)
		})
	}
}

func TestComposeOffline(t *testing.T) {
	s, err := real(t).Resolve("0.6.0")
	require.NoError(t, err)
	require.NoError(t, s.Pin(map[string]string{"inference": "sha256:" + strings.Repeat("ab", 32)}))
	s.Offline = true
	c := string(s.Compose())
	assert.Contains(t, c, "    image: ghcr.io/project-unisonos/unison-inference:v0.6.1 # sha256:"+strings.Repeat("ab", 32)+", loaded from the medium\n    pull_policy: never\n")
	assert.Equal(t, 4, strings.Count(c, "pull_policy: never"))
}

func TestUnpinned(t *testing.T) {
	s, err := real(t).Resolve("0.6.0")
	require.NoError(t, err)
	require.Len(t, s.Unpinned(), 4)
	require.NoError(t, s.Pin(map[string]string{"inference": "sha256:" + strings.Repeat("ab", 32)}))
	require.Equal(t, []string{"auth (ghcr.io/project-unisonos/unison-auth:v0.6.0)", "context (ghcr.io/project-unisonos/unison-context:v0.6.0)",
		"orchestrator (ghcr.io/project-unisonos/unison-orchestrator:v0.6.0)"}, s.Unpinned())
	require.Equal(t, "ghcr.io/project-unisonos/unison-inference@sha256:"+strings.Repeat("ab", 32), s.ImageRef(s.Services[2]))
}

func TestPinRejects(t *testing.T) {
	s, err := real(t).Resolve("")
	require.NoError(t, err)
	require.ErrorContains(t, s.Pin(map[string]string{"nope": "sha256:" + strings.Repeat("0", 64)}), `digest for "nope": not a service`)
	require.ErrorContains(t, s.Pin(map[string]string{"auth": "sha256:xyz"}), `is not sha256:<64 hex>`)
}

func TestRejections(t *testing.T) {
	head := "version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: svc-a, port: 80, health: /health}\n  b: {image: svc-b, port: 81, health: /health}\n"
	tests := map[string]struct{ yaml, want string }{
		"platform missing a service":  {head + "platforms:\n  1.0.0: {a: v1}\n", "c.yaml:7: platforms.1.0.0: missing services: b"},
		"unknown service in platform": {head + "platforms:\n  1.0.0: {a: v1, b: v1, c: v1}\n", "platforms.1.0.0.c: unknown key"},
		"platform version with v":     {head + "platforms:\n  v1.0.0: {a: v1, b: v1}\n", "c.yaml:7: platforms.v1.0.0: platform versions are X.Y.Z"},
		"bad tag":                     {head + "platforms:\n  1.0.0: {a: 'v 1', b: v1}\n", `platforms.1.0.0.a: "v 1" is not a valid image tag`},
		"tag wrong type":              {head + "platforms:\n  1.0.0: {a: [v1], b: v1}\n", "platforms.1.0.0.a: want a string"},
		"port as string":              {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: eighty, health: /h}\nplatforms: {}\n", "c.yaml:4: services.a.port: want an integer"},
		"port out of range":           {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 70000, health: /h}\nplatforms: {}\n", "port 70000 out of range"},
		"duplicate port":              {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h}\n  b: {image: j, port: 80, health: /h}\nplatforms: {}\n", "port 80 already used by a"},
		"health not a path":           {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: health}\nplatforms: {}\n", `services.a.health: "health" is not an HTTP path`},
		"missing health":              {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80}\nplatforms: {}\n", "services.a.health: required"},
		"env not a variable name":     {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, env: [lower]}\nplatforms: {}\n", `services.a.env: "lower" is not an environment variable name`},
		"env not a list":              {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, env: X}\nplatforms: {}\n", "services.a.env"},
		"unknown service key":         {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, cpu: 2}\nplatforms: {}\n", "services.a.cpu: unknown key"},
		"uppercase registry":          {"version: 1\nregistry: GHCR.io/X\nservices: {}\nplatforms: {}\n", "registry: \"GHCR.io/X\" is not a lowercase"},
		"no platforms":                {head + "platforms: {}\n", "platforms: list at least one platform version"},
		"missing platforms":           {head, "platforms: missing"},
		"contract key in env":         {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, env: [UNISON_MODELS_FILE]}\nplatforms: {}\n", "services.a.env: UNISON_MODELS_FILE is set by the service contract (set models: true to get the models metadata): remove it from env"},
		"models not a bool":           {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, models: maybe}\nplatforms: {}\n", "services.a.models"},
		"depends on unknown":          {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, depends_on: [c]}\nplatforms: {}\n", `c.yaml:4: services.a.depends_on: "c" is not another service of this file (known: a)`},
		"depends on itself":           {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, depends_on: [a]}\nplatforms: {}\n", `services.a.depends_on: "a" is not another service`},
		"depends_on cycle": {"version: 1\nregistry: ghcr.io/x\nservices:\n  a: {image: i, port: 80, health: /h, depends_on: [b]}\n  b: {image: j, port: 81, health: /h, depends_on: [c]}\n  c: {image: k, port: 82, health: /h, depends_on: [a]}\nplatforms: {}\n",
			"services.a.depends_on: start-up order has a cycle: a -> b -> c -> a; remove one of these dependencies"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPlatformFor(t *testing.T) {
	for _, tc := range []struct{ version, explicit, want string }{
		{"v0.6.0", "", "v0.6.0"},
		{"0.6.0", "", "0.6.0"},
		{"v1.4.0-beta.3", "", "v1.4.0-beta.3"},
		{"v1.4.0-beta.3", "0.6.0", "0.6.0"},
		{"edge-main-20261127", "", ""},
		{"0.0.0-dev", "", ""},
		{"v0.0.0", "", ""},
		{"pr-12", "", ""},
		{"v1.2", "", ""},
		{"v1.2.3.4", "", ""},
	} {
		assert.Equal(t, tc.want, PlatformFor(tc.version, tc.explicit), "%+v", tc)
	}
}

func TestParseDigests(t *testing.T) {
	d, err := ParseDigests([]string{"orchestrator=sha256:" + strings.Repeat("a", 64)})
	require.NoError(t, err)
	assert.Equal(t, "sha256:"+strings.Repeat("a", 64), d["orchestrator"])
	for _, bad := range []string{"orchestrator", "=sha256:x"} {
		_, err := ParseDigests([]string{bad})
		assert.ErrorContains(t, err, "is not SERVICE=sha256:")
	}
}

func TestLeastSecret(t *testing.T) {
	data, err := os.ReadFile("../../images/compat.yaml")
	require.NoError(t, err)
	m, err := Parse("compat.yaml", data)
	require.NoError(t, err)
	s, err := m.Resolve("0.6.0")
	require.NoError(t, err)
	c := string(s.Compose())
	assert.NotContains(t, c, "env_file", "no service gets the whole platform.env")
	// the inference service declares no secret: none reaches it
	inf := c[strings.Index(c, "  inference:"):]
	inf = inf[:strings.Index(inf, "    ports:")]
	assert.NotContains(t, inf, "_SECRET")
	assert.Contains(t, inf, "UNISON_MODEL_FLAVOR: ${UNISON_MODEL_FLAVOR:-}")
	assert.True(t, IsSecret("UNISON_AUTH_SECRET") && IsSecret("DB_PASSWORD") && IsSecret("X_TOKEN") && IsSecret("API_KEY") && IsSecret("SMTP_PASS"))
	assert.False(t, IsSecret("UNISON_LOG_LEVEL"))
}
