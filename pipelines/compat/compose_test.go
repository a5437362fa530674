package compat_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// load reads a rendered compose file with compose-go (the parser docker
// compose v2 uses) and the environment of a platform.env made from the
// bundle's template, the way `docker compose --env-file` reads them.
func load(t *testing.T, compose []byte, env map[string]string) (*types.Project, error) {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	require.NoError(t, os.WriteFile(f, compose, 0o644))
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: f}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("unison-platform", true) })
}

func platformEnv(offline bool) map[string]string {
	env := map[string]string{}
	for _, kv := range bundle.EnvDefaults("default", offline) {
		v := kv[1]
		if v == bundle.Placeholder {
			v = strings.Repeat("5a", 32)
		}
		env[kv[0]] = v
	}
	return env
}

// The compose file meets the service contract as compose itself reads it:
// every service non-root, read-only, without capabilities, published on
// 127.0.0.1 only, health-checked without a shell, logs bounded; the models
// service gets models.json and the store read-only at the contract's paths
// from the machine paths platform.env names; start-up waits for health.
func TestComposeMeetsContract(t *testing.T) {
	data, err := os.ReadFile("../../images/compat.yaml")
	require.NoError(t, err)
	m, err := compat.Parse("images/compat.yaml", data)
	require.NoError(t, err)
	for _, offline := range []bool{false, true} {
		s, err := m.Resolve("0.6.0")
		require.NoError(t, err)
		s.Offline = offline
		p, err := load(t, s.Compose(), platformEnv(offline))
		require.NoError(t, err)
		require.Len(t, p.Services, len(m.Services))
		for _, svc := range s.Services {
			c := p.Services[svc.Name]
			assert.Equal(t, compat.User, c.User, svc.Name)
			assert.NotRegexp(t, `^(0|root)(:|$)`, c.User)
			assert.True(t, c.ReadOnly, svc.Name)
			assert.Equal(t, []string{"ALL"}, c.CapDrop, svc.Name)
			assert.Contains(t, c.SecurityOpt, "no-new-privileges=true", svc.Name)
			assert.Equal(t, "unless-stopped", c.Restart)
			require.Len(t, c.Ports, 1)
			assert.Equal(t, "127.0.0.1", c.Ports[0].HostIP, svc.Name)
			assert.EqualValues(t, svc.Port, c.Ports[0].Target)
			require.NotNil(t, c.HealthCheck)
			assert.Equal(t, types.HealthCheckTest{"CMD", compat.HealthCheck}, c.HealthCheck.Test, "no shell, no curl: %s", svc.Name)
			require.NotNil(t, c.Logging)
			assert.Equal(t, "json-file", c.Logging.Driver)
			assert.Equal(t, compat.LogMaxSize, c.Logging.Options["max-size"])
			assert.Equal(t, svc.Health, *c.Environment["UNISON_HEALTH"])
			assert.Equal(t, "65532:65532", c.User)
			if offline {
				assert.Equal(t, "never", c.PullPolicy)
			}
			for _, dep := range svc.DependsOn {
				assert.Equal(t, types.ServiceConditionHealthy, c.DependsOn[dep].Condition, "%s waits for %s", svc.Name, dep)
			}
			if !svc.Models {
				assert.Empty(t, c.Volumes, svc.Name)
				assert.Nil(t, c.Environment["UNISON_MODELS_FILE"], svc.Name)
				continue
			}
			assert.Equal(t, compat.ModelsFile, *c.Environment["UNISON_MODELS_FILE"])
			assert.Equal(t, compat.ModelsStore, *c.Environment["UNISON_MODELS_STORE"])
			require.Len(t, c.Volumes, 2)
			store := compat.HostModelsStore
			if offline {
				store = bundle.OfflineModelsStore
			}
			for i, want := range []struct{ src, dst string }{{compat.HostModelsFile, compat.ModelsFile}, {store, compat.ModelsStore}} {
				v := c.Volumes[i]
				assert.Equal(t, "bind", v.Type)
				assert.Equal(t, want.src, v.Source)
				assert.Equal(t, want.dst, v.Target)
				assert.True(t, v.ReadOnly, "%s is read-only", want.dst)
			}
			assert.False(t, bool(c.Volumes[0].Bind.CreateHostPath), "a missing models.json is an error, not an empty folder")
		}
		assert.ElementsMatch(t, []string{"auth", "context", "inference"}, p.Services["orchestrator"].GetDependencies())
	}
	assert.Equal(t, compat.HostModelsFile, "/opt/unison-platform/models.json")
	assert.Equal(t, bundle.InstallDir+"/models.json", compat.HostModelsFile)
}

// What compose refuses, it refuses with the key's name: a missing secret.
func TestComposeRefusesMissingSecret(t *testing.T) {
	data, err := os.ReadFile("../../images/compat.yaml")
	require.NoError(t, err)
	m, err := compat.Parse("images/compat.yaml", data)
	require.NoError(t, err)
	s, err := m.Resolve("")
	require.NoError(t, err)
	env := platformEnv(false)
	delete(env, "UNISON_JWT_SECRET")
	_, err = load(t, s.Compose(), env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UNISON_JWT_SECRET is not set in /etc/unison/platform.env")
}
