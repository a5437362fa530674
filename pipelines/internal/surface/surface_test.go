package surface

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(t *testing.T) *API {
	a, err := Load("../../../ci", "UnisonPlatform")
	require.NoError(t, err)
	return a
}

func TestKebab(t *testing.T) {
	for in, want := range map[string]string{"BaremetalIso": "baremetal-iso", "baseIsoSha256": "base-iso-sha256",
		"ModelsJson": "models-json", "sshAuthorizedKeysFile": "ssh-authorized-keys-file", "Vm": "vm", "maxSizeMib": "max-size-mib"} {
		assert.Equal(t, want, Kebab(in), in)
	}
}

// Commands as the docs write them pass; each kind of mistake is caught.
func TestCheck(t *testing.T) {
	a := load(t)
	for _, line := range []string{
		`dagger call -m $M baremetal-iso --version v0.6.0 --ssh-authorized-keys-file ~/.ssh/id_ed25519.pub export --path out/iso`,
		`dagger call build --version v1.2.3 with-admin --ssh-authorized-keys-file k.pub vm --vmdk export --path out/vm`,
		`dagger call --progress=plain --images=x qa vm --image d.qcow2 --isolated report export --path out/qa`,
		`dagger call inputs version --ref refs/heads/release/1.4 --sha $(git rev-parse HEAD) --existing-tags "$(git tag -l 'v*' | paste -sd,)" tags`,
		`dagger call release --ref refs/tags/v0.6.0 … artifact --name linux-vm export --path built/`,
		`dagger call pins check`,
		`./airgap/dagger call --tools-image="$X" lab toolbox versions`,
	} {
		cmds := Commands(line)
		require.Len(t, cmds, 1, line)
		assert.NoError(t, a.Check(cmds[0]), line)
	}
	for line, want := range map[string]string{
		`dagger call qa-smoke --image d.qcow2`:                              `"qa-smoke": no such function of UnisonPlatform`,
		`dagger call qa vm --iso x.iso`:                                     `--iso: no such argument`,
		`dagger call build --version v1 with-admin iso --timezone X --vmdk`: `--vmdk: no such argument`,
		`dagger call --nope x build`:                                        `--nope: no such option of the module`,
		`dagger call inputs compat --platform-version 0.6.0 extra`:          `"extra": compat returns a value, nothing chains on it`,
	} {
		err := a.Check(Commands(line)[0])
		if assert.Error(t, err, line) {
			assert.Contains(t, err.Error(), want, line)
		}
	}
}

func TestWords(t *testing.T) {
	assert.Equal(t, []string{"dagger", "call", "x", "--a", "b c", "$(git show -s --format=%cI)"},
		Words(`dagger call x --a "b c" $(git show -s --format=%cI) | tee f # comment`))
	assert.Len(t, Commands("dagger call a \\\n  --b c\necho\n./airgap/dagger call d"), 2)
}
