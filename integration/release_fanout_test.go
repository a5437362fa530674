package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// checkFanout runs the release as release.yml's fan-out does: one
// `artifact --name X` job per artifact exported into one directory (as
// download-artifact merges them), then, as the publish job does, that
// directory served by python3 -m http.server on this machine and
// `with-artifacts --server tcp://127.0.0.1:PORT ... publish` (the module
// streams the files from it: no copy in the engine, none in its output),
// then the GitHub Release's assets laid out by release-assets.sh from both.
// Before that it checks each job's record, and that the publishing job
// refuses an incomplete or altered set quickly, naming the problem. sums
// are the one-job release's checksums, single its directory; it returns
// the release directory as the GitHub Release job attaches it.
func checkFanout(t *testing.T, dir, single string, sums map[string]string, call func(terminal string, tail ...string) callResult) string {
	t.Helper()
	built := filepath.Join(dir, "built")
	for _, job := range release.Jobs {
		j := call("artifact", "--name", job, "export", "--path", built)
		require.NoError(t, j.Err, "%s: %s", job, tail(j.Stderr, 40))
		t.Logf("artifact job %s: %.1fs", job, j.Took.Seconds())
	}
	var recs []release.Built
	for _, job := range release.Jobs {
		name := release.BuiltFileName(job)
		rec, err := release.ParseBuilt(name, readFile(t, filepath.Join(built, name)))
		require.NoError(t, err)
		for _, f := range rec.Files {
			assert.Equal(t, sums[f.Name], f.SHA256, "%s: %s is the one-job release's", job, f.Name)
			assert.Equal(t, f.SHA256, fileSHA(t, filepath.Join(built, f.Name)), "%s: %s as recorded", job, f.Name)
		}
		assert.NotEmpty(t, rec.Evidence, "%s: what its SBOM says", job)
		recs = append(recs, rec)
	}
	assert.Equal(t, []string{"qa-smoke: PASSED (49 checks, 0 failed)"}, recs[0].QA.Suites, "the VM job booted its disk")
	assert.Equal(t, []string{"qa-smoke-iso: PASSED (5 checks, 0 failed)"}, recs[1].QA.Suites, "the ISO job booted its ISO")

	// a job's output missing, or a file changed after its job: refused before publishing
	missing := copyTree(t, built, filepath.Join(dir, "built-missing"), func(name string) bool { return name != "built-bundle.json" })
	r := call("with-artifacts", "--server", serveFiles(t, missing), "publish")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "artifact bundle: no built-bundle.json: run `release ... artifact --name bundle`")
	assertNothingBuilt(t, r)
	altered := copyTree(t, built, filepath.Join(dir, "built-altered"), func(string) bool { return true })
	models := filepath.Join(altered, "unisonos-models-v0.6.0.json")
	data := readFile(t, models)
	require.NoError(t, os.Remove(models)) // a hard link: replace, do not write through
	require.NoError(t, os.WriteFile(models, []byte(strings.TrimSpace(data)+" \n"), 0o644))
	r = call("with-artifacts", "--server", serveFiles(t, altered), "publish")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "the artifacts differ from what their jobs built")
	assert.Contains(t, r.Stderr, "unisonos-models-v0.6.0.json: sha256 ")

	out := filepath.Join(dir, "fanned")
	pub := call("with-artifacts", "--server", serveFiles(t, built), "publish", "export", "--path", out)
	require.NoError(t, pub.Err, tail(pub.Stderr, 60))
	t.Logf("publishing job: %.1fs", pub.Took.Seconds())
	var man release.Manifest
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "release.json"))), &man))
	assert.Equal(t, "v0.6.0", man.Version)
	for _, f := range recordedFiles(t, built) {
		assert.NoFileExists(t, filepath.Join(out, f), "the publishing job returns no copy of the jobs' files")
	}

	// the GitHub Release job: the jobs' files moved next to the notes, split, checked
	assets := copyTree(t, out, filepath.Join(dir, "release-assets"), func(string) bool { return true })
	jobs := copyTree(t, built, filepath.Join(dir, "release-built"), func(string) bool { return true })
	script, _ := filepath.Abs("../.github/scripts/release-assets.sh")
	lay, err := exec.Command("bash", script, assets, jobs).CombinedOutput()
	require.NoError(t, err, string(lay))
	// the very files a one-job release attaches, those SHA256SUMS lists with the same bytes
	assert.Equal(t, dirNames(t, single), dirNames(t, assets), "the GitHub Release's files")
	for n, sum := range sums {
		if _, err := os.Stat(filepath.Join(single, n)); err == nil {
			assert.Equal(t, sum, fileSHA(t, filepath.Join(assets, n)), n)
		}
	}
	return assets
}

// recordedFiles are the files the jobs' records list.
func recordedFiles(t *testing.T, built string) []string {
	var names []string
	for _, job := range release.Jobs {
		rec, err := release.ParseBuilt(release.BuiltFileName(job), readFile(t, filepath.Join(built, release.BuiltFileName(job))))
		require.NoError(t, err)
		for _, f := range rec.Files {
			names = append(names, f.Name)
		}
	}
	return names
}

func dirNames(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// serveFiles serves dir as the publish job does (python3 -m http.server on
// loopback) and returns the address for --server.
func serveFiles(t *testing.T, dir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "http.server", fmt.Sprint(port), "--bind", "127.0.0.1", "--directory", dir)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			resp.Body.Close()
			break
		}
		require.Less(t, i, 100, "python3 -m http.server did not answer: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Sprintf("tcp://127.0.0.1:%d", port)
}

// copyTree hard-links the files of src that keep accepts into dst.
func copyTree(t *testing.T, src, dst string, keep func(string) bool) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if keep(e.Name()) {
			require.NoError(t, os.Link(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())))
		}
	}
	return dst
}
