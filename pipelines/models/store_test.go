package models

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckStore(t *testing.T) {
	spec := Spec{Flavor: "light", Preload: true, Models: []string{"qwen2.5:0.5b", "acme/tiny"}}
	man := `{"config":{"digest":"sha256:aa"},"layers":[{"digest":"sha256:bb"}]}`
	manifests := map[string]string{
		"manifests/registry.ollama.ai/library/qwen2.5/0.5b": man,
		"manifests/registry.ollama.ai/acme/tiny/latest":     man,
	}
	require.NoError(t, spec.CheckStore(manifests, []string{"sha256-aa", "sha256-bb"}))
	err := spec.CheckStore(manifests, []string{"sha256-aa"})
	require.ErrorContains(t, err, "acme/tiny (blob sha256-bb), qwen2.5:0.5b (blob sha256-bb)")
	delete(manifests, "manifests/registry.ollama.ai/library/qwen2.5/0.5b")
	err = spec.CheckStore(manifests, []string{"sha256-aa", "sha256-bb"})
	require.ErrorContains(t, err, "flavor light preloads models the store lacks: qwen2.5:0.5b (no manifests/registry.ollama.ai/library/qwen2.5/0.5b)")
	spec.Preload = false
	assert.NoError(t, spec.CheckStore(nil, nil), "nothing preloaded, nothing required")
}
