package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The pins-update step of pins.yml, run as a runner runs it against a
// dagger stand-in (newer pins) and a gh stand-in, in a checkout whose origin
// is a local bare repository: the branch is pushed and the pull request
// opened; opened with GITHUB_TOKEN (no PINS_TOKEN), CI is dispatched on the
// branch (a pull request GITHUB_TOKEN opens starts no workflow); opened
// with PINS_TOKEN it is not (CI starts as on any pull request).
func TestPinsUpdateStartsCI(t *testing.T) {
	w, script := stepScript(t, "pins.yml", "pins", func(name string) bool { return strings.HasPrefix(name, "pins-update") })
	bin := t.TempDir()
	dagger := "#!/bin/bash\n# pins-update export --path P\necho 'pins: newer' > \"${@: -1}\"\n"
	gh := "#!/bin/bash\necho \"gh $* token=$GH_TOKEN\" >> \"$GH_LOG\"\n"
	for name, body := range map[string]string{"dagger": dagger, "gh": gh} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	for _, tc := range []struct {
		name, pinsToken string
		dispatch        bool
	}{{"GITHUB_TOKEN only", "", true}, {"PINS_TOKEN", "pat", false}} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			origin, checkout := filepath.Join(tmp, "origin.git"), filepath.Join(tmp, "checkout")
			run("init", "-q", "--bare", origin)
			run("init", "-q", checkout)
			_ = os.MkdirAll(filepath.Join(checkout, "images"), 0o755)
			_ = os.WriteFile(filepath.Join(checkout, "images", "ubuntu.yaml"), []byte("pins: old\n"), 0o644)
			run("-C", checkout, "add", "-A")
			run("-C", checkout, "commit", "-qm", "x")
			run("-C", checkout, "remote", "add", "origin", origin)
			run("-C", checkout, "push", "-q", "origin", "main")
			ghLog := filepath.Join(tmp, "gh.log")
			token := "github-token"
			if tc.pinsToken != "" {
				token = tc.pinsToken // what ${{ secrets.PINS_TOKEN || secrets.GITHUB_TOKEN }} gives
			}
			cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
			cmd.Dir = checkout
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+tmp, "GH_LOG="+ghLog,
				"GH_TOKEN="+token, "PINS_TOKEN_SET="+map[bool]string{true: "true", false: "false"}[tc.pinsToken != ""], "DISPATCH_TOKEN=github-token")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("step failed: %v\n%s", err, out)
			}
			calls, _ := os.ReadFile(ghLog)
			if !strings.Contains(string(calls), "gh pr create --head pins/") || !strings.Contains(string(calls), "token="+token+"\n") {
				t.Errorf("the pull request is opened with %s:\n%s", token, calls)
			}
			dispatched := strings.Contains(string(calls), "gh workflow run ci.yml --ref pins/")
			if dispatched != tc.dispatch {
				t.Errorf("ci.yml dispatched: %t, want %t:\n%s", dispatched, tc.dispatch, calls)
			}
			if out, err := exec.Command("git", "-C", origin, "branch", "--list", "pins/*").Output(); err != nil || !strings.Contains(string(out), "pins/") {
				t.Errorf("the update branch was not pushed: %v %s", err, out)
			}
		})
	}
}
