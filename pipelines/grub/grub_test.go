package grub

import (
	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGolden(t *testing.T) {
	for _, name := range []string{"ubuntu-24.04-grub.cfg", "ubuntu-24.04-loopback.cfg", "ubuntu-22.04-grub.cfg", "ubuntu-22.04-loopback.cfg"} {
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			got, n, err := Patch(string(in), "")
			require.NoError(t, err)
			golden.Equal(t, filepath.Join("testdata", name+".golden"), []byte(got))
			assert.Equal(t, strings.Count(string(in), "\tlinux\t"), n, "every kernel line patched")

			// only kernel lines change
			inL, outL := strings.Split(string(in), "\n"), strings.Split(got, "\n")
			require.Len(t, outL, len(inL))
			for i := range inL {
				if strings.HasPrefix(strings.TrimSpace(inL[i]), "linux\t") {
					assert.Contains(t, outL[i], ` autoinstall "ds=nocloud;s=/cdrom/nocloud/" ---`)
				} else {
					assert.Equal(t, inL[i], outL[i])
				}
			}
			// idempotent
			again, n2, err := Patch(got, "")
			require.NoError(t, err)
			assert.Equal(t, got, again)
			assert.Zero(t, n2)
		})
	}
}

func TestCases(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"no separator: appended":    {"linux /casper/vmlinuz quiet\n", "linux /casper/vmlinuz quiet autoinstall \"ds=nocloud;s=/cdrom/nocloud/\"\n"},
		"args after separator kept": {"  linux /v --- console=ttyS0\n", "  linux /v autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" --- console=ttyS0\n"},
		"linuxefi":                  {"linuxefi /v ---\n", "linuxefi /v autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" ---\n"},
		"CRLF preserved":            {"linux /v ---\r\n", "linux /v autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" ---\r\n"},
		"--- inside a word ignored": {"linux /v a---b ---\n", "linux /v a---b autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" ---\n"},
		"already autoinstall":       {"linux /v autoinstall ds=x ---\n", "linux /v autoinstall ds=x ---\n"},
		"linux16 untouched":         {"linux16 /memtest\nlinux /v ---\n", "linux16 /memtest\nlinux /v autoinstall \"ds=nocloud;s=/cdrom/nocloud/\" ---\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, _, err := Patch(tc.in, "")
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNoKernelLine(t *testing.T) {
	for _, cfg := range []string{"", "set timeout=5\nmenuentry 'x' {\n  linux16 /memtest\n}\n", "# linux /casper/vmlinuz ---\n"} {
		_, _, err := Patch(cfg, "")
		assert.ErrorIs(t, err, ErrNoKernelLine, "%q", cfg)
	}
}

func FuzzPatch(f *testing.F) {
	f.Add("linux /casper/vmlinuz ---\n")
	f.Add("\tlinux\t/casper/vmlinuz  iso-scan/filename=${iso_path} ---\n")
	f.Fuzz(func(t *testing.T, cfg string) {
		got, _, err := Patch(cfg, "")
		if err != nil {
			return
		}
		again, n, err := Patch(got, "")
		if err != nil || again != got || n != 0 {
			t.Fatalf("not idempotent on %q", cfg)
		}
		if strings.Count(got, "\n") != strings.Count(cfg, "\n") {
			t.Fatalf("line count changed for %q", cfg)
		}
	})
}
