package grub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInstallerGolden(t *testing.T) {
	for _, name := range []string{"ubuntu-24.04-grub.cfg", "ubuntu-24.04-loopback.cfg", "ubuntu-22.04-grub.cfg", "ubuntu-22.04-loopback.cfg"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			got, err := Installer(string(in), "")
			require.NoError(t, err)
			golden.Equal(t, filepath.Join("testdata", name+".installer.golden"), []byte(got))
			// one unattended entry, first (the default), then the interactive one
			assert.Equal(t, 1, strings.Count(got, `autoinstall "ds=nocloud;s=/cdrom/nocloud/" ---`))
			u, i := strings.Index(got, UnattendedTitle), strings.Index(got, InteractiveTitle)
			require.True(t, u >= 0 && i > u, got)
			assert.Less(t, u, strings.Index(got, "menuentry \"Ubuntu Server with the HWE kernel\""))
			// the interactive entry has the original kernel line: no autoinstall
			inter := got[i:]
			inter = inter[:strings.Index(inter, "}")]
			assert.NotContains(t, inter, "autoinstall")
			assert.Contains(t, inter, "linux\t/casper/vmlinuz")
			// every original line is still there, in order
			rest := got
			for _, l := range strings.Split(string(in), "\n") {
				if strings.HasPrefix(l, "menuentry \"Try or Install") || strings.HasPrefix(strings.TrimSpace(l), "linux\t/casper/vmlinuz") {
					continue
				}
				k := strings.Index(rest, l)
				require.GreaterOrEqual(t, k, 0, "line %q lost", l)
				rest = rest[k+len(l):]
			}
			again, err := Installer(got, "")
			require.NoError(t, err)
			assert.Equal(t, got, again, "idempotent")
		})
	}
}

func TestInstallerCases(t *testing.T) {
	got, err := Installer("set default=0\n  menuentry 'Install' --class ubuntu {\n\tlinux /v ---\n\tinitrd /i\n  }\n", "")
	require.NoError(t, err)
	assert.Equal(t, "set default=0\n  menuentry \""+UnattendedTitle+"\" --class ubuntu {\n\tlinux /v autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" ---\n\tinitrd /i\n  }\n"+
		"  menuentry \""+InteractiveTitle+"\" --class ubuntu {\n\tlinux /v ---\n\tinitrd /i\n  }\n", got)
	_, err = Installer("linux /v ---\n", "")
	assert.ErrorIs(t, err, ErrNoMenuEntry)
	_, err = Installer("menuentry 'x' {\n  linux16 /memtest\n}\n", "")
	assert.ErrorIs(t, err, ErrNoKernelLine)
}

func FuzzInstaller(f *testing.F) {
	f.Add("menuentry \"a\" {\n linux /v ---\n}\n")
	f.Add("menuentry 'b' --class x {\n\tlinux\t/casper/vmlinuz  iso-scan/filename=${iso_path} ---\n}\nmenuentry 'c' {\n}\n")
	f.Fuzz(func(t *testing.T, cfg string) {
		got, err := Installer(cfg, "")
		if err != nil {
			return
		}
		again, err := Installer(got, "")
		if err != nil || again != got {
			t.Fatalf("not idempotent on %q", cfg)
		}
		if strings.Count(got, UnattendedTitle) != 1 || strings.Count(got, InteractiveTitle) != 1 {
			t.Fatalf("want one entry of each kind for %q:\n%s", cfg, got)
		}
	})
}
