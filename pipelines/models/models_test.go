package models

import (
	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRealManifestRendersEveryFlavor(t *testing.T) {
	data, err := os.ReadFile("../../images/models.yaml")
	require.NoError(t, err)
	m, err := Parse("images/models.yaml", data)
	require.NoError(t, err)
	assert.Equal(t, []string{"default", "full-qwen", "light"}, m.Names())
	for _, f := range m.Names() {
		t.Run(f, func(t *testing.T) {
			got, err := m.Render(f)
			require.NoError(t, err)
			golden.Equal(t, filepath.Join("testdata", "models-"+f+".golden.json"), got)
		})
	}
	light, err := m.Flavor("light")
	require.NoError(t, err)
	assert.Equal(t, "ollama", light.Provider, "inherited from default")
	assert.Empty(t, light.MultimodalModel, "overridden with empty")
}

func TestRejections(t *testing.T) {
	const ok = "version: 1\ndefault:\n  provider: ollama\n  text_model: a:1\n  preload: false\n  models: [a:1]\n"
	tests := map[string]struct {
		yaml string
		want string
	}{
		"not yaml":             {"version: [1\n", "m.yaml: not valid YAML"},
		"top level list":       {"- a\n", "m.yaml:1: the top level must be a mapping"},
		"unknown top key":      {ok + "extra: 1\n", "m.yaml:7: extra: unknown key"},
		"missing version":      {"default:\n  provider: ollama\n  text_model: a:1\n", "version: missing"},
		"wrong version":        {"version: 2\ndefault: {provider: ollama, text_model: a}\n", "m.yaml:1: version: unsupported version 2"},
		"version as string":    {"version: one\ndefault: {provider: ollama, text_model: a}\n", "m.yaml:1: version: want an integer"},
		"missing default":      {"version: 1\n", "default: missing"},
		"unknown spec key":     {"version: 1\ndefault:\n  provider: ollama\n  text_model: a\n  temperature: 3\n", "m.yaml:5: default.temperature: unknown key"},
		"preload wrong type":   {"version: 1\ndefault:\n  provider: ollama\n  text_model: a\n  preload: yes-please\n", `m.yaml:5: default.preload: want true or false, got "yes-please"`},
		"models not a list":    {"version: 1\ndefault:\n  provider: ollama\n  text_model: a\n  models: a\n", "m.yaml:5: default.models: want a list of strings"},
		"model not a string":   {"version: 1\ndefault:\n  provider: ollama\n  text_model: a\n  models: [{x: 1}]\n", "default.models[0]: want a string"},
		"unknown provider":     {"version: 1\ndefault:\n  provider: openai\n  text_model: a\n", `default.provider: unknown provider "openai"`},
		"no text model":        {"version: 1\ndefault:\n  provider: ollama\n", "default.text_model: required"},
		"preload not listed":   {"version: 1\ndefault:\n  provider: ollama\n  text_model: a:1\n  preload: true\n  models: [b:1]\n", `preload is on but "a:1" is not in models`},
		"bad model ref":        {"version: 1\ndefault:\n  provider: ollama\n  text_model: 'A B'\n", `"A B" is not a model reference`},
		"duplicate key":        {"version: 1\nversion: 1\n", "m.yaml:2: version: duplicate key"},
		"flavor unknown key":   {ok + "flavors:\n  light:\n    size: 3\n", "m.yaml:9: flavors.light.size: unknown key"},
		"flavor bad name":      {ok + "flavors:\n  Light!: {}\n", "flavors.Light!: flavor names"},
		"flavor named default": {ok + "flavors:\n  default: {}\n", "flavors.default: flavor names"},
		"flavors not map":      {ok + "flavors: [a]\n", "m.yaml:7: flavors: want a mapping"},
		"two documents":        {ok + "---\nversion: 1\n", "more than one YAML document"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestUnknownFlavor(t *testing.T) {
	m, err := Parse("m.yaml", []byte("version: 1\ndefault: {provider: ollama, text_model: a}\nflavors: {light: {}}\n"))
	require.NoError(t, err)
	_, err = m.Render("huge")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `flavor "huge": unknown (known: default, light)`)
}

func FuzzParse(f *testing.F) {
	data, _ := os.ReadFile("../../images/models.yaml")
	f.Add(string(data))
	f.Add("version: 1\ndefault: {provider: ollama, text_model: a}\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse("f.yaml", []byte(s))
		if err != nil {
			return
		}
		for _, n := range m.Names() {
			b, err := m.Render(n)
			if err != nil || len(b) == 0 {
				t.Fatalf("parsed manifest cannot render %q: %v", n, err)
			}
		}
	})
}
