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
	p, err = Packages("PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\nVERSION_ID=\"13\"\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"docker.io", "docker-cli", "docker-compose", "apparmor"}, p)
	p, err = Packages("ID=debian\n") // testing and unstable have no VERSION_ID
	require.NoError(t, err)
	assert.Equal(t, []string{"docker.io", "docker-cli", "docker-compose", "apparmor"}, p)
	for _, old := range []string{"12", "11"} {
		_, err = Packages("ID=debian\nVERSION_ID=\"" + old + "\"\n")
		require.ErrorContains(t, err, "offline: Debian "+old+" packages no Compose v2")
		require.ErrorContains(t, err, "use Debian 13 or later, or Ubuntu 24.04")
	}
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
	// images/SHA256SUMS lists the image archives of the manifest, nothing else
	more, err := ParseListing("images/auth.tar\t1\t" + strings.Repeat("c", 64) + "\nimages/x/odd.tar\t1\t" + strings.Repeat("d", 64) + "\nimages/notes.txt\t1\t" + strings.Repeat("e", 64) + "\n")
	require.NoError(t, err)
	m.Files = append(files, more...)
	assert.Equal(t, strings.Repeat("b", 64)+"  inference.tar\n"+strings.Repeat("c", 64)+"  auth.tar\n", m.ImageSums())
}

func TestManifestRoundTripAndDebPackages(t *testing.T) {
	sum := strings.Repeat("c", 64)
	files, err := ParseListing("debs/containerd_1.7.12-0ubuntu4_amd64.deb\t10\t" + sum + "\ndebs/libc6_1%3a2.39-0ubuntu8_amd64.deb\t20\t" + sum + "\n")
	require.NoError(t, err)
	m := Manifest{Target: "ubuntu-24.04", Files: files, Packages: files, Total: 30}
	back, err := ParseManifest("manifest.json", m.JSON())
	require.NoError(t, err)
	assert.Equal(t, m.Summary(), back.Summary())
	pkgs, err := back.DebPackages()
	require.NoError(t, err)
	require.Len(t, pkgs, 2)
	assert.Equal(t, "containerd", pkgs[0].Name)
	assert.Equal(t, "1:2.39-0ubuntu8", pkgs[1].Version, "the epoch's colon is decoded")
	assert.Equal(t, "pkg:deb/ubuntu/libc6@1%3A2.39-0ubuntu8?arch=amd64&distro=ubuntu-24.04", pkgs[1].PURL)
	assert.Equal(t, sum, pkgs[1].SHA256)

	for _, tc := range []struct{ data, want string }{
		{`{"target":"x"`, "manifest.json: unexpected EOF"},
		{`{"target":"x","files":[],"extra":1}`, `unknown field "extra"`},
		{`{"target":"","files":[]}`, "not an offline payload's manifest"},
	} {
		_, err := ParseManifest("manifest.json", tc.data)
		assert.ErrorContains(t, err, tc.want, tc.data)
	}
	bad := Manifest{Target: "ubuntu-24.04", Files: files, Packages: []File{{Path: "debs/odd.deb"}}}
	_, err = bad.DebPackages()
	assert.ErrorContains(t, err, "debs/odd.deb: want name_version_arch.deb")
}
