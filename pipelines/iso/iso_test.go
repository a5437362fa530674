package iso

import (
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
	require.ErrorContains(t, err, "use letters, digits")
	require.Error(t, CheckVolumeID(strings.Repeat("x", 33)))
	require.NoError(t, CheckVolumeID("UNISONOS"))
}

func TestReleaseVolumeID(t *testing.T) {
	for v, want := range map[string]string{
		"v1.2.3":                         "UnisonOS v1.2.3 amd64",
		"edge-feature-long-name-2026112": "UnisonOS edge-feature-long-name-",
		"edge-main-20261127":             "UnisonOS edge-main-20261127",
		"v1.2.3-beta.12345":              "UnisonOS v1.2.3-beta.12345 amd64",
	} {
		id, err := ReleaseVolumeID(v)
		require.NoError(t, err, v)
		assert.Equal(t, want, id, v)
		require.NoError(t, CheckVolumeID(id), v)
	}
	_, err := ReleaseVolumeID("bad version")
	require.ErrorContains(t, err, "version \"bad version\"")
}

func TestCheckSHA256(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	require.NoError(t, CheckSHA256("base-iso", a, "sha256:"+a))
	err := CheckSHA256("base-iso", a, b)
	require.ErrorContains(t, err, "expected "+a+", got "+b)
	require.ErrorContains(t, CheckSHA256("base-iso", "xyz", a), "not 64 hex digits")
}
