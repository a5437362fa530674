// Package integration runs the module's Dagger functions for real on a
// running engine and checks their outputs the way a user would.
//
// Without an engine the tests skip with a message, except when CI=true,
// where a missing engine fails the run.
package integration

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the module root (the folder holding dagger.json).
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

const airgapEnvHint = "start one with `make engine` (air-gapped, root) or run with Docker and the dagger v0.19.7 CLI"

// requireEngine skips (or, in CI, fails) when no engine is reachable, and
// points the dagger CLI and Go SDK at the air-gapped engine when it runs.
func requireEngine(t testing.TB) {
	t.Helper()
	// the running air-gapped engine's own values, also over ones exported from an
	// earlier start (make test restarts the engine in test-airgap: its network
	// namespace, registry credentials and image digests change); an engine of
	// another kind (a runner host elsewhere) is left alone
	// (Docker mode, airgap/docker.sh env: the CLI's own engine in Docker, no runner host)
	out, err := exec.Command(filepath.Join(repoRoot(t), "airgap", "airgap.sh"), "env").Output()
	if err == nil && !dockerMode() && exec.Command(filepath.Join(repoRoot(t), "airgap", "airgap.sh"), "status").Run() == nil {
		env := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			line = strings.TrimPrefix(line, "export ")
			for _, kv := range strings.Fields(line) {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
		}
		if host := os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST"); host == "" || host == env["_EXPERIMENTAL_DAGGER_RUNNER_HOST"] {
			for k, v := range env {
				os.Setenv(k, v)
			}
		}
	}
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" && os.Getenv("UNISON_ENGINE") != "docker" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no Dagger engine reachable in CI: %s", airgapEnvHint)
		}
		t.Skipf("no Dagger engine: %s; integration test skipped", airgapEnvHint)
	}
}

// airgapped reports whether the tests run on the air-gapped engine, whose
// registry only mirrors debian:bookworm (the tools) and debian:trixie (the OS).
func airgapped() bool { return os.Getenv("UNISON_SHARED_REGISTRY") != "" }

// dockerMode reports whether the tests run with the CLI's own engine in the
// lab's Docker (airgap/docker.sh env), whose mirror is the air-gapped one's.
func dockerMode() bool { return os.Getenv("UNISON_ENGINE") == "docker" }

// labMirror: the engine pulls docker.io through the lab's mirror, which has
// only its own debian:bookworm and debian:trixie.
func labMirror() bool { return airgapped() || (dockerMode() && os.Getenv("UNISON_DEBIAN_IMAGE") != "") }

// moduleArgs are the constructor arguments the tests pass: on the lab's
// engines every image comes from its registries.
func moduleArgs() []string {
	if labMirror() {
		// the mirror's images by digest (airgap.sh env), so that a replaced tag is never used
		tools := or(os.Getenv("UNISON_DEBIAN_IMAGE"), "debian:bookworm")
		// the OS the builds target: Debian 13, whose archive ships Docker 26 and Compose v2 (Ubuntu 24.04's generation)
		osi := or(os.Getenv("UNISON_DEBIAN13_IMAGE"), "debian:trixie")
		// packages that ship: from the Debian archive the engine may reach (its "mirror"), not a snapshot service
		a := []string{"--tools-image=" + tools, "--os-image=" + osi, "--apt-pins=airgap/apt.yaml"}
		if c := os.Getenv("UNISON_COSIGN_IMAGE"); c != "" {
			a = append(a, "--cosign-image="+c)
		}
		return a
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// osImage is the OS image the module builds from in these tests: the
// --os-image module argument, else the module's default (ci/main.go).
func osImage(t testing.TB) string {
	for _, a := range moduleArgs() {
		if v, ok := strings.CutPrefix(a, "--os-image="); ok {
			return v
		}
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "ci", "main.go"))
	require.NoError(t, err)
	m := regexp.MustCompile(`defaultOsImage = "([^"]+)"`).FindSubmatch(src)
	require.NotNil(t, m, "ci/main.go: no defaultOsImage")
	return string(m[1])
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// callResult is what one `dagger call` printed.
type callResult struct {
	Stdout, Stderr string
	Err            error
	Took           time.Duration
}

// freshNonce is a --cache-nonce constructor argument no earlier call used:
// every build step of the call runs again instead of coming from the
// engine's cache, so "same bytes" means rebuilt, not replayed.
func freshNonce() string {
	return fmt.Sprintf("--cache-nonce=%d", time.Now().UnixNano())
}

// daggerCall runs `dagger call <module args> <args>` in the repository; a
// module argument that args give too (--name=value) is args'.
func daggerCall(t testing.TB, timeout time.Duration, args ...string) callResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := []string{"call", "--progress=plain"}
	for _, m := range moduleArgs() {
		name, _, _ := strings.Cut(m, "=")
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, name+"=") }) {
			full = append(full, m)
		}
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot(t), "airgap", "dagger"), full...)
	cmd.Dir = repoRoot(t)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	r := callResult{Stdout: so.String(), Stderr: ansi.ReplaceAllString(se.String(), ""), Err: err, Took: time.Since(start)}
	t.Logf("dagger %s: %.1fs (err=%v)", strings.Join(full[2:], " "), r.Took.Seconds(), err)
	if err != nil {
		// the failure itself, wherever it is in the progress output (the tail
		// a test prints may be all file contents)
		t.Logf("its errors:\n%s", errorLines(r.Stderr, 30))
	}
	return r
}

// errorLines are the last n lines of a call's output that report a failure
// (dagger's "Error:" and the ERROR of a failed step), each cut at 400 bytes.
func errorLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "Error:") || strings.Contains(l, " ERROR") || strings.Contains(l, "error:") {
			out = append(out, cutLine(l))
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}

// mustCall is daggerCall that fails the test on error, with the tail of the log.
func mustCall(t testing.TB, timeout time.Duration, args ...string) string {
	t.Helper()
	r := daggerCall(t, timeout, args...)
	if r.Err != nil {
		t.Fatalf("dagger call %v failed: %v\n--- stderr (tail) ---\n%s", args, r.Err, tail(r.Stderr, 60))
	}
	return r.Stdout
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		lines[i] = cutLine(l)
	}
	return strings.Join(lines, "\n")
}

// cutLine cuts a log line at 400 bytes (a file's contents can be one line).
func cutLine(l string) string {
	if len(l) > 400 {
		return l[:400] + "…"
	}
	return l
}

// outDir is a fresh folder outside the module's source for exports.
func outDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "unison-it-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func mustf(t testing.TB, err error, format string, a ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(format, a...), err)
	}
}

// buildSteps are scripts only a build, a verification or a boot runs: a
// refusal "before building" shows none of them in its progress output (the
// engine prints every exec, from the cache or not).
var buildSteps = []string{"iso-remaster.sh", "vm-inject.sh", "wsl-pack.sh", "offline-debs.sh", "bundle-tar.sh", "verify.sh", "qa-vm.sh", "qa-iso.sh"}

// assertNothingBuilt checks that a refused call stopped before any build step
// (not how long it took: timings belong to benchmarks).
func assertNothingBuilt(t *testing.T, r callResult) {
	t.Helper()
	for _, s := range buildSteps {
		assert.NotContains(t, r.Stderr, "/tmp/unison/"+s, "refused before building: %s ran", s)
	}
}
