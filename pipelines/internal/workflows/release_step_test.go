package workflows

import (
	"sync"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/surface"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fakeGH is a gh stand-in: the release's state comes from $GH_STATE (none,
// draft, published), its published SHA256SUMS from $GH_SUMS; every call is
// logged to $GH_LOG.
const fakeGH = `#!/bin/bash
echo "gh $*" >> "$GH_LOG"
case "$1 $2" in
"release view") [ "$GH_STATE" = none ] && exit 1; [ "$GH_STATE" = draft ] && echo true || echo false ;;
"release download") dir=${*: -1}; mkdir -p "$dir"; printf "%s" "$GH_SUMS" > "$dir/$5" ;;
esac
exit 0
`

// stepScript reads a workflow and the run script of the first step of job
// whose name matches; the test fails when there is none.
func stepScript(t *testing.T, file, job string, match func(string) bool) (workflow, string) {
	t.Helper()
	data, err := os.ReadFile("../../../.github/workflows/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatal(err)
	}
	for _, st := range w.Jobs[job].Steps {
		if match(st.Name) {
			return w, st.Run
		}
	}
	t.Fatalf("no such step in %s job %s", file, job)
	return w, ""
}

// gitRepo makes a git repository in dir with one empty commit on main.
func gitRepo(t *testing.T, dir string) {
	t.Helper()
	for _, args := range [][]string{{"init", "-q", dir}, {"-C", dir, "commit", "-q", "--allow-empty", "-m", "x"}} {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
}

// recordedArgs reads the arguments a recording dagger stand-in wrote
// (printf '%s\0' "$@" > file) and checks a `call` against the module's
// functions and arguments (the call a step builds from arrays).
func recordedArgs(t *testing.T, file string) []string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	if len(args) > 0 && args[0] == "call" {
		if err := moduleAPI(t).Check(args[1:]); err != nil {
			t.Errorf("the step calls `dagger %s`: %v", strings.Join(args, " "), err)
		}
	}
	return args
}

var (
	apiOnce sync.Once
	api     *surface.API
	apiErr  error
)

func moduleAPI(t *testing.T) *surface.API {
	apiOnce.Do(func() { api, apiErr = surface.Load("../../../ci", "UnisonPlatform") })
	if apiErr != nil {
		t.Fatal(apiErr)
	}
	return api
}

// The GitHub Release step of release-jobs.yml (a release tag's, a beta's pre-release), run as a runner runs it against a
// gh stand-in: a new release is created as a draft and then published; a
// draft left by a failed run gets its assets replaced; a published release
// is never rewritten (the same checksums: nothing to do; others: an error).
func TestGitHubReleaseStep(t *testing.T) {
	w, script := stepScript(t, "release-jobs.yml", "github-release", func(name string) bool { return strings.HasPrefix(name, "GitHub Release") })
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		state, sums string
		fail        bool
		want, not   []string
		ref         string
		prerelease  bool
	}{
		{"none", "", false, []string{"gh release create v1.2.3", "--draft", "--prerelease", "gh release edit v1.2.3 --draft=false --latest=false"}, []string{"--clobber"}, "", true},
		{"none", "", true, nil, []string{"gh release"}, "refs/heads/main", false},
		{"none", "", false, []string{"gh release create v1.2.3", "--draft", "gh release edit v1.2.3 --draft=false --latest=true"}, []string{"--clobber"}, "", false},
		{"draft", "", false, []string{"gh release upload v1.2.3", "--clobber", "gh release edit v1.2.3 --draft=false --latest=true"}, []string{"release create"}, "", false},
		{"published", "abc  x.iso\n", false, []string{"gh release download v1.2.3"}, []string{"upload", "create", "edit"}, "", false},
		{"published", "other  x.iso\n", true, []string{"gh release download v1.2.3"}, []string{"upload", "create", "edit"}, "", false},
	} {
		tmp := t.TempDir()
		dist := filepath.Join(tmp, "dist")
		_ = os.MkdirAll(dist, 0o755)
		rel := `{"version":"v1.2.3","prerelease":false,"pushes":[{"tags":["v1.2.3","latest"]}]}`
		if tc.prerelease {
			rel = `{"version":"v1.2.3","prerelease":true,"pushes":[{"tags":["v1.2.3","beta"]}]}`
		}
		_ = os.WriteFile(filepath.Join(dist, "release.json"), []byte(rel), 0o644)
		if tc.ref == "" {
			tc.ref = "refs/tags/v1.2.3"
		}
		_ = os.WriteFile(filepath.Join(dist, "SHA256SUMS-v1.2.3.txt"), []byte("abc  x.iso\n"), 0o644)
		_ = os.WriteFile(filepath.Join(dist, "RELEASE_NOTES.md"), []byte("# notes\n"), 0o644)
		log := filepath.Join(tmp, "gh.log")
		cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+tmp, "RELEASE_REF="+tc.ref,
			"GH_STATE="+tc.state, "GH_SUMS="+tc.sums, "GH_LOG="+log)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fail {
			t.Errorf("%s %q: err %v, want failure %t:\n%s", tc.state, tc.sums, err, tc.fail, out)
		}
		calls, _ := os.ReadFile(log)
		for _, w := range tc.want {
			if !strings.Contains(string(calls), w) {
				t.Errorf("%s %q: no %q in gh calls:\n%s", tc.state, tc.sums, w, calls)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(string(calls), n) {
				t.Errorf("%s %q: %q must not be called:\n%s", tc.state, tc.sums, n, calls)
			}
		}
		if tc.fail && tc.ref != "refs/tags/v1.2.3" && !strings.Contains(string(out), "only a tag gets a GitHub Release") {
			t.Errorf("the refusal says why: %s", out)
		}
		if !tc.prerelease && strings.Contains(string(calls), "--prerelease") {
			t.Errorf("a stable release marked as a pre-release: %s", calls)
		}
		if tc.fail && tc.ref == "refs/tags/v1.2.3" && !strings.Contains(string(out), "never rewritten") {
			t.Errorf("the refusal says why: %s", out)
		}
	}
}
