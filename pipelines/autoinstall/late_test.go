package autoinstall

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLateCommands(t *testing.T) {
	cmds, err := LateCommands("#cloud-config\nautoinstall:\n  version: 1\n  late-commands:\n" +
		"    - mkdir -p /target/opt\n" +
		"    - [\"sh\", \"-c\", \"echo it's\"]\n" +
		"    - printf 'a\\nb\\n' > /target/x\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"mkdir -p /target/opt", `'sh' '-c' 'echo it'\''s'`, `printf 'a\nb\n' > /target/x`}, cmds)

	for doc, want := range map[string]string{
		"autoinstall: [":                                              "not valid YAML",
		"autoinstall:\n  version: 1\n":                                "no autoinstall late-commands",
		"autoinstall:\n  late-commands:\n    - {a: b}\n":              "late-commands[0]: want a command line",
		"autoinstall:\n  late-commands:\n    - |\n      a\n      b\n": "want one non-empty line",
		"autoinstall:\n  late-commands:\n    - [a, [b]]\n":            "late-commands[0]",
	} {
		_, err := LateCommands(doc)
		assert.ErrorContains(t, err, want, doc)
	}
}

// The rendered golden user-data runs as the commands the template lists.
func TestLateCommandsOfTheTemplate(t *testing.T) {
	ud, err := Render(tmpl(t), Config{Hostname: "unison-01", SSHAuthorizedKeys: []string{key}, Stable: true})
	require.NoError(t, err)
	cmds, err := LateCommands(ud)
	require.NoError(t, err)
	assert.Contains(t, cmds, "curtin in-target --target=/target -- systemctl enable unison-platform.service")
	assert.Contains(t, cmds[1], "tar -xzf /cdrom/nocloud/")
}
