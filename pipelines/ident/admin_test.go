package ident

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b"

func TestAdminDefaults(t *testing.T) {
	a := Admin{Keys: []string{"  " + key + " \n", "", " "}, PasswordHash: "$6$saltsalt$abc\n"}.WithDefaults()
	assert.Equal(t, Admin{User: "unison", Hostname: "unisonos", Keys: []string{key}, PasswordHash: "$6$saltsalt$abc"}, a)
	// the hash checked is the hash rendered: only a file's final newline goes, anything else around it is refused
	for _, h := range []string{" $6$saltsalt$abc", "$6$saltsalt$abc \n", "\n$6$saltsalt$abc", "$6$saltsalt$abc\n\n", "$6$saltsalt$abc\n$6$other123$def", "\t$6$saltsalt$abc"} {
		err := Admin{Keys: []string{key}, PasswordHash: h}.WithDefaults().Check()
		assert.ErrorContains(t, err, "password-hash: white space or a second line around the hash", "%q", h)
	}
	assert.NoError(t, Admin{Keys: []string{key}, PasswordHash: "$6$saltsalt$abc\r\n"}.WithDefaults().Check())
	require.NoError(t, a.Check())
	require.NoError(t, a.RequireKeys("x"))
}

func TestAdminCheck(t *testing.T) {
	for name, tc := range map[string]struct {
		a     Admin
		field string
		msg   string
	}{
		"host":        {Admin{Hostname: "Bad_Host"}, "hostname", "not a valid host name"},
		"root":        {Admin{User: "root"}, "admin-user", "system account or reserved name"},
		"key":         {Admin{Keys: []string{key, "ssh-rsa"}}, "ssh-authorized-keys", "key 2 is not an OpenSSH public key"},
		"plain":       {Admin{PasswordHash: "hunter2"}, "password-hash", "never a plain password"},
		"placeholder": {Admin{PasswordHash: "$6$CHANGEME1$abc"}, "password-hash", "placeholder"},
		"short salt":  {Admin{PasswordHash: "$6$abc$abcdef"}, "password-hash", "too short"},
		"sha256crypt": {Admin{PasswordHash: "$5$saltsaltsalt$abcdef"}, "password-hash", "weaker method"},
		"md5crypt":    {Admin{PasswordHash: "$1$saltsalt$abcdef"}, "password-hash", "weaker method"},
		"nobody":      {Admin{User: "nobody"}, "admin-user", "system account or reserved name"},
		"www-data":    {Admin{User: "www-data"}, "admin-user", "system account or reserved name"},
		"systemd":     {Admin{User: "systemd-network"}, "admin-user", "system account"},
		"ubuntu":      {Admin{User: "ubuntu"}, "admin-user", "reserved"},
		"uppercase":   {Admin{User: "Unison"}, "admin-user", "not a valid user name"},
		"key ctrl":    {Admin{Keys: []string{key + "\x1b[2J"}}, "ssh-authorized-keys", "key 1"},
	} {
		err := tc.a.WithDefaults().Check()
		var e *Error
		if assert.ErrorAs(t, err, &e, name) {
			assert.Equal(t, tc.field, e.Field, name)
			assert.Contains(t, e.Msg, tc.msg, name)
		}
	}
	err := Admin{}.WithDefaults().RequireKeys("the VM would be unreachable")
	assert.EqualError(t, err, "ssh-authorized-keys: give at least one SSH public key (ed25519 recommended; --ssh-authorized-keys or --ssh-authorized-keys-file): the VM would be unreachable")
}

func TestParseKeys(t *testing.T) {
	assert.Equal(t, []string{key, "ssh-rsa AAAA x"}, ParseKeys("# admins\n\n  "+key+"  \r\nssh-rsa AAAA x\n#end"))
	assert.Nil(t, ParseKeys("\n# nothing\n"))
}
