package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The release step of channels.yml, run as a runner runs it: a dry run
// signs nothing (no keyless certificate, nothing in the public
// transparency log); a publication signs keylessly.
func TestChannelsDryRunSignsNothing(t *testing.T) {
	w, script := stepScript(t, "channels.yml", "channel", func(name string) bool { return name == "release (channel)" })
	bin := t.TempDir()
	dagger := "#!/bin/bash\nprintf '%s\\0' \"$@\" > \"$DAGGER_ARGS\"\nmkdir -p \"$RUNNER_TEMP/dist\"; echo plan > \"$RUNNER_TEMP/dist/PLAN.txt\"\n"
	if err := os.WriteFile(filepath.Join(bin, "dagger"), []byte(dagger), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dryRun, terminal string
		signs            bool
	}{{"true", "dry-run", false}, {"false", "publish", true}, {"", "publish", true}} {
		tmp := t.TempDir()
		checkout := filepath.Join(tmp, "checkout")
		gitRepo(t, checkout)
		argsFile := filepath.Join(tmp, "args")
		cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+tmp, "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"),
			"DAGGER_ARGS="+argsFile, "DRY_RUN="+tc.dryRun, "GITHUB_REF=refs/heads/main", "GITHUB_SHA=0", "GITHUB_RUN_NUMBER=1",
			"OWNER=o", "ACTOR=a", "GITHUB_SERVER_URL=https://github.com", "GITHUB_WORKFLOW_REF=o/x/.github/workflows/channels.yml@refs/heads/main",
			"GITHUB_REPOSITORY=o/x", "GITHUB_RUN_ID=1", "GITHUB_RUN_ATTEMPT=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dry_run %q: step failed: %v\n%s", tc.dryRun, err, out)
		}
		argv := recordedArgs(t, argsFile)
		joined := "\x00" + strings.Join(argv, "\x00") + "\x00"
		if got := strings.Contains(joined, "\x00with-keyless\x00"); got != tc.signs {
			t.Errorf("dry_run %q: with-keyless in the call: %t, want %t\n%q", tc.dryRun, got, tc.signs, argv)
		}
		if !strings.Contains(joined, "\x00"+tc.terminal+"\x00") {
			t.Errorf("dry_run %q: no %s in the call: %q", tc.dryRun, tc.terminal, argv)
		}
		for _, a := range argv {
			if a == "" {
				t.Errorf("dry_run %q: an empty argument reached dagger: %q", tc.dryRun, argv)
			}
		}
	}
}
