package artifact

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	for k, want := range map[Kind]string{
		ISO:        "unisonos-baremetal-v1.2.3.iso",
		ISOOffline: "unisonos-baremetal-offline-v1.2.3.iso",
		Payload:    "unisonos-baremetal-offline-v1.2.3.payload.json",
		Qcow2:      "unisonos-linux-vm-v1.2.3.qcow2",
		Vmdk:       "unisonos-linux-vm-v1.2.3.vmdk",
		WSL:        "unisonos-v1.2.3.wsl",
		WSLRootfs:  "unisonos-wsl-rootfs-v1.2.3.tar.gz",
		WSLBundle:  "unisonos-wsl-v1.2.3.tar.gz",
		Bundle:     "unison-platform-bundle-v1.2.3.tar.gz",
		Models:     "unisonos-models-v1.2.3.json",
	} {
		assert.Equal(t, want, Name(k, "v1.2.3"), k)
		s, ok := Match(want, "v1.2.3")
		require.True(t, ok, want)
		assert.Equal(t, k, s.Kind)
	}
	assert.Len(t, Catalog, 10, "a new kind needs a row above")
}

func TestMatchIsExact(t *testing.T) {
	for _, n := range []string{"unisonos-baremetal-v9.iso", "unisonos-wsl-rootfs-v1.2.3.tar", "unisonos-baremetal-v1.2.3.iso.sha256", "x"} {
		_, ok := Match(n, "v1.2.3")
		assert.False(t, ok, n)
	}
	// a version that contains another kind's infix still matches one row only
	s, ok := Match("unisonos-wsl-rootfs-v1.tar.gz", "rootfs-v1")
	require.True(t, ok)
	assert.Equal(t, WSLBundle, s.Kind)
}

func TestCheckSize(t *testing.T) {
	iso := Get(ISO)
	require.NoError(t, iso.CheckSize("a.iso", 15<<20))
	assert.ErrorContains(t, iso.CheckSize("a.iso", 10), "below the 1048576 minimum for iso files")
	assert.ErrorContains(t, iso.CheckSize("a.iso", 13<<30), "above")
	assert.Panics(t, func() { Get("nope") })
}

func TestRepos(t *testing.T) {
	assert.Equal(t, []string{"unisonos-baremetal", "unisonos-baremetal-offline", "unisonos-linux-vm", "unisonos-wsl", "unison-platform-bundle"}, Repos())
	for _, s := range Catalog {
		assert.Contains(t, s.ArtifactType, "application/vnd.unisonos.")
		assert.Less(t, s.Min, s.Max)
	}
}
