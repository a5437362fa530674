package release

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	shaA = strings.Repeat("a", 64)
	shaB = strings.Repeat("b", 64)
)

func TestSHA256SUMS(t *testing.T) {
	s, err := SHA256SUMS([]Asset{{"unisonos-v1.2.3.wsl", 10, shaB}, {"unisonos-baremetal-v1.2.3.iso", 20, shaA}})
	require.NoError(t, err)
	assert.Equal(t, shaA+"  unisonos-baremetal-v1.2.3.iso\n"+shaB+"  unisonos-v1.2.3.wsl\n", s)
	for _, bad := range [][]Asset{
		{{"x y", 1, shaA}},
		{{"x", 1, "abc"}},
		{{"x", 0, shaA}},
		{{"x", 1, shaA}, {"x", 1, shaA}},
	} {
		_, err := SHA256SUMS(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestSplitPlan(t *testing.T) {
	small := Asset{"a.qcow2", GitHubAssetLimit - 1, shaA}
	parts, err := SplitPlan(small, DefaultPartSize)
	require.NoError(t, err)
	assert.Empty(t, parts, "below the limit: not split")

	big := Asset{"unisonos-baremetal-v1.2.3.iso", 3*DefaultPartSize + 5, shaA}
	parts, err = SplitPlan(big, DefaultPartSize)
	require.NoError(t, err)
	require.Len(t, parts, 4)
	var total int64
	for i, p := range parts {
		assert.Equal(t, total, p.Offset)
		total += p.Size
		assert.Less(t, p.Size, GitHubAssetLimit)
		assert.Equal(t, big.Name+".part0"+string(rune('1'+i)), p.Name)
	}
	assert.Equal(t, big.Size, total, "parts cover the whole file")
	assert.Equal(t, int64(5), parts[3].Size)

	_, err = SplitPlan(big, GitHubAssetLimit)
	require.Error(t, err)
	_, err = SplitPlan(Asset{"x", 100 * GitHubAssetLimit, shaA}, 1<<20)
	require.ErrorContains(t, err, "parts would be needed")
}

func TestReassembleAndNotesGolden(t *testing.T) {
	big := Asset{"unisonos-baremetal-v1.2.3.iso", 2*DefaultPartSize + 1, shaA}
	parts, err := SplitPlan(big, DefaultPartSize)
	require.NoError(t, err)
	golden.Equal(t, filepath.Join("testdata", "REASSEMBLE.golden.txt"), []byte(Reassemble(big, parts)))
	notes := Notes("v1.2.3", "stable", []Asset{big, {"unisonos-v1.2.3.wsl", 123456789, shaB}},
		map[string]string{"orchestrator": "v0.6.0", "inference": "v0.6.1"})
	golden.Equal(t, filepath.Join("testdata", "notes.golden.md"), []byte(notes))
}
