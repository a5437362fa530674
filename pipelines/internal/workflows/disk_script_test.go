package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// disk.sh, as release.yml's jobs run it first: the runner image's unused
// toolchains are deleted, then a job that cannot fit fails at once, naming
// the space it needs and vars.RELEASE_RUNNER; df is a stand-in reporting
// $FREE_KIB.
func TestDiskScript(t *testing.T) {
	script, _ := filepath.Abs("../../../.github/scripts/disk.sh")
	bin := t.TempDir()
	df := "#!/bin/sh\necho 'Filesystem 1024-blocks Used Available Capacity Mounted on'\necho \"/dev/root 1 1 $FREE_KIB 1% /\"\n"
	if err := os.WriteFile(filepath.Join(bin, "df"), []byte(df), 0o755); err != nil {
		t.Fatal(err)
	}
	const gib = 1 << 20 // KiB
	for _, tc := range []struct {
		name, job, needEnv string
		freeGiB            int
		fail, frees        bool
		want               string
	}{
		{"the ISO job fits", "baremetal-iso", "", 20, false, true, "disk: 20 GiB free at /; the baremetal-iso job needs about 12 GiB"},
		{"the ISO job does not", "baremetal-iso", "", 11, true, true, "::error::the baremetal-iso job needs about 12 GiB of disk and this runner has 11 GiB free at /: set vars.RELEASE_RUNNER"},
		{"an override", "publish", "10", 14, false, true, "needs about 10 GiB"},
		// bad input: refused before anything is deleted
		{"a bad override", "publish", "lots", 14, true, false, `DISK_NEED_GIB "lots": want a whole number of GiB`},
		{"an unknown job", "docs", "", 14, true, false, `disk.sh: unknown job "docs"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			toolchain := filepath.Join(t.TempDir(), "dotnet")
			if err := os.MkdirAll(filepath.Join(toolchain, "sdk"), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script+` "$JOB"`)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "JOB="+tc.job,
				"FREE_DIRS="+toolchain+" /nonexistent/toolchain", "DISK_PATH=/", "FREE_KIB="+strconv.Itoa(tc.freeGiB*gib))
			if tc.needEnv != "" {
				cmd.Env = append(cmd.Env, "DISK_NEED_GIB="+tc.needEnv)
			}
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("err %v, want failure %t:\n%s", err, tc.fail, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("want %q in:\n%s", tc.want, out)
			}
			if _, err := os.Stat(toolchain); os.IsNotExist(err) != tc.frees {
				t.Errorf("%s deleted: %t, want %t (toolchains go first, and never on bad input)", toolchain, os.IsNotExist(err), tc.frees)
			}
		})
	}
}
