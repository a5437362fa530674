package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// release.sh, as release.yml's jobs run it: in a checkout with tags, with a
// dagger stand-in that prints its arguments. Every job gets the same
// release arguments (the other version tags, not the one released) followed
// by its own chain; a missing setting or a failed dagger fails the step.
func TestReleaseScript(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_COMMITTER_DATE=2026-11-21T09:30:00Z", "GIT_AUTHOR_DATE=2026-11-21T09:30:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "x")
	for _, tag := range []string{"v0.5.0", "v0.6.0", "other"} {
		git("tag", tag)
	}
	sha, err := exec.Command("git", "-C", repo, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	script, _ := filepath.Abs("../../../.github/scripts/release.sh")
	run := func(dagger string, env ...string) (string, error) {
		if err := os.WriteFile(filepath.Join(bin, "dagger"), []byte(dagger), 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script+` artifact --name linux-vm export --path "$RUNNER_TEMP/built"`)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + ":" + os.Getenv("PATH"), "RUNNER_TEMP=/rt",
			"GITHUB_REF=refs/tags/v0.6.0", "GITHUB_REF_NAME=v0.6.0", "GITHUB_SHA=" + strings.TrimSpace(string(sha))}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	creds := []string{"OWNER=Project-UnisonOS", "ACTOR=bot", "REGISTRY_TOKEN=ghp_secret"}
	out, err := run("#!/bin/sh\necho \"$*\"\n", creds...)
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "call release --ref refs/tags/v0.6.0 --sha " + strings.TrimSpace(string(sha)) + " --commit-time 2026-11-21T09:30:00+00:00" +
		" --existing-tags v0.5.0 --owner Project-UnisonOS --skip-qa=false with-registry-auth --username bot --secret env:REGISTRY_TOKEN" +
		" artifact --name linux-vm export --path /rt/built\n"
	if out != want {
		t.Errorf("dagger called as\n%s\nwant\n%s", out, want)
	}
	if strings.Contains(out, "ghp_secret") {
		t.Error("the token is on the command line")
	}
	if out, err := run("#!/bin/sh\necho \"$*\"\n", "OWNER=o", "ACTOR=a"); err == nil || !strings.Contains(out, "REGISTRY_TOKEN: the registry token") {
		t.Errorf("no token: want an error naming REGISTRY_TOKEN, got %v %s", err, out)
	}
	// the release has the offline ISO: every job's chain starts with with-offline-iso
	out, err = run("#!/bin/sh\necho \"$*\"\n", append(creds, "OFFLINE_ISO=true")...)
	if err != nil || !strings.HasSuffix(out, " --secret env:REGISTRY_TOKEN with-offline-iso artifact --name linux-vm export --path /rt/built\n") {
		t.Errorf("OFFLINE_ISO=true: %v %s", err, out)
	}
	if out, err := run("#!/bin/sh\necho \"$*\"\n", append(creds, "OFFLINE_ISO=yes")...); err == nil || !strings.Contains(out, `OFFLINE_ISO (vars.RELEASE_OFFLINE_ISO): "yes": want true, false or unset`) {
		t.Errorf("OFFLINE_ISO=yes: want an error naming the setting, got %v %s", err, out)
	}
	if out, err := run("#!/bin/sh\necho failed >&2\nexit 3\n", creds...); err == nil {
		t.Errorf("a failed dagger call must fail the step: %s", out)
	}
}
