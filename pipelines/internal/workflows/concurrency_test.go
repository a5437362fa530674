package workflows

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// Every workflow that publishes shares one concurrency group (one
// publication at a time: latest and vX never move backwards) and queues
// its runs: a pending tag release is never cancelled by a later push (GitHub
// keeps one pending run per group unless queue: max).
func TestPendingReleaseNeverCancelled(t *testing.T) {
	type conc struct {
		Group            string `yaml:"group"`
		CancelInProgress any    `yaml:"cancel-in-progress"`
		Queue            string `yaml:"queue"`
	}
	files, err := filepath.Glob("../../../.github/workflows/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows not found (%v)", err)
	}
	publishing := map[string]bool{"release.yml": true, "channels.yml": true}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Concurrency conc `yaml:"concurrency"`
		}
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name, c := filepath.Base(f), w.Concurrency
		if !publishing[name] {
			if c.Group == "release" {
				t.Errorf("%s: joins the release group without publishing: its runs would queue behind releases", name)
			}
			continue
		}
		seen++
		if c.Group != "release" {
			t.Errorf("%s: concurrency group %q, want release (one publication at a time)", name, c.Group)
		}
		if c.CancelInProgress != false {
			t.Errorf("%s: cancel-in-progress %v, want false: a running release is never cancelled", name, c.CancelInProgress)
		}
		if c.Queue != "max" {
			t.Errorf("%s: concurrency queue %q, want max: without it a pending release is cancelled by the next run", name, c.Queue)
		}
	}
	if seen != len(publishing) {
		t.Errorf("found %d of the %d publishing workflows", seen, len(publishing))
	}
}

// Least token: in the publishing workflows no job both writes the
// repository and hands a token to the module (the registry password) or
// writes the registry; in release-jobs.yml only the GitHub Release job
// writes the repository, in channels.yml only the job that reserves beta
// tags. A job calling a reusable workflow has no steps: its permissions
// are the ceiling of the called jobs, each checked in its own file.
func TestReleaseTokensLeast(t *testing.T) {
	for file, wantWriters := range map[string][]string{"release-jobs.yml": {"github-release"}, "channels.yml": {"tag"}} {
		b, err := os.ReadFile("../../../.github/workflows/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Jobs map[string]struct {
				Uses        string            `yaml:"uses"`
				Permissions map[string]string `yaml:"permissions"`
				Steps       []struct {
					Env map[string]string `yaml:"env"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		var writers []string
		for name, j := range w.Jobs {
			if len(j.Permissions) == 0 {
				t.Errorf("%s job %s: no permissions block (it would get the workflow's defaults)", file, name)
			}
			if j.Uses != "" {
				continue
			}
			module := false
			for _, st := range j.Steps {
				if _, ok := st.Env["REGISTRY_TOKEN"]; ok {
					module = true
				}
			}
			if j.Permissions["contents"] == "write" {
				writers = append(writers, name)
				if module || j.Permissions["packages"] == "write" {
					t.Errorf("%s job %s writes the repository and the registry (or hands its token to the module): split it", file, name)
				}
			}
		}
		sort.Strings(writers)
		if strings.Join(writers, " ") != strings.Join(wantWriters, " ") {
			t.Errorf("%s: jobs writing the repository: %v, want %v", file, writers, wantWriters)
		}
	}
}

// Every job that can write the registry or the repository runs behind the
// release environment (the repository's protection rules) and never in a
// fork; so does every other job of the publishing workflows (a fork builds
// nothing). A job calling a reusable workflow cannot name an environment:
// the called jobs do.
func TestPublishingJobsGuarded(t *testing.T) {
	for _, file := range []string{"release.yml", "channels.yml", "release-jobs.yml"} {
		b, err := os.ReadFile("../../../.github/workflows/" + file)
		if err != nil {
			t.Fatal(err)
		}
		var w struct {
			Permissions map[string]string `yaml:"permissions"`
			Jobs        map[string]struct {
				If          string            `yaml:"if"`
				Uses        string            `yaml:"uses"`
				Environment string            `yaml:"environment"`
				Permissions map[string]string `yaml:"permissions"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &w); err != nil {
			t.Fatal(err)
		}
		for name, j := range w.Jobs {
			perms := j.Permissions
			if perms == nil {
				perms = w.Permissions
			}
			if !strings.Contains(j.If, "!github.event.repository.fork") {
				t.Errorf("%s job %s: runs in forks (want if: ${{ !github.event.repository.fork }})", file, name)
			}
			if j.Uses == "" && (perms["packages"] == "write" || perms["contents"] == "write") && j.Environment != "release" {
				t.Errorf("%s job %s: writes the registry or the repository outside the release environment", file, name)
			}
			if j.Uses != "" && j.Uses != "./.github/workflows/release-jobs.yml" {
				t.Errorf("%s job %s: calls %s: the publishing jobs are release-jobs.yml's", file, name, j.Uses)
			}
		}
	}
}
