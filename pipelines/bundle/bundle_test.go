package bundle

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func input(t *testing.T) Input {
	data, err := os.ReadFile("../../images/compat.yaml")
	require.NoError(t, err)
	m, err := compat.Parse("compat.yaml", data)
	require.NoError(t, err)
	s, err := m.Resolve("0.6.0")
	require.NoError(t, err)
	return Input{Version: "v0.6.0", Flavor: "light", Commit: "0123456", CommitTime: "2026-11-20T11:00:00+01:00", Set: s}
}

func TestMetadata(t *testing.T) {
	b, err := input(t).MetadataJSON()
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, `"build_date": "2026-11-20T10:00:00Z"`, "build date is the commit time in UTC")
	assert.Contains(t, s, `"orchestrator": "ghcr.io/project-unisonos/unison-orchestrator:v0.6.0"`)
	assert.Contains(t, s, `"flavor": "light"`)
}

func TestEnvTemplateHasNoSecrets(t *testing.T) {
	env := string(input(t).EnvTemplate())
	for _, line := range strings.Split(env, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && compat.IsSecret(k) {
			assert.Equal(t, Placeholder, v, "%s must be a placeholder", k)
		}
	}
	assert.Contains(t, env, "UNISON_MODEL_FLAVOR=light\n")
}

func TestValidate(t *testing.T) {
	in := input(t)
	in.Set.Services[0].Env = append(in.Set.Services[0].Env, "UNISON_NOT_IN_TEMPLATE")
	_, err := in.Validate()
	require.ErrorContains(t, err, "env: UNISON_NOT_IN_TEMPLATE is not a key of platform.env")
	in = input(t)
	in.Version = "bad version!"
	_, err = in.Validate()
	require.ErrorContains(t, err, `version "bad version!"`)
	in = input(t)
	in.CommitTime = "yesterday"
	_, err = in.MetadataJSON()
	require.ErrorContains(t, err, `commit-time "yesterday"`)
}

// The models paths of platform.env are the machine's: the bundle's
// models.json, and the model store (an offline medium's own store).
func TestEnvTemplateModels(t *testing.T) {
	in := input(t)
	env := string(in.EnvTemplate())
	assert.Contains(t, env, "\nUNISON_MODELS_FILE=/opt/unison-platform/models.json\n")
	assert.Contains(t, env, "\nUNISON_MODELS_STORE=/var/lib/unisonos/models\n")
	in.Set.Offline = true
	env = string(in.EnvTemplate())
	assert.Contains(t, env, "\nUNISON_MODELS_STORE=/opt/unison-platform/offline/models\n", "an offline medium serves its own store")
	assert.Equal(t, InstallDir+"/models.json", compat.HostModelsFile)
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte(`{"name":"unison-platform","version":"v0.6.0","platform_version":"0.6.0"}`))
	require.NoError(t, err)
	assert.Equal(t, "v0.6.0", m.Version)
	for in, want := range map[string]string{
		`{"version":"v0.6.0"`:           "not valid JSON",
		`{"name":"unison-platform"}`:    "version:",
		`{"version":"0.6.0; rm -rf /"}`: "version:",
	} {
		_, err := ParseMetadata([]byte(in))
		assert.ErrorContains(t, err, want, in)
	}
}

// The bundle's README says what the installers do: each one it names
// exists and takes the flags it names (common.sh's usage), and it never
// asks to edit placeholders (the installers generate the secrets).
func TestReadmeMatchesTheInstallers(t *testing.T) {
	readme := string(input(t).Readme())
	common, err := os.ReadFile("../../installer/common.sh")
	require.NoError(t, err)
	names := regexp.MustCompile(`\./installer/(install-[a-z]+\.sh)`).FindAllStringSubmatch(readme, -1)
	require.Len(t, names, 3)
	for _, n := range names {
		src, err := os.ReadFile("../../installer/" + n[1])
		require.NoError(t, err, n[1])
		assert.Contains(t, string(src), `/common.sh"`, "%s takes common.sh's flags", n[1])
	}
	for _, flag := range regexp.MustCompile(`--[a-z-]+`).FindAllString(readme, -1) {
		assert.Contains(t, string(common), "\n  "+flag+" ", "common.sh's usage lists %s", flag)
	}
	assert.Contains(t, string(common), "generate_secret", "secrets are generated on the machine")
	assert.NotContains(t, readme, Placeholder)
	assert.NotContains(t, strings.ToLower(readme), "edit ")
}
