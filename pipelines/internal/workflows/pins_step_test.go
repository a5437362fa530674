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
	w, script := stepScript(t, "pins.yml", "pins", func(name string) bool { return strings.HasPrefix(name, "upkeep") })
	bin := t.TempDir()
	// upkeep export --path P: the moved files at their paths, and UPKEEP.md
	dagger := "#!/bin/bash\nd=${@: -1}; mkdir -p \"$d/ci\" \"$d/images\"\necho 'pins: newer' > \"$d/images/ubuntu.yaml\"\necho 'snapshot: newer' > \"$d/images/apt.yaml\"\n" +
		"cp ci/main.go \"$d/ci/main.go\"\necho '- moved' > \"$d/UPKEEP.md\"\n"
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
			_ = os.MkdirAll(filepath.Join(checkout, "ci"), 0o755)
			_ = os.WriteFile(filepath.Join(checkout, "images", "ubuntu.yaml"), []byte("pins: old\n"), 0o644)
			_ = os.WriteFile(filepath.Join(checkout, "images", "apt.yaml"), []byte("snapshot: old\n"), 0o644)
			_ = os.WriteFile(filepath.Join(checkout, "ci", "main.go"), []byte("package main\n"), 0o644)
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
			if !strings.Contains(string(calls), "gh pr create --head pins/") || !strings.Contains(string(calls), "--body-file "+tmp+"/upkeep/UPKEEP.md") ||
				!strings.Contains(string(calls), "token="+token+"\n") {
				t.Errorf("the pull request is opened with %s:\n%s", token, calls)
			}
			dispatched := strings.Contains(string(calls), "gh workflow run ci.yml --ref pins/")
			if dispatched != tc.dispatch {
				t.Errorf("ci.yml dispatched: %t, want %t:\n%s", dispatched, tc.dispatch, calls)
			}
			if out, err := exec.Command("git", "-C", origin, "branch", "--list", "pins/*").Output(); err != nil || !strings.Contains(string(out), "pins/") {
				t.Errorf("the update branch was not pushed: %v %s", err, out)
			}
			shown, err := exec.Command("git", "-C", origin, "show", "--stat", "--format=%s", "pins/"+strings.TrimPrefix(branchOf(t, origin), "pins/")).Output()
			if err != nil || !strings.Contains(string(shown), "images/apt.yaml") || !strings.Contains(string(shown), "images/ubuntu.yaml") || strings.Contains(string(shown), "ci/main.go") {
				t.Errorf("one commit with every moved pin (and no unchanged file): %v\n%s", err, shown)
			}
		})
	}
}

// branchOf is the one pins/* branch of a bare repository.
func branchOf(t *testing.T, origin string) string {
	t.Helper()
	out, err := exec.Command("git", "-C", origin, "for-each-ref", "--format=%(refname:short)", "refs/heads/pins/").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
