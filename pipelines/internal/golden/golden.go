// Package golden compares test output with a golden file under testdata/;
// UPDATE_GOLDEN=1 rewrites the file instead.
package golden

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Equal asserts that got equals the content of the golden file at path.
func Equal(t testing.TB, path string, got []byte) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run with UPDATE_GOLDEN=1 to create it")
	assert.Equal(t, string(want), string(got), "differs from %s (UPDATE_GOLDEN=1 rewrites it)", path)
}
