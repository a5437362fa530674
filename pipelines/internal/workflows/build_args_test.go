package workflows

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// recordingDagger writes each argument it gets on its own NUL-terminated
// record to $DAGGER_ARGS and prints a service-build summary.
const recordingDagger = `#!/bin/bash
printf '%s\0' "$@" > "$DAGGER_ARGS"
[ -z "${DAGGER_LOG:-}" ] || echo "$*" >> "$DAGGER_LOG"
echo '{"version":"v1.0.0","tags":["v1.0.0"],"digest":"sha256:00","published":true,"refs":["r/x:v1.0.0"]}'
`

// The service-build step of reusable-build.yml, run as a runner runs it:
// build arguments one a line (as docker/build-push-action takes them) reach
// the module one item each, values with commas and quotes intact (the CLI
// reads every list flag as one CSV record); platforms one a line or
// comma-separated; the summary is written outside the build context.
func TestServiceBuildStepInputs(t *testing.T) {
	w, script := stepScript(t, "reusable-build.yml", "build", func(name string) bool { return name == "service-build" })
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "dagger"), []byte(recordingDagger), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, args, platforms string
		wantArgs              []string
		wantPlatforms         string
	}{
		{"three lines", "GO_VERSION=1.26\nLDFLAGS=-s -w,-X main.v=1\n  NOTE=say \"hi\"  \n", "linux/amd64\nlinux/arm64\n",
			[]string{"GO_VERSION=1.26", "LDFLAGS=-s -w,-X main.v=1", `NOTE=say "hi"`}, "linux/amd64,linux/arm64"},
		{"blank lines and CRLF, no final newline", "\r\nA=1\r\n\r\nB=2", "linux/amd64, linux/arm64",
			[]string{"A=1", "B=2"}, "linux/amd64,linux/arm64"},
		{"none", "", "linux/amd64", nil, "linux/amd64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			checkout := filepath.Join(tmp, "checkout")
			runner := filepath.Join(tmp, "runner")
			if err := os.MkdirAll(runner, 0o755); err != nil {
				t.Fatal(err)
			}
			gitRepo(t, checkout)
			argsFile := filepath.Join(tmp, "args")
			cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
			cmd.Dir = checkout
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+runner, "GITHUB_OUTPUT="+filepath.Join(tmp, "output"),
				"DAGGER_ARGS="+argsFile, "BUILD_ARGS="+tc.args, "PLATFORMS="+tc.platforms, "MODULE=m", "CONTEXT=.", "DOCKERFILE=Dockerfile",
				"IMAGE_NAME=x", "DOMAIN=d", "SERVICE_PORT=8080", "GITHUB_REF=refs/tags/v1.0.0", "GITHUB_SHA=0", "RUN_NUMBER=1",
				"GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=o/x", "OWNER=o", "ACTOR=a", "TARGET=", "BUILD_SECRETS=",
				"SIGNER=https://github.com/project-unisonOS/unison-platform/.github/workflows/reusable-build.yml@refs/tags/v0.6.0", "GITHUB_RUN_ID=1", "GITHUB_RUN_ATTEMPT=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("step failed: %v\n%s", err, out)
			}
			argv := recordedArgs(t, argsFile)
			var got []string
			platforms := ""
			for i := 0; i+1 < len(argv); i++ {
				switch argv[i] {
				case "--build-args":
					// what the CLI does with a list flag's value: one CSV record
					rec, err := csv.NewReader(strings.NewReader(argv[i+1])).Read()
					if err != nil {
						t.Fatalf("--build-args %q is not one CSV record: %v", argv[i+1], err)
					}
					got = append(got, rec...)
				case "--platforms":
					platforms = argv[i+1]
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.wantArgs, "\n") {
				t.Errorf("build args the module gets: %q, want %q", got, tc.wantArgs)
			}
			if platforms != tc.wantPlatforms {
				t.Errorf("--platforms %q, want %q", platforms, tc.wantPlatforms)
			}
			if _, err := os.Stat(filepath.Join(checkout, "summary.json")); err == nil {
				t.Error("summary.json written into the build context")
			}
			out, _ := os.ReadFile(filepath.Join(tmp, "output"))
			if !strings.Contains(string(out), "digest=sha256:00\n") {
				t.Errorf("step outputs: %s", out)
			}
		})
	}
}

// The service-build step signs what it pushes: keyless with the reusable
// workflow as the signer (and the builder of the provenance) when the job
// has its OIDC token; a pull request (pushed nowhere) signs nothing; a push
// without the token fails before building (a release would refuse the
// unsigned image).
func TestServiceBuildStepSigns(t *testing.T) {
	w, script := stepScript(t, "reusable-build.yml", "build", func(name string) bool { return name == "service-build" })
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "dagger"), []byte(recordingDagger), 0o755); err != nil {
		t.Fatal(err)
	}
	signer := "https://github.com/project-unisonOS/unison-platform/.github/workflows/reusable-build.yml@refs/tags/v0.6.0"
	for _, tc := range []struct {
		name, signer, ref string
		signs, fails      bool
	}{
		{"push with a token", signer, "refs/tags/v1.0.0", true, false},
		{"pull request without a token", "", "refs/pull/3/merge", false, false},
		{"push without a token", "", "refs/heads/main", false, true},
	} {
		tmp := t.TempDir()
		checkout := filepath.Join(tmp, "checkout")
		gitRepo(t, checkout)
		argsFile := filepath.Join(tmp, "args")
		cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
		cmd.Dir = checkout
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "RUNNER_TEMP="+tmp, "GITHUB_OUTPUT="+filepath.Join(tmp, "output"),
			"DAGGER_ARGS="+argsFile, "BUILD_ARGS=", "PLATFORMS=linux/amd64", "MODULE=m", "CONTEXT=.", "DOCKERFILE=Dockerfile",
			"IMAGE_NAME=x", "DOMAIN=d", "SERVICE_PORT=8080", "GITHUB_REF="+tc.ref, "GITHUB_SHA=0", "RUN_NUMBER=1",
			"GITHUB_SERVER_URL=https://github.com", "GITHUB_REPOSITORY=o/x", "OWNER=o", "ACTOR=a", "TARGET=", "BUILD_SECRETS=",
			"SIGNER="+tc.signer, "GITHUB_RUN_ID=7", "GITHUB_RUN_ATTEMPT=1", "DAGGER_LOG="+filepath.Join(tmp, "calls"))
		out, err := cmd.CombinedOutput()
		if tc.fails {
			if err == nil || !strings.Contains(string(out), "grant the calling job id-token: write") {
				t.Errorf("%s: want a failure naming id-token: write, got %v %s", tc.name, err, out)
			}
			if _, err := os.Stat(argsFile); err == nil {
				t.Errorf("%s: dagger ran before the refusal", tc.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: step failed: %v\n%s", tc.name, err, out)
		}
		calls, _ := os.ReadFile(filepath.Join(tmp, "calls"))
		lines := strings.Split(strings.TrimSpace(string(calls)), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], " contract") || !strings.Contains(lines[1], " publish --format json") || strings.Contains(lines[0], "with-keyless") {
			t.Errorf("%s: want the contract check (unsigned: it pushes nothing), then publish:\n%s", tc.name, calls)
		}
		joined := "\x00" + strings.Join(recordedArgs(t, argsFile), "\x00") + "\x00"
		signs := strings.Contains(joined, "\x00with-keyless\x00--token-request-url\x00env:ACTIONS_ID_TOKEN_REQUEST_URL\x00")
		if signs != tc.signs {
			t.Errorf("%s: with-keyless %t, want %t: %q", tc.name, signs, tc.signs, joined)
		}
		if tc.signs && !strings.Contains(joined, "\x00with-provenance\x00--builder-id\x00"+signer+"\x00--invocation-id\x00https://github.com/o/x/actions/runs/7/attempts/1\x00publish\x00") {
			t.Errorf("%s: the provenance's builder is the signing workflow, then publish: %q", tc.name, joined)
		}
	}
}
