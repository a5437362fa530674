// Tests of the dagger CLI wrapper (airgap/dagger) with a stand-in CLI.
package airgap_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A build that runs out of disk gets the way out after dagger's own error;
// other failures and successes pass through untouched (output, exit code).
func TestWrapperNamesThePruneOnENOSPC(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "dagger-cli")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho \"out $*\"\n[ -z \"$FAKE_ERR\" ] || echo \"$FAKE_ERR\" >&2\nexit \"$FAKE_RC\"\n"), 0o755))
	for name, tc := range map[string]struct {
		stderr string
		rc     int
		hint   bool
	}{
		"engine disk full":    {"Error: write /var/lib/dagger/worker/snapshots/x: no space left on device", 1, true},
		"another failure":     {"Error: exit code: 1", 1, false},
		"no space, but fine":  {"log: no space left on device (retried)", 0, false},
		"success":             {"", 0, false},
		"disk full, exit 137": {"no space left on device", 137, true},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("bash", "dagger", "call", "--progress=plain", "build")
			cmd.Env = append(os.Environ(), "_EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://"+filepath.Join(dir, "engine.sock"),
				"_EXPERIMENTAL_DAGGER_CLI_BIN="+fake, "UNISON_AIRGAP_DIR="+dir, "FAKE_ERR="+tc.stderr, "FAKE_RC="+strconv.Itoa(tc.rc))
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			rc := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				rc = ee.ExitCode()
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.rc, rc, "the CLI's exit code")
			assert.Equal(t, "out call --progress=plain build\n", out.String(), "stdout untouched")
			assert.Contains(t, errb.String(), tc.stderr)
			if tc.hint {
				assert.Contains(t, errb.String(), "unison: the engine ran out of disk space (no space left on device) in "+dir)
				assert.Contains(t, errb.String(), "'make engine-prune'")
			} else {
				assert.NotContains(t, errb.String(), "engine-prune")
			}
		})
	}
}

// No engine (no Docker, no air-gapped engine) and an engine image Docker
// cannot pull: the CLI's own error, then what to run; the exit code is the CLI's.
func TestWrapperSaysWhatToRunWithoutAnEngine(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "dagger-cli")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho \"$FAKE_ERR\" >&2\nexit 1\n"), 0o755))
	for name, tc := range map[string]struct{ stderr, want, not string }{
		"no Docker": {`Error: start engine: driver for scheme "image" was not available`,
			"unison: start Docker; or, on a machine without Docker, start the air-gapped engine as root: make engine", "could not pull"},
		"image not pullable": {"! failed to run command [docker pull registry.dagger.io/engine:v0.19.7]: exit status 1\n" +
			"Error: start engine: failed to pull image: failed to run command [docker pull registry.dagger.io/engine:v0.19.7]: exit status 1",
			"unison: Docker has no engine image registry.dagger.io/engine:v0.19.7 and could not pull it", "no Docker answers"},
		"another failure": {"Error: exit code: 1", "", "unison:"},
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command("bash", "dagger", "call", "--progress=plain", "build")
			cmd.Env = append(os.Environ(), "UNISON_ENGINE=docker", "_EXPERIMENTAL_DAGGER_RUNNER_HOST=",
				"_EXPERIMENTAL_DAGGER_CLI_BIN="+fake, "FAKE_ERR="+tc.stderr)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			err := cmd.Run()
			var ee *exec.ExitError
			require.True(t, errors.As(err, &ee), "the CLI's failure: %v", err)
			assert.Equal(t, 1, ee.ExitCode())
			assert.Contains(t, errb.String(), tc.stderr)
			if tc.want != "" {
				assert.Contains(t, errb.String(), tc.want)
			}
			assert.NotContains(t, errb.String(), tc.not)
		})
	}
}
