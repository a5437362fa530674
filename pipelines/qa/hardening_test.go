package qa

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hardened = `--- ufw
Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp (OpenSSH)           ALLOW IN    Anywhere
22/tcp (OpenSSH (v6))      ALLOW IN    Anywhere (v6)

--- apt
APT::Periodic "";
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
--- package
install ok installed
--- timer
enabled
`

func TestHardening(t *testing.T) {
	got := Hardening(hardened)
	require.Len(t, got, 2)
	assert.True(t, got[0].Passed, got[0].Message)
	assert.Equal(t, "firewall", got[0].Name)
	assert.True(t, got[1].Passed, got[1].Message)
	assert.Equal(t, "unattended upgrades", got[1].Name)

	// one change a case: only its rule fails, with a message naming what the guest showed
	for _, tc := range []struct{ name, old, new, result, want string }{
		{"inactive", "Status: active", "Status: inactive", "firewall", "ufw not active (Status: inactive)"},
		{"allow incoming", "Default: deny (incoming)", "Default: allow (incoming)", "firewall", "incoming traffic not denied by default"},
		{"no ssh rule", "22/tcp (OpenSSH)           ALLOW IN    Anywhere\n22/tcp (OpenSSH (v6))      ALLOW IN    Anywhere (v6)\n", "", "firewall", "no rule lets SSH in"},
		{"another port", "22/tcp (OpenSSH (v6))", "8080/tcp                   ALLOW IN    Anywhere\n22/tcp (OpenSSH (v6))", "firewall", "lets in more than SSH: 8080/tcp ALLOW IN Anywhere"},
		{"no ufw", "Status: active\n", "sudo: ufw: command not found\n", "firewall", "ufw not active (sudo: ufw: command not found)"},
		{"upgrades off", `Unattended-Upgrade "1"`, `Unattended-Upgrade "0"`, "unattended upgrades", `APT::Periodic::Unattended-Upgrade is not "1"`},
		{"lists off", `APT::Periodic::Update-Package-Lists "1";`, "", "unattended upgrades", `APT::Periodic::Update-Package-Lists is not "1"`},
		{"package missing", "install ok installed", "dpkg-query: no packages found matching unattended-upgrades", "unattended upgrades", "the unattended-upgrades package is not installed (dpkg-query: no packages found"},
		{"timer off", "--- timer\nenabled", "--- timer\ndisabled", "unattended upgrades", "apt-daily-upgrade.timer is disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(hardened, tc.old, tc.new, 1)
			require.NotEqual(t, hardened, in, "the case changes the output")
			for _, r := range Hardening(in) {
				if r.Name == tc.result {
					assert.False(t, r.Passed)
					assert.Contains(t, r.Message, tc.want)
				} else {
					assert.True(t, r.Passed, "%s: %s", r.Name, r.Message)
				}
			}
		})
	}
	// nothing collected at all: both fail
	for _, r := range Hardening("") {
		assert.False(t, r.Passed, r.Name)
	}
}
