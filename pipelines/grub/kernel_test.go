package grub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultEntry(t *testing.T) {
	// Ubuntu 24.04 live-server's grub.cfg, patched as baremetal-iso does
	base, err := os.ReadFile(filepath.Join("testdata", "ubuntu-24.04-grub.cfg"))
	require.NoError(t, err)
	cfg, err := Installer(string(base), "")
	require.NoError(t, err)
	kb, err := DefaultEntry(cfg)
	require.NoError(t, err)
	assert.Equal(t, KernelBoot{Kernel: "/casper/vmlinuz", Initrd: "/casper/initrd",
		Args: "autoinstall ds=nocloud;s=/cdrom/nocloud/ --- console=ttyS0"}, kb)

	kb, err = DefaultEntry("menuentry 'x' {\n\tlinux /casper/vmlinuz quiet console=ttyS0\n\tinitrd /casper/initrd\n}\n")
	require.NoError(t, err)
	assert.Equal(t, "quiet console=ttyS0", kb.Args, "a serial console is not added twice")
	assert.True(t, kb.Serial)

	for cfg, want := range map[string]string{
		"set timeout=5\n": "no `menuentry",
		"menuentry 'x' {\n\tlinux /casper/vmlinuz\n}\n":                      "no initrd line",
		"menuentry 'x' {\n\tlinux $kernel\n\tinitrd /casper/initrd\n}\n":     "not a plain path",
		"menuentry 'x' {\n\tlinux /../vmlinuz\n\tinitrd /casper/initrd\n}\n": "not a plain path",
	} {
		_, err := DefaultEntry(cfg)
		assert.ErrorContains(t, err, want, cfg)
	}
}
