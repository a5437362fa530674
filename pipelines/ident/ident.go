// Package ident validates the identities every image is configured with:
// host names, user names and SSH public keys.
package ident

import (
	"regexp"
	"strings"
)

var (
	hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	userRE = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)
	keyRE  = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com|sk-ecdsa-sha2-nistp256@openssh.com) [A-Za-z0-9+/]+={0,3}( .*)?$`)
)

// Hostname: lowercase letters, digits and '-', at most 63 (RFC 1123 label).
func Hostname(s string) bool { return hostRE.MatchString(s) }

// User: a login name that is not root.
func User(s string) bool { return userRE.MatchString(s) && s != "root" }

// SSHKey: one OpenSSH public key line.
func SSHKey(s string) bool { return keyRE.MatchString(strings.TrimSpace(s)) }
