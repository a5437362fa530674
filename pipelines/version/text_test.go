package version

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanText(t *testing.T) {
	in := Input{Ref: "refs/tags/v1.2.0", SHA: "0123456789abcdef0123456789abcdef01234567", CommitTime: "2026-11-20T10:00:00Z",
		Registry: "ghcr.io", Owner: "project-unisonOS", Repo: "unison-sample", Image: "unison-sample"}
	p, err := Compute(in)
	require.NoError(t, err)
	assert.Equal(t, "ghcr.io", p.Host())
	txt := p.Text([]string{"linux/amd64"}, true)
	assert.Contains(t, txt, "version v1.2.0 (channel stable), platforms linux/amd64\nwould push:\n  ghcr.io/project-unisonos/unison-sample:v1.2.0\n")
	assert.Contains(t, txt, "labels:\n  org.opencontainers.image.created=2026-11-20T10:00:00Z\n")
	assert.Contains(t, p.Text(nil, false), "\npush:\n")
	in.Ref = "refs/pull/3/merge"
	pr, err := Compute(in)
	require.NoError(t, err)
	assert.Contains(t, pr.Text(nil, false), "pull request: build only, not pushed:")
	assert.True(t, NeedsCredentials("GHCR.io"))
	assert.False(t, NeedsCredentials("10.87.0.1:5001"))
}

func TestPublishedJSON(t *testing.T) {
	assert.Equal(t, `{"version":"pr-7","channel":"pr","tags":["pr-7","sha-0123456"],"refs":[],"published":false}`+"\n",
		Published{Version: "pr-7", Channel: "pr", Tags: []string{"pr-7", "sha-0123456"}}.JSON())
}
