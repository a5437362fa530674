package release

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimits(t *testing.T) {
	l := Limits{}.WithDefaults()
	require.NoError(t, l.Check())
	lim, part := l.Bytes()
	assert.Equal(t, int64(2048)<<20, lim)
	assert.Equal(t, int64(1900)<<20, part)
	assert.ErrorContains(t, Limits{4096, 1900}.Check(), "asset-limit-mib 4096")
	assert.ErrorContains(t, Limits{64, 64}.Check(), "part-size-mib 64: must be above 0 and below --asset-limit-mib (64)")
	assert.ErrorContains(t, Limits{-1, 1}.Check(), "asset-limit-mib -1")
}

func TestCheckParts(t *testing.T) {
	a := Asset{"d.qcow2", 100 << 20, shaA}
	planned, err := SplitPlan(a, 64<<20, 40<<20)
	require.NoError(t, err)
	require.Len(t, planned, 3)
	got := []Asset{{"d.qcow2.part01", 40 << 20, shaA}, {"d.qcow2.part02", 40 << 20, shaA}, {"d.qcow2.part03", 20 << 20, shaA}}
	require.NoError(t, CheckParts(a, planned, got))
	assert.ErrorContains(t, CheckParts(a, planned, got[:2]), "2 parts written, 3 planned")
	got[2].Size = 1
	assert.ErrorContains(t, CheckParts(a, planned, got), "part d.qcow2.part03 is 1 bytes")
}

func TestPlanPushes(t *testing.T) {
	gs := []Group{{Repo: "unisonos-baremetal", Files: []Asset{{"a.iso", 1, shaA}}}, {Repo: "unisonos-wsl", Files: []Asset{{"b.wsl", 1, shaA}, {"c.tar.gz", 1, shaA}}}}
	ps := PlanPushes("ghcr.io/o/unison-platform", []string{"v1.0.0", "latest"}, gs)
	require.Len(t, ps, 3)
	assert.Equal(t, Push{Repository: "ghcr.io/o/unison-platform", Kind: "image", Tags: []string{"v1.0.0", "latest"}}, ps[0])
	assert.Equal(t, "ghcr.io/o/unisonos-wsl", ps[2].Repository)
	assert.Equal(t, []string{"b.wsl", "c.tar.gz"}, ps[2].Files)
}
