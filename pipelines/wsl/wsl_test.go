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
	assert.NotContains(t, c.WslConf(), "[user]", "only boot.systemd: the user comes from the OOBE")
	assert.Contains(t, c.DistributionConf(), "icon = /usr/share/wsl/unisonos.ico")
	assert.Contains(t, c.DistributionConf(), "command = /usr/lib/wsl/oobe.sh")
	assert.Contains(t, c.DistributionConf(), "defaultUid = 1000")
	assert.Contains(t, OOBEScript, "--uid 1000")
	assert.Contains(t, OOBEScript, DefaultUserFile)
	for _, u := range []string{"systemd-resolved.service", "systemd-networkd.service", "NetworkManager.service", "tmp.mount"} {
		assert.Contains(t, MaskedUnits, u)
	}
	assert.Contains(t, FinalizeScript, `for u in "$@"; do ln -sfn /dev/null "/etc/systemd/system/$u"`)
	md, err := c.Metadata("light", "abc", time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Contains(t, md, `"build_date": "2026-11-20T10:00:00Z"`)
	assert.Contains(t, md, `"rootfs": "unisonos-wsl-rootfs-v1.2.3.tar.gz"`)
}

func TestCheck(t *testing.T) {
	for _, c := range []Config{{DefaultUser: "root", Version: "1"}, {DefaultUser: "Bad User", Version: "1"}, {DefaultUser: "u", Version: "a b"}} {
		err := c.Check()
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), "admin-user") || strings.HasPrefix(err.Error(), "version"))
	}
}

func TestCheckPackages(t *testing.T) {
	require.NoError(t, CheckPackages([]string{"docker.io", "docker-compose-v2", "g++"}))
	for _, bad := range []string{"docker.io; rm -rf /", "$(id)", "-y", "Docker", "", "apparmor-", "libc6=2.36"} {
		assert.ErrorContains(t, CheckPackages([]string{bad}), "packages: ", bad)
	}
}
