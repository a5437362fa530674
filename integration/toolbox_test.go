package integration

import (
	"regexp"
	"testing"
	"time"
)

// The first function end to end: the tools container is built on the engine
// and reports real tool versions.
func TestToolboxVersions(t *testing.T) {
	requireEngine(t)
	out := mustCall(t, 20*time.Minute, "lab", "toolbox", "versions")
	for _, re := range []string{
		`(?m)^xorriso: xorriso 1\.\d+\.\d+`,
		`(?m)^qemu-img: qemu-img version \d+\.\d+`,
		`(?m)^qemu-system-x86_64: QEMU emulator version \d+\.\d+`,
		`(?m)^debugfs: debugfs 1\.\d+`,
		`(?m)^git: git version 2\.\d+`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("toolbox versions: no match for %s in:\n%s", re, out)
		}
	}
	if regexp.MustCompile(`(?m)^libguestfs`).MatchString(out) {
		t.Errorf("toolbox versions: libguestfs is not installed any more, yet reported:\n%s", out)
	}
	// a second call with unchanged inputs is served from the cache
	second := daggerCall(t, 5*time.Minute, "lab", "toolbox", "versions")
	if second.Err != nil || second.Stdout != out {
		t.Fatalf("second call differs or failed: %v\n%s", second.Err, second.Stdout)
	}
}
