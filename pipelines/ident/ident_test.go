package ident

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIdent(t *testing.T) {
	assert.True(t, Hostname("unison-01"))
	assert.False(t, Hostname("Unison_01"))
	assert.False(t, Hostname("-x"))
	assert.True(t, User("unison"))
	assert.False(t, User("root"))
	assert.False(t, User("Bad User"))
	assert.True(t, SSHKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"))
	assert.True(t, SSHKey("ecdsa-sha2-nistp256 AAAAE2Vj"))
	assert.False(t, SSHKey("not a key"))
	assert.False(t, SSHKey("ssh-ed25519"))
}

func TestPackage(t *testing.T) {
	for _, ok := range []string{"docker.io", "docker-compose-v2", "g++", "libstdc++6", "dvd+rw-tools", "ufw"} {
		assert.True(t, Package(ok), ok)
	}
	for _, bad := range []string{"apparmor-", "foo+", "docker.io=1.0", "vim/bookworm", "vim:amd64", "-y", "Docker", "a", "x y", "$(id)"} {
		assert.False(t, Package(bad), bad)
	}
}
