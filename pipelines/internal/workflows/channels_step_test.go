package workflows

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The publish step of release-jobs.yml, run as a runner runs it (with the
// real release.sh in a checkout): a dry run signs nothing (no keyless
// certificate, nothing in the public transparency log); a publication signs
// keylessly; a nightly passes its build date and branch set.
func TestChannelsDryRunSignsNothing(t *testing.T) {
	w, script := stepScript(t, "release-jobs.yml", "release", func(name string) bool { return name == "release" })
	bin := t.TempDir()
	dagger := "#!/bin/bash\nprintf '%s\\0' \"$@\" > \"$DAGGER_ARGS\"\nmkdir -p \"$RUNNER_TEMP/dist\"; echo plan > \"$RUNNER_TEMP/dist/PLAN.txt\"\necho '{\"version\":\"edge-main-20261207\"}' > \"$RUNNER_TEMP/dist/release.json\"\n"
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
		installScripts(t, checkout)
		argsFile := filepath.Join(tmp, "args")
		cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+tmp, "GITHUB_STEP_SUMMARY="+filepath.Join(tmp, "summary"),
			"GITHUB_OUTPUT="+filepath.Join(tmp, "output"), "DAGGER_ARGS="+argsFile, "DRY_RUN="+tc.dryRun,
			"RELEASE_REF=refs/heads/main", "RELEASE_SHA=HEAD", "BUILD_DATE=2026-12-07", "NIGHTLY_BRANCHES=main feature/*",
			"OWNER=o", "ACTOR=a", "REGISTRY_TOKEN=t", "GITHUB_SERVER_URL=https://github.com", "GITHUB_WORKFLOW_REF=o/x/.github/workflows/channels.yml@refs/heads/main",
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
		if !strings.Contains(joined, "\x00with-nightly\x00--date\x002026-12-07\x00--branches\x00main\x00--branches\x00feature/*\x00") {
			t.Errorf("dry_run %q: the nightly's date and branches (no globbing) not passed: %q", tc.dryRun, argv)
		}
		for _, a := range argv {
			if a == "" {
				t.Errorf("dry_run %q: an empty argument reached dagger: %q", tc.dryRun, argv)
			}
		}
	}
}

// installScripts copies .github/scripts into a test checkout.
func installScripts(t *testing.T, dir string) {
	t.Helper()
	dst := filepath.Join(dir, ".github", "scripts")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../../.github/scripts/*.sh")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// betaDagger stands in for `dagger call release --ref refs/heads/release/X.Y
// ... tags`: the next vX.Y.0-beta.N after the --existing-tags it is given (the
// module's rule, for tags of patch 0).
const betaDagger = `#!/bin/bash
ref= max=0
while [ $# -gt 0 ]; do
	case "$1" in
	--ref) ref=$2; shift ;;
	--existing-tags) line=${ref#refs/heads/release/}; case "$2" in v$line.0-beta.*) n=${2##*-beta.}; [ "$n" -gt "$max" ] && max=$n ;; esac; shift ;;
	esac
	shift
done
echo "release v${ref#refs/heads/release/}.0-beta.$((max + 1))  channel beta  prerelease true"
`

type lab struct {
	t                 *testing.T
	origin, dev, bin  string
	now               int64
	nightlyBranches   string
	checkoutBeforeRun func(string)
}

func (l *lab) git(dir string, env []string, args ...string) string {
	l.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		l.t.Fatalf("git %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit makes a commit on branch (dated ago seconds before now) and pushes it.
func (l *lab) commit(branch string, ago int64) string {
	l.t.Helper()
	date := "@" + itoa(l.now-ago) + " +0000"
	env := []string{"GIT_COMMITTER_DATE=" + date, "GIT_AUTHOR_DATE=" + date}
	l.git(l.dev, nil, "checkout", "-q", "-B", branch)
	l.git(l.dev, env, "commit", "-q", "--allow-empty", "-m", branch)
	l.git(l.dev, nil, "push", "-q", "origin", "HEAD:refs/heads/"+branch)
	return l.git(l.dev, nil, "rev-parse", "HEAD")
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

type entry struct {
	Ref, Sha, Date, Beta string
	GitHubRelease        bool `json:"github_release"`
	DryRun               bool `json:"dry_run"`
}

// run runs the plan job's step (channels.sh) and the tag job's (beta-tag.sh)
// as channels.yml does, each in a fresh checkout of origin, and returns the
// final matrix, or the failure's output.
func (l *lab) run(event, ref, sha, dryRun string) ([]entry, string, error) {
	l.t.Helper()
	tmp := l.t.TempDir()
	var matrix string
	for i, step := range []struct{ job, script string }{{"plan", "channels.sh"}, {"tag", "beta-tag.sh"}} {
		checkout := filepath.Join(tmp, step.job)
		l.git(tmp, nil, "clone", "-q", l.origin, checkout)
		installScripts(l.t, checkout)
		if i == 0 && l.checkoutBeforeRun != nil {
			l.checkoutBeforeRun(checkout)
		}
		out := filepath.Join(tmp, step.job+".out")
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", ".github/scripts/"+step.script)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(), "PATH="+l.bin+":"+os.Getenv("PATH"), "GITHUB_OUTPUT="+out, "EVENT="+event,
			"GITHUB_REF="+ref, "GITHUB_SHA="+sha, "DRY_RUN="+dryRun, "NOW="+itoa(l.now), "NIGHTLY_BRANCHES="+l.nightlyBranches,
			"OWNER=o", "ACTOR=a", "REGISTRY_TOKEN=t", "MATRIX="+matrix,
			"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=user.name", "GIT_CONFIG_VALUE_0=t", "GIT_CONFIG_KEY_1=user.email", "GIT_CONFIG_VALUE_1=t@t")
		b, err := cmd.CombinedOutput()
		if err != nil {
			return nil, string(b), err
		}
		outputs, _ := os.ReadFile(out)
		for _, line := range strings.Split(string(outputs), "\n") {
			if v, ok := strings.CutPrefix(line, "matrix="); ok {
				matrix = v
			}
		}
	}
	var es []entry
	if err := json.Unmarshal([]byte(matrix), &es); err != nil {
		l.t.Fatalf("matrix %q: %v", matrix, err)
	}
	return es, "", nil
}

func newLab(t *testing.T) *lab {
	l := &lab{t: t, now: 1796608800, nightlyBranches: "main develop"} // 2026-12-07T03:20:00Z
	root := t.TempDir()
	l.origin, l.dev, l.bin = filepath.Join(root, "origin.git"), filepath.Join(root, "dev"), filepath.Join(root, "bin")
	l.git(root, nil, "init", "-q", "--bare", l.origin)
	l.git(root, nil, "clone", "-q", l.origin, l.dev)
	if err := os.MkdirAll(l.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(l.bin, "dagger"), []byte(betaDagger), 0o755); err != nil {
		t.Fatal(err)
	}
	return l
}

// Nightlies: two pushes to main on one day plan two nightlies of that day
// (the module publishes the second under the moving tags: TestRelease); the
// schedule builds the nightly branches with commits in the last 24 hours
// and nothing on a day without; a branch outside the set publishes nothing
// on a push and is refused by hand.
func TestChannelsNightlies(t *testing.T) {
	l := newLab(t)
	c1 := l.commit("main", 3600)
	c2 := l.commit("main", 60)
	for _, c := range []string{c1, c2} {
		es, out, err := l.run("push", "refs/heads/main", c, "")
		if err != nil {
			t.Fatalf("push %s: %v\n%s", c, err, out)
		}
		want := []entry{{Ref: "refs/heads/main", Sha: c, Date: "2026-12-07"}}
		if len(es) != 1 || es[0] != want[0] {
			t.Errorf("push of %s to main: matrix %+v, want %+v", c, es, want)
		}
	}
	l.commit("develop", 3*86400) // no commits for three days
	l.commit("feature/x", 60)    // new, but not a nightly branch
	es, out, err := l.run("schedule", "refs/heads/main", c2, "")
	if err != nil {
		t.Fatalf("schedule: %v\n%s", err, out)
	}
	if len(es) != 1 || es[0] != (entry{Ref: "refs/heads/main", Sha: c2, Date: "2026-12-07"}) {
		t.Errorf("schedule on a day with new commits on main only: %+v", es)
	}
	l.now += 86400 // the next night: nothing new anywhere
	es, out, err = l.run("schedule", "refs/heads/main", c2, "")
	if err != nil || len(es) != 0 {
		t.Errorf("schedule on a day without new commits: %+v %v %s", es, err, out)
	}
	l.nightlyBranches = "main feature/*" // a pattern takes feature/x in
	if es, _, _ = l.run("schedule", "refs/heads/main", c2, ""); len(es) != 0 {
		t.Errorf("feature/x's commit is two days old now: %+v", es)
	}
	l.now -= 86400
	if es, _, _ = l.run("schedule", "refs/heads/main", c2, ""); len(es) != 2 {
		t.Errorf("main and feature/x (a pattern) both have new commits: %+v", es)
	}
	l.nightlyBranches = "main"
	if es, out, err = l.run("push", "refs/heads/feature/x", c2, ""); err != nil || len(es) != 0 {
		t.Errorf("a push to a branch outside the set publishes nothing: %+v %v %s", es, err, out)
	}
	if _, out, err = l.run("workflow_dispatch", "refs/heads/feature/x", c2, "false"); err == nil || !strings.Contains(out, "add it to the repository variable NIGHTLY_BRANCHES") {
		t.Errorf("publishing a branch outside the set by hand: want a refusal naming NIGHTLY_BRANCHES, got %v %s", err, out)
	}
	if es, out, err = l.run("workflow_dispatch", "refs/heads/feature/x", c2, "true"); err != nil || len(es) != 1 || !es[0].DryRun {
		t.Errorf("a dry run of any branch: %+v %v %s", es, err, out)
	}
}

// Betas: the job reserves the git tag before building; a hand-made tag and
// the job never take the same number, in either order, nor when the hand
// tag lands while the job numbers; a rerun of a tagged commit keeps its
// number; a dry run reserves nothing.
func TestChannelsBetaNumbers(t *testing.T) {
	l := newLab(t)
	remoteTag := func(tag string) string {
		// the commit: an annotated tag's peeled line (^{}) when it has one
		sha := ""
		for _, line := range strings.Split(l.git(l.dev, nil, "ls-remote", "--tags", "origin", "refs/tags/"+tag, "refs/tags/"+tag+"^{}"), "\n") {
			if s, name, ok := strings.Cut(line, "\t"); ok && (sha == "" || strings.HasSuffix(name, "^{}")) {
				sha = s
			}
		}
		return sha
	}
	beta := func(sha, wantTag string) {
		t.Helper()
		es, out, err := l.run("push", "refs/heads/release/1.4", sha, "")
		if err != nil {
			t.Fatalf("beta of %s: %v\n%s", sha, err, out)
		}
		want := entry{Ref: "refs/tags/" + wantTag, Sha: sha, GitHubRelease: true}
		if len(es) != 1 || es[0] != want {
			t.Fatalf("beta of %s: %+v, want %+v", sha, es, want)
		}
		if got := remoteTag(wantTag); got != sha {
			t.Errorf("%s on origin is %q, want %s", wantTag, got, sha)
		}
	}
	// the job first: a hand-made tag of the same number is refused by git
	c1 := l.commit("release/1.4", 60)
	beta(c1, "v1.4.0-beta.1")
	c2 := l.commit("release/1.4", 50)
	l.git(l.dev, nil, "tag", "v1.4.0-beta.1", c2)
	cmd := exec.Command("git", "push", "origin", "refs/tags/v1.4.0-beta.1")
	cmd.Dir = l.dev
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "already exists") {
		t.Errorf("a hand-made tag of the job's number must be refused: %v %s", err, out)
	}
	l.git(l.dev, nil, "tag", "-d", "v1.4.0-beta.1")
	// a hand-made tag first: the job takes the next number
	l.git(l.dev, nil, "tag", "v1.4.0-beta.2", c2)
	l.git(l.dev, nil, "push", "-q", "origin", "refs/tags/v1.4.0-beta.2")
	c3 := l.commit("release/1.4", 40)
	beta(c3, "v1.4.0-beta.3")
	// a rerun of a tagged commit keeps its number
	beta(c3, "v1.4.0-beta.3")
	beta(c2, "v1.4.0-beta.2")
	// the hand tag lands while the job numbers (the plan's checkout does not
	// have it yet): the reservation moves on to the next free number
	c4 := l.commit("release/1.4", 30)
	l.checkoutBeforeRun = func(string) {
		c5 := l.commit("release/1.4", 20)
		l.git(l.dev, nil, "tag", "v1.4.0-beta.4", c5)
		l.git(l.dev, nil, "push", "-q", "origin", "refs/tags/v1.4.0-beta.4")
	}
	beta(c4, "v1.4.0-beta.5")
	l.checkoutBeforeRun = nil
	// a dry run numbers nothing in git
	es, out, err := l.run("workflow_dispatch", "refs/heads/release/1.4", c4, "true")
	if err != nil || len(es) != 1 || es[0].Ref != "refs/heads/release/1.4" || !es[0].DryRun || es[0].GitHubRelease {
		t.Errorf("a dry run of release/1.4: %+v %v %s", es, err, out)
	}
}
