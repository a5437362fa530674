package integration

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const bundleCommitTime = "2026-11-20T10:00:00Z"

func bundleArgs(extra ...string) []string {
	return append([]string{"build", "--version", "v0.6.0", "--flavor", "light",
		"--commit", "0123456789abcdef0123456789abcdef01234567", "--commit-time", bundleCommitTime, "bundle"}, extra...)
}

func fileSHA(t testing.TB, p string) string {
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

type tarEntry struct {
	hdr  *tar.Header
	body []byte
}

func readTarGz(t testing.TB, p string) ([]tarEntry, *gzip.Header) {
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	gh := zr.Header
	tr := tar.NewReader(zr)
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		b, err := io.ReadAll(tr)
		require.NoError(t, err)
		out = append(out, tarEntry{h, b})
	}
	return out, &gh
}

// buildBundle exports the bundle and returns its path.
func buildBundle(t *testing.T, dir string, extra ...string) string {
	p := filepath.Join(dir, "bundle.tar.gz")
	mustCall(t, 20*time.Minute, append(bundleArgs(extra...), "export", "--path", p)...)
	return p
}

func TestBundleReproducibleAndComplete(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	a := buildBundle(t, dir)
	b := filepath.Join(dir, "again.tar.gz")
	// rebuilt, not replayed from the cache: the same bytes
	mustCall(t, 10*time.Minute, append(append([]string{freshNonce()}, bundleArgs()...), "export", "--path", b)...)
	assert.Equal(t, fileSHA(t, a), fileSHA(t, b), "same inputs, rebuilt: same bytes")

	entries, gh := readTarGz(t, a)
	assert.True(t, gh.ModTime.IsZero() || gh.ModTime.Unix() == 0, "gzip header has no timestamp")
	assert.Empty(t, gh.Name, "gzip header has no file name")
	commit, _ := time.Parse(time.RFC3339, bundleCommitTime)
	var names []string
	files := map[string]tarEntry{}
	for _, e := range entries {
		names = append(names, e.hdr.Name)
		files[strings.TrimSuffix(e.hdr.Name, "/")] = e
		assert.Equal(t, 0, e.hdr.Uid, e.hdr.Name)
		assert.Equal(t, 0, e.hdr.Gid, e.hdr.Name)
		assert.True(t, e.hdr.ModTime.Equal(commit), "%s mtime %s, want the commit time", e.hdr.Name, e.hdr.ModTime)
		assert.False(t, strings.HasPrefix(e.hdr.Name, "/") || strings.Contains(e.hdr.Name, ".."), e.hdr.Name)
	}
	assert.True(t, sort.StringsAreSorted(names), "entries sorted: %v", names) // one flat folder level: global order = per-folder order
	for _, f := range []string{"compose.yaml", "services.json", "models.json", "metadata.json", "platform.env.template", "README.md",
		"installer/common.sh", "installer/install-docker.sh", "installer/install-native.sh", "installer/install-wsl.sh"} {
		e, ok := files["unison-platform/"+f]
		require.True(t, ok, "missing %s in %v", f, names)
		want := int64(0o644)
		if strings.HasSuffix(f, ".sh") {
			want = 0o755
		}
		assert.Equal(t, want, e.hdr.Mode&0o777, f)
	}
	var md map[string]any
	require.NoError(t, json.Unmarshal(files["unison-platform/metadata.json"].body, &md))
	assert.Equal(t, "v0.6.0", md["version"])
	assert.Equal(t, "0.6.0", md["platform_version"])
	assert.Equal(t, "light", md["flavor"])
	assert.Equal(t, bundleCommitTime, md["build_date"])
	golden, err := os.ReadFile(filepath.Join(repoRoot(t), "pipelines", "models", "testdata", "models-light.golden.json"))
	require.NoError(t, err)
	assert.Equal(t, string(golden), string(files["unison-platform/models.json"].body))
	compose := string(files["unison-platform/compose.yaml"].body)
	assert.Contains(t, compose, "image: ghcr.io/project-unisonos/unison-inference:v0.6.1")
	env := string(files["unison-platform/platform.env.template"].body)
	assert.Contains(t, env, "UNISON_AUTH_SECRET=CHANGE_ME")
}

func TestBundleDigestPinning(t *testing.T) {
	requireEngine(t)
	p := buildBundle(t, outDir(t), "--digests", "inference=sha256:"+strings.Repeat("ab", 32))
	entries, _ := readTarGz(t, p)
	for _, e := range entries {
		if e.hdr.Name == "unison-platform/compose.yaml" {
			assert.Contains(t, string(e.body), "image: ghcr.io/project-unisonos/unison-inference@sha256:"+strings.Repeat("ab", 32)+" # v0.6.1\n")
			return
		}
	}
	t.Fatal("no compose.yaml")
}

func TestModelsAndCompatFunctions(t *testing.T) {
	requireEngine(t)
	got := mustCall(t, 10*time.Minute, "inputs", "models", "--flavor", "light", "contents")
	golden, err := os.ReadFile(filepath.Join(repoRoot(t), "pipelines", "models", "testdata", "models-light.golden.json"))
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(golden)), strings.TrimSpace(got))

	r := daggerCall(t, 5*time.Minute, "inputs", "models", "--flavor", "huge", "contents")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `flavor "huge": unknown (known: default, full-qwen, light)`)

	r = daggerCall(t, 5*time.Minute, "inputs", "models", "--manifest", "integration/testdata/bad-models.yaml", "contents")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `bad-models.yaml:5: default.preload: want true or false, got "sometimes"`)

	var set struct {
		PlatformVersion string            `json:"platform_version"`
		Tags            map[string]string `json:"tags"`
	}
	require.NoError(t, json.Unmarshal([]byte(mustCall(t, 5*time.Minute, "inputs", "compat", "--platform-version", "0.5.0")), &set))
	assert.Equal(t, "0.5.0", set.PlatformVersion)
	assert.Len(t, set.Tags, 4)
	for svc, tag := range set.Tags {
		assert.Equal(t, "v0.5.0", tag, svc)
	}
	r = daggerCall(t, 5*time.Minute, "inputs", "compat", "--platform-version", "9.9.9")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `platform-version "9.9.9": not in the compatibility matrix`)

	// the version plan of a release branch, as docs/functions.md calls it: the next beta of 1.4
	plan := mustCall(t, 5*time.Minute, "inputs", "version", "--ref", "refs/heads/release/1.4", "--sha", "0123456789abcdef0123456789abcdef01234567",
		"--commit-time", "2026-11-20T10:00:00Z", "--existing-tags", "v1.3.0,v1.4.0-beta.1", "tags")
	assert.Equal(t, "v1.4.0-beta.2\nbeta\nsha-0123456", strings.TrimSpace(plan))
	r = daggerCall(t, 5*time.Minute, "inputs", "version", "--ref", "main", "--sha", "0123456", "--commit-time", "2026-11-20T10:00:00Z", "tags")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `ref "main": want refs/tags/vX.Y.Z`)
}

// Commit and commit time default from the checkout's HEAD: both read from
// git when neither is given; a given commit time is used as it is.
func TestBundleCommitDefaults(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	head, err := exec.Command("git", "-C", repoRoot(t), "show", "-s", "--format=%H %cI", "HEAD").Output()
	require.NoError(t, err)
	sha, when, _ := strings.Cut(strings.TrimSpace(string(head)), " ")
	headTime, err := time.Parse(time.RFC3339, when)
	require.NoError(t, err)
	metadata := func(p string, args ...string) map[string]any {
		mustCall(t, 10*time.Minute, append(append(append([]string{"build", "--version", "v0.6.0"}, args...), "bundle"), "export", "--path", p)...)
		entries, _ := readTarGz(t, p)
		for _, e := range entries {
			if e.hdr.Name == "unison-platform/metadata.json" {
				var md map[string]any
				require.NoError(t, json.Unmarshal(e.body, &md))
				return md
			}
		}
		t.Fatalf("%s: no metadata.json", p)
		return nil
	}
	md := metadata(filepath.Join(dir, "head.tar.gz"))
	assert.Equal(t, sha, md["commit"])
	assert.Equal(t, headTime.UTC().Format(time.RFC3339), md["build_date"], "HEAD's commit time")
	md = metadata(filepath.Join(dir, "given.tar.gz"), "--commit-time", bundleCommitTime)
	assert.Equal(t, sha, md["commit"])
	assert.Equal(t, bundleCommitTime, md["build_date"])
}
