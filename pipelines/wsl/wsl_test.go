package wsl

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigFiles(t *testing.T) {
	c := Config{DefaultUser: "unison", Version: "v1.2.3"}
	require.NoError(t, c.Check())
	assert.Contains(t, c.WslConf(), "[boot]\nsystemd=true\n")
	assert.Contains(t, c.WslConf(), "[user]\ndefault=unison\n")
	assert.Contains(t, c.DistributionConf(), "command = /usr/lib/wsl/oobe.sh")
	assert.Contains(t, c.DistributionConf(), "defaultUid = 1000")
	assert.Contains(t, c.OOBEScript(), "--uid 1000")
	for _, u := range []string{"systemd-resolved.service", "systemd-networkd.service", "NetworkManager.service", "tmp.mount"} {
		assert.Contains(t, FinalizeScript, u)
	}
	md, err := c.Metadata("light", "abc", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Contains(t, md, `"build_date": "2026-11-20T10:00:00Z"`)
	assert.Equal(t, "unisonos-v1.2.3.wsl", FileName("wsl", "v1.2.3"))
	assert.Equal(t, "unisonos-wsl-rootfs-v1.2.3.tar.gz", FileName("rootfs", "v1.2.3"))
	assert.Equal(t, "unisonos-wsl-v1.2.3.tar.gz", FileName("bundle", "v1.2.3"))
}

func TestCheck(t *testing.T) {
	for _, c := range []Config{{DefaultUser: "root", Version: "1"}, {DefaultUser: "Bad User", Version: "1"}, {DefaultUser: "u", Version: "a b"}} {
		err := c.Check()
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "default-user") || strings.HasPrefix(err.Error(), "version"))
	}
}
