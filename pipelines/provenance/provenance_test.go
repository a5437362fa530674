package provenance

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
)

func input() Input {
	return Input{Files: map[string]string{"unisonos-v1.2.3.wsl": strings.Repeat("ab", 32), "unisonos-wsl-rootfs-v1.2.3.tar.gz": strings.Repeat("cd", 32)},
		Ref: "refs/tags/v1.2.3", Commit: strings.Repeat("0123456789", 4), Version: "v1.2.3", Params: map[string]any{"flavor": "default", "public": true},
		Dependencies: []Dependency{{URI: "docker.io/library/ubuntu:24.04", Digest: map[string]string{"sha256": strings.Repeat("ef", 32)}}},
		BuilderID:    "https://github.com/project-unisonOS/unison-platform/.github/workflows/release.yml@refs/tags/v1.2.3",
		InvocationID: "https://github.com/project-unisonOS/unison-platform/actions/runs/1/attempts/1", Dagger: "v0.19.7"}
}

func TestStatementGolden(t *testing.T) {
	b, err := Statement(input())
	require.NoError(t, err)
	golden.Equal(t, filepath.Join("testdata", "wsl.golden.intoto.json"), b)
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []Subject
		Predicate     struct {
			BuildDefinition struct {
				ResolvedDependencies []Dependency `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		}
	}
	require.NoError(t, json.Unmarshal(b, &st))
	assert.Equal(t, StatementType, st.Type)
	assert.Equal(t, PredicateType, st.PredicateType)
	require.Len(t, st.Subject, 2)
	assert.Equal(t, "unisonos-v1.2.3.wsl", st.Subject[0].Name, "sorted")
	require.Len(t, st.Predicate.BuildDefinition.ResolvedDependencies, 2)
	assert.Equal(t, strings.Repeat("0123456789", 4), st.Predicate.BuildDefinition.ResolvedDependencies[0].Digest["gitCommit"])
}

func TestPredicateOf(t *testing.T) {
	b, err := Statement(input())
	require.NoError(t, err)
	p, err := PredicateOf(b)
	require.NoError(t, err)
	want, err := Predicate(input())
	require.NoError(t, err)
	wb, _ := json.Marshal(want)
	assert.JSONEq(t, string(wb), string(p))
	_, err = PredicateOf([]byte(`{"_type":"x"}`))
	assert.ErrorContains(t, err, "not an in-toto statement")
}

func TestRejects(t *testing.T) {
	in := input()
	in.Commit = "HEAD"
	_, err := Statement(in)
	assert.ErrorContains(t, err, "commit SHA")
	in = input()
	in.Dependencies = append(in.Dependencies, Dependency{URI: "https://example.com/x.iso"})
	_, err = Statement(in)
	assert.ErrorContains(t, err, "x.iso has no digest")
	in = input()
	in.Files["bad"] = "xyz"
	_, err = Statement(in)
	assert.ErrorContains(t, err, "subject bad")
	in = input()
	in.Files = nil
	_, err = Statement(in)
	assert.ErrorContains(t, err, "no subject")
}
