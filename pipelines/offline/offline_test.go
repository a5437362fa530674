package offline

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackages(t *testing.T) {
	p, err := Packages("NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"24.04\"\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"docker.io", "docker-compose-v2"}, p)
	p, err = Packages("ID=debian\nVERSION_ID=\"12\"\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"docker.io", "apparmor"}, p)
	_, err = Packages("ID=fedora\n")
	require.ErrorContains(t, err, `no Docker package list for the target OS "fedora"`)
	assert.Equal(t, "ubuntu-24.04", Release("ID=ubuntu\nVERSION_ID=\"24.04\"\n"))
}

func TestManifestSizes(t *testing.T) {
	files, err := ParseListing("debs/docker.io_20.10_amd64.deb\t3145728\t" + strings.Repeat("a", 64) + "\nimages/inference.tar\t1048576\t" + strings.Repeat("b", 64) + "\n")
	require.NoError(t, err)
	m := Manifest{Target: "debian-12", Files: files, Packages: files[:1], Images: []Image{{Service: "inference"}}, Models: 2 << 20, Total: 6 << 20}
	assert.Equal(t, "offline payload for debian-12: 6.0 MiB (packages 3.0 MiB in 1 files, images 1.0 MiB for 1 services, models 2.0 MiB)", m.Summary())
	require.NoError(t, m.CheckSize(0))
	require.NoError(t, m.CheckSize(6))
	require.ErrorContains(t, m.CheckSize(5), "max-size-mib 5: offline payload for debian-12: 6.0 MiB")
	_, err = ParseListing("x\t1\n")
	require.ErrorContains(t, err, "line 1")
	assert.Contains(t, m.JSON(), `"path": "debs/docker.io_20.10_amd64.deb"`)
}
