// Package ident validates the identities every image is configured with:
// host names, user names and SSH public keys.
package ident

import (
	"regexp"
	"strings"
	"unicode"
)

var (
	hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	userRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	keyRE  = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com|sk-ecdsa-sha2-nistp256@openssh.com) [A-Za-z0-9+/]+={0,3}( .*)?$`)
)

// Hostname: lowercase letters, digits and '-', at most 63 (RFC 1123 label).
func Hostname(s string) bool { return hostRE.MatchString(s) }

// User: a login name that is not a system account or reserved name (see Reserved).
func User(s string) bool { return userRE.MatchString(s) && !Reserved(s) }

// reservedUsers are Debian's and Ubuntu's system accounts (base-passwd and
// the usual packages), the groups an admin joins, and the cloud images'
// default user: none may become the passwordless-sudo admin.
var reservedUsers = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`root daemon bin sys sync games man lp mail news uucp proxy www-data backup
		list irc gnats nobody nogroup _apt messagebus syslog sshd tss uuidd tcpdump landscape pollinate
		lxd dnsmasq polkitd usbmux fwupd-refresh dhcpcd ntp chrony postfix docker sudo adm admin wheel
		staff users plugdev netdev ubuntu debian unison-platform`) {
		reservedUsers[u] = true
	}
}

// Reserved reports a system account or reserved name (also systemd-* and _*).
func Reserved(s string) bool {
	return reservedUsers[s] || strings.HasPrefix(s, "systemd-") || strings.HasPrefix(s, "_")
}

// SSHKey: one OpenSSH public key line (surrounding space allowed, no control characters).
func SSHKey(s string) bool {
	s = strings.TrimSpace(s)
	return !strings.ContainsFunc(s, unicode.IsControl) && keyRE.MatchString(s)
}

var packageRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]*[a-z0-9+]$`)

// Package reports a Debian package name as apt takes it literally: no
// operator suffix (apparmor- removes, foo+ installs), version (=), release
// (/) or architecture (:) qualifier. Names such as g++ or libstdc++6 pass.
func Package(s string) bool {
	if !packageRE.MatchString(s) {
		return false
	}
	return !strings.HasSuffix(s, "+") || strings.HasSuffix(s, "++")
}
