package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/dirhash"
)

// A module's source is accepted only with the pinned hash: a changed or an
// added file is refused naming both hashes, a missing pin names the fix.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "cmd", "engine"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "engine", "main.go"), []byte("package main\nfunc main() {}\n"), 0o644))
	h, err := dirhash.HashDir(dir, "example.com/m@v1.0.0", dirhash.Hash1)
	require.NoError(t, err)
	sums := filepath.Join(t.TempDir(), "pins.sum")
	require.NoError(t, os.WriteFile(sums, []byte("example.com/other v1.0.0 h1:x=\nexample.com/m v1.0.0/go.mod h1:y=\nexample.com/m v1.0.0 "+h+"\n"), 0o644))

	got, err := check(sums, "example.com/m@v1.0.0", dir)
	require.NoError(t, err)
	assert.Equal(t, h, got)

	// tampered: one byte of the engine's source
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "engine", "main.go"), []byte("package main\nfunc main() {}\n\n"), 0o644))
	_, err = check(sums, "example.com/m@v1.0.0", dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pins "+h+": refusing to build from it")
	assert.Contains(t, err.Error(), "hashes to h1:")

	// an added file
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cmd", "engine", "main.go"), []byte("package main\nfunc main() {}\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.go"), []byte("package m\n"), 0o644))
	_, err = check(sums, "example.com/m@v1.0.0", dir)
	assert.ErrorContains(t, err, "refusing to build from it")

	_, err = check(sums, "example.com/m@v1.0.1", dir)
	assert.ErrorContains(t, err, "no h1: hash pinned for example.com/m v1.0.1")
	_, err = check(sums, "example.com/m", dir)
	assert.ErrorContains(t, err, "want path@version")
}

// The pins in the repository are the ones the air-gapped build checks.
func TestRepositoryPins(t *testing.T) {
	for _, m := range []string{"github.com/dagger/dagger@v0.19.7", "dagger.io/dagger@v0.19.7"} {
		h, err := pinned("../dagger.sum", m)
		require.NoError(t, err, m)
		assert.Regexp(t, `^h1:[A-Za-z0-9+/]{43}=$`, h)
	}
	// the Go SDK's pin is the one the repository's go.sum holds (checked against sum.golang.org when it was added)
	sdk, err := pinned("../dagger.sum", "dagger.io/dagger@v0.19.7")
	require.NoError(t, err)
	fromGoSum, err := pinned("../../go.sum", "dagger.io/dagger@v0.19.7")
	require.NoError(t, err)
	assert.Equal(t, fromGoSum, sdk)
}
