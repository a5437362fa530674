package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// checkFanout runs the release as release.yml's fan-out does: one
// `artifact --name X` job per artifact exported into one directory (as
// download-artifact merges them), then `with-artifacts --dir ... publish`.
// Before that it checks each job's record, and that the publishing job
// refuses an incomplete or altered set quickly, naming the problem. sums
// are the one-job release's checksums; it returns the published directory.
func checkFanout(t *testing.T, dir string, sums map[string]string, call func(terminal string, tail ...string) callResult) string {
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
	r := call("with-artifacts", "--dir", missing, "publish")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "artifact bundle: no built-bundle.json: run `release ... artifact --name bundle`")
	assertNothingBuilt(t, r)
	altered := copyTree(t, built, filepath.Join(dir, "built-altered"), func(string) bool { return true })
	models := filepath.Join(altered, "unisonos-models-v0.6.0.json")
	data := readFile(t, models)
	require.NoError(t, os.Remove(models)) // a hard link: replace, do not write through
	require.NoError(t, os.WriteFile(models, []byte(strings.TrimSpace(data)+" \n"), 0o644))
	r = call("with-artifacts", "--dir", altered, "publish")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "the artifacts differ from what their jobs built")
	assert.Contains(t, r.Stderr, "unisonos-models-v0.6.0.json: sha256 ")

	out := filepath.Join(dir, "fanned")
	pub := call("with-artifacts", "--dir", built, "publish", "export", "--path", out)
	require.NoError(t, pub.Err, tail(pub.Stderr, 60))
	t.Logf("publishing job: %.1fs", pub.Took.Seconds())
	var man release.Manifest
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "release.json"))), &man))
	assert.Equal(t, "v0.6.0", man.Version)
	return out
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
