package workflows

import (
	"os"
	"path/filepath"
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
