package pins

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateDigests(t *testing.T) {
	oldD, newD := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	src := `const (
	tools = "docker.io/library/debian:bookworm@` + oldD + `"
	again = "docker.io/library/debian:bookworm@` + oldD + `" // the same tag twice: one lookup
	cosign = "ghcr.io/sigstore/cosign/cosign:v2.4.1@` + newD + `"
	lab = "10.87.0.1:5001/sigstore/cosign:v2.4.1@` + oldD + `"
	other = "not an image: sha256:` + oldD + `"
)
`
	calls := map[string]int{}
	resolve := func(_ context.Context, repo, tag string) (string, error) {
		calls[repo+":"+tag]++
		return newD, nil
	}
	out, changes, err := UpdateDigests(context.Background(), []byte(src), resolve)
	require.NoError(t, err)
	assert.Equal(t, strings.NewReplacer("bookworm@"+oldD, "bookworm@"+newD, "v2.4.1@"+oldD, "v2.4.1@"+newD).Replace(src), string(out))
	assert.Contains(t, string(out), "not an image: sha256:"+oldD, "a digest without repo:tag is not a pin")
	assert.Equal(t, map[string]int{"docker.io/library/debian:bookworm": 1, "ghcr.io/sigstore/cosign/cosign:v2.4.1": 1, "10.87.0.1:5001/sigstore/cosign:v2.4.1": 1}, calls)
	require.Len(t, changes, 3)
	assert.Equal(t, "docker.io/library/debian:bookworm: "+oldD+" -> "+newD, changes[0].String())

	_, _, err = UpdateDigests(context.Background(), []byte(src), func(context.Context, string, string) (string, error) {
		return "", errors.New("unauthorized")
	})
	assert.ErrorContains(t, err, "could not read the current digest of:\n  docker.io/library/debian:bookworm: unauthorized")
	_, _, err = UpdateDigests(context.Background(), []byte(src), func(context.Context, string, string) (string, error) { return "latest", nil })
	assert.ErrorContains(t, err, `the registry answered digest "latest"`)
}

func TestUpdateSnapshot(t *testing.T) {
	src := []byte("# comment snapshot: 19990101T000000Z\nversion: 1\nsnapshot: 20261120T000000Z\ndistributions: {}\n")
	out, changes, err := UpdateSnapshot(src, time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, "# comment snapshot: 19990101T000000Z\nversion: 1\nsnapshot: 20261206T000000Z\ndistributions: {}\n", string(out))
	assert.Equal(t, []Change{{What: "apt snapshot", From: "20261120T000000Z", To: "20261206T000000Z"}}, changes)
	same, changes, err := UpdateSnapshot(out, time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, out, same)
	assert.Empty(t, changes)
	_, _, err = UpdateSnapshot(src, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorContains(t, err, "snapshots only move forward")
	_, _, err = UpdateSnapshot([]byte("version: 1\n"), time.Now())
	assert.ErrorContains(t, err, "no line snapshot:")
}
