package version

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckLabel(t *testing.T) {
	for _, ok := range []string{"v1.2.3", "1.2.3", "v1.4.0-beta.2", "edge-main-20261127", "pr-12", "0.0.0-dev", "v1+build.5", strings.Repeat("a", 64)} {
		assert.NoError(t, CheckLabel(ok), ok)
	}
	for _, bad := range []string{"", "-v1", ".v1", "v1 2", "v1/2", "v1\n", strings.Repeat("a", 65), "vé"} {
		err := CheckLabel(bad)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), "version ")
			assert.Contains(t, err.Error(), "e.g. v1.2.3")
		}
	}
}

func TestIsStable(t *testing.T) {
	for v, want := range map[string]bool{"v1.2.3": true, "1.2.3": true, "v0.6.0": true, "v1.2.3-rc.1": false,
		"edge-main-20261127": false, "v01.2.3": false, "v1.2": false} {
		assert.Equal(t, want, IsStable(v), v)
	}
}

func TestParseCommitTime(t *testing.T) {
	got, err := ParseCommitTime(" 2026-11-27T19:21:45+01:00 ")
	assert.NoError(t, err)
	assert.Equal(t, "2026-11-27T18:21:45Z", got.Format("2006-01-02T15:04:05Z07:00"))
	_, err = ParseCommitTime("yesterday")
	assert.ErrorContains(t, err, `commit-time "yesterday": want RFC 3339`)
}

// A tag with a number beyond 64 bits is an error as the ref and ignored as
// an existing tag: one such tag must not break every later build.
func TestHugeNumbers(t *testing.T) {
	in := Input{Ref: "refs/tags/v99999999999999999999.0.0", SHA: "0123456", CommitTime: "2026-11-20T10:00:00Z",
		Registry: "ghcr.io", Owner: "o", Repo: "r", Image: "r"}
	_, err := Compute(in)
	assert.ErrorContains(t, err, `ref "refs/tags/v99999999999999999999.0.0": not a usable version`)
	in.Ref, in.ExistingTags = "refs/tags/v1.0.0", []string{"v99999999999999999999.0.0", "v0.9.0"}
	p, err := Compute(in)
	assert.NoError(t, err)
	assert.Contains(t, p.Tags, "latest")
	in.Ref = "refs/heads/release/99999999999999999999.1"
	_, err = Compute(in)
	assert.ErrorContains(t, err, "too large")
}
