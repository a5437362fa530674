package iso

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVolumeID(t *testing.T) {
	id, err := VolumeID("v1.2.3-beta.4")
	require.NoError(t, err)
	assert.Equal(t, "UnisonOS v1.2.3-beta.4 amd64", id)
	id, err = VolumeID("v1.2.345678-rc.12")
	require.NoError(t, err)
	assert.Len(t, id, 32)
	_, err = VolumeID("v0.5.0-alpha.1-12-gabcdef0")
	require.ErrorContains(t, err, "over the ISO 9660 limit of 32")
	_, err = VolumeID("v1 2")
	require.ErrorContains(t, err, "only letters")
	require.Error(t, CheckVolumeID(strings.Repeat("x", 33)))
	require.NoError(t, CheckVolumeID("UNISONOS"))
}

func TestStableAndNames(t *testing.T) {
	assert.True(t, IsStable("v1.2.3"))
	assert.True(t, IsStable("1.2.3"))
	assert.False(t, IsStable("v1.2.3-rc.1"))
	assert.False(t, IsStable("edge-main-20261127"))
	assert.Equal(t, "unisonos-baremetal-v1.2.3.iso", FileName("v1.2.3"))
}

func TestCheckSHA256(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	require.NoError(t, CheckSHA256("base-iso", a, "sha256:"+a))
	err := CheckSHA256("base-iso", a, b)
	require.ErrorContains(t, err, "expected "+a+", got "+b)
	require.ErrorContains(t, CheckSHA256("base-iso", "xyz", a), "not 64 hex digits")
}

func TestPins(t *testing.T) {
	p, err := ParsePins("u.yaml", []byte("live_server_iso:\n  url: https://x/y.iso\n  sha256: "+strings.Repeat("a", 64)+"\n"))
	require.NoError(t, err)
	assert.Equal(t, "https://x/y.iso", p["live_server_iso"].URL)
	_, err = ParsePins("u.yaml", []byte("live_server_iso:\n  url: http://x/y.iso\n  sha256: "+strings.Repeat("a", 64)+"\n"))
	require.ErrorContains(t, err, "u.yaml:2: live_server_iso.url: want an https:// URL")
	_, err = ParsePins("u.yaml", []byte("live_server_iso:\n  url: https://x/y.iso\n  sha256: abc\n"))
	require.ErrorContains(t, err, "live_server_iso.sha256: want 64")
	_, err = ParsePins("u.yaml", []byte("live_server_iso:\n  url: https://x/y.iso\n"))
	require.ErrorContains(t, err, "needs both url and sha256")
}

func TestRealPins(t *testing.T) {
	data, err := os.ReadFile("../../images/ubuntu.yaml")
	require.NoError(t, err)
	p, err := ParsePins("images/ubuntu.yaml", data)
	require.NoError(t, err)
	assert.Contains(t, p["live_server_iso"].URL, "ubuntu-24.04")
}
