package ociartifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func file(t *testing.T, dir, name, content, mt string) File {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	s := sha256.Sum256([]byte(content))
	return File{Path: p, Name: name, MediaType: mt, SHA256: hex.EncodeToString(s[:]), Size: int64(len(content))}
}

// a real registry server on loopback; failPuts > 0 makes that many manifest
// PUTs fail with 400 (not retried by the client)
func serve(t *testing.T, failPuts *int32) string {
	h := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && atomic.AddInt32(failPuts, -1) >= 0 {
			http.Error(w, `{"errors":[{"code":"MANIFEST_INVALID","message":"injected"}]}`, http.StatusBadRequest)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPushTagReadBack(t *testing.T) {
	var fail int32
	host := serve(t, &fail)
	dir := t.TempDir()
	a := Artifact{
		ArtifactType: "application/vnd.unisonos.wsl.v1",
		Files: []File{
			file(t, dir, "unisonos-v1.wsl", "rootfs bytes", "application/gzip"),
			file(t, dir, "unisonos-wsl-v1.tar.gz", "bundle bytes", "application/gzip"),
		},
		Annotations: map[string]string{"org.opencontainers.image.version": "v1"},
	}
	repo, err := name.NewRepository(host + "/owner/unisonos-wsl")
	require.NoError(t, err)
	ctx := context.Background()
	d1, err := Push(ctx, repo, a)
	require.NoError(t, err)
	d2, err := Push(ctx, repo, a)
	require.NoError(t, err)
	assert.Equal(t, d1, d2, "a rerun writes the same manifest")
	require.NoError(t, Tag(ctx, repo, d1.String(), []string{"v1", "latest"}))

	for _, tag := range []string{"v1", "latest"} {
		desc, err := remote.Get(repo.Tag(tag))
		require.NoError(t, err)
		assert.Equal(t, d1, desc.Digest, tag)
		var m v1.Manifest
		require.NoError(t, json.Unmarshal(desc.Manifest, &m))
		assert.Equal(t, "application/vnd.unisonos.wsl.v1", m.ArtifactType)
		assert.Equal(t, EmptyConfig, string(m.Config.MediaType))
		assert.Equal(t, "v1", m.Annotations["org.opencontainers.image.version"])
		require.Len(t, m.Layers, 2)
		for i, l := range m.Layers {
			assert.Equal(t, a.Files[i].Name, l.Annotations[TitleAnnotation])
			blob, err := remote.Layer(repo.Digest(l.Digest.String()))
			require.NoError(t, err)
			rc, err := blob.Compressed()
			require.NoError(t, err)
			b, _ := io.ReadAll(rc)
			rc.Close()
			want, _ := os.ReadFile(a.Files[i].Path)
			assert.Equal(t, want, b, "blob of %s", a.Files[i].Name)
		}
	}
}

func TestRerunAfterFailedManifestPut(t *testing.T) {
	fail := int32(1)
	host := serve(t, &fail)
	dir := t.TempDir()
	a := Artifact{ArtifactType: "application/vnd.unisonos.baremetal.v1",
		Files: []File{file(t, dir, "x.iso", "iso bytes", "application/vnd.efi.iso")}}
	repo, _ := name.NewRepository(host + "/o/unisonos-baremetal")
	_, err := Push(context.Background(), repo, a)
	require.ErrorContains(t, err, "manifest")
	_, err = remote.Get(repo.Tag("v1"))
	require.Error(t, err, "nothing tagged after the failure")
	d, err := Push(context.Background(), repo, a)
	require.NoError(t, err, "the rerun converges")
	_, want, _ := a.Manifest()
	assert.Equal(t, want, d)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := file(t, dir, "a.iso", "x", "application/vnd.efi.iso")
	for name, a := range map[string]Artifact{
		"no type":   {ArtifactType: "iso", Files: []File{good}},
		"no files":  {ArtifactType: "application/x.y"},
		"dup":       {ArtifactType: "application/x.y", Files: []File{good, good}},
		"bad sha":   {ArtifactType: "application/x.y", Files: []File{{Path: good.Path, Name: "a", MediaType: "a/b", SHA256: "zz", Size: 1}}},
		"no size":   {ArtifactType: "application/x.y", Files: []File{{Path: good.Path, Name: "a", MediaType: "a/b", SHA256: good.SHA256}}},
		"bad media": {ArtifactType: "application/x.y", Files: []File{{Path: good.Path, Name: "a", MediaType: "ab", SHA256: good.SHA256, Size: 1}}},
	} {
		_, _, err := a.Manifest()
		assert.Error(t, err, name)
	}
	// a file that changed on disk after it was checksummed is refused
	var fail int32
	repo, _ := name.NewRepository(serve(t, &fail) + "/o/r")
	changed := good
	changed.Size = 2
	_, err := Push(context.Background(), repo, Artifact{ArtifactType: "application/x.y", Files: []File{changed}})
	require.Error(t, err)
}

// Tags and the revision a tag was published with, read back from a real
// registry on loopback: an artifact (annotations), an image (config labels)
// and tags that do not exist.
func TestTagsAndRevision(t *testing.T) {
	host := serve(t, new(int32))
	ctx := context.Background()
	repo, err := name.NewRepository(host + "/owner/unisonos-baremetal")
	require.NoError(t, err)
	tags, err := Tags(ctx, repo)
	require.NoError(t, err)
	assert.Empty(t, tags, "a repository that does not exist has no tags")
	rev, err := Revision(ctx, repo.Tag("v1"))
	require.NoError(t, err)
	assert.Empty(t, rev)

	a := Artifact{ArtifactType: "application/vnd.unisonos.baremetal.v1",
		Files:       []File{file(t, t.TempDir(), "a.iso", "iso bytes", "application/vnd.efi.iso")},
		Annotations: map[string]string{"org.opencontainers.image.revision": "abc123"}}
	d, err := Push(ctx, repo, a)
	require.NoError(t, err)
	require.NoError(t, Tag(ctx, repo, d.String(), []string{"v1", "latest"}))
	tags, err = Tags(ctx, repo)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"v1", "latest"}, tags)
	rev, err = Revision(ctx, repo.Tag("v1"))
	require.NoError(t, err)
	assert.Equal(t, "abc123", rev)

	img, err := mutate.Config(empty.Image, v1.Config{Labels: map[string]string{"org.opencontainers.image.revision": "def456"}})
	require.NoError(t, err)
	irepo, err := name.NewRepository(host + "/owner/unison-platform")
	require.NoError(t, err)
	require.NoError(t, remote.Write(irepo.Tag("v1"), img))
	rev, err = Revision(ctx, irepo.Tag("v1"))
	require.NoError(t, err)
	assert.Equal(t, "def456", rev)

	// the betas of one release branch, with the commits they were built from
	require.NoError(t, Tag(ctx, repo, d.String(), []string{"v1.4.0-beta.1", "v1.5.0-beta.1", "v1.4.0"}))
	all, err := Tags(ctx, repo)
	require.NoError(t, err)
	revs, err := BetaRevisions(ctx, repo, all, "v1.4.")
	require.NoError(t, err)
	assert.Equal(t, []string{"v1.4.0-beta.1=abc123"}, revs)
	none, err := BetaRevisions(ctx, repo, all, "")
	require.NoError(t, err)
	assert.Empty(t, none)
}

// A multi-platform index gets the labels as index annotations (pushed under
// its tag, a new digest); a single manifest is left alone.
func TestAnnotateIndex(t *testing.T) {
	host := serve(t, new(int32))
	ctx := context.Background()
	repo, err := name.NewRepository(host + "/owner/unison-multi")
	require.NoError(t, err)
	idx, err := random.Index(64, 1, 2)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(repo.Tag("v1.0.0"), idx))
	d, err := idx.Digest()
	require.NoError(t, err)
	anns := map[string]string{"org.opencontainers.image.source": "https://github.com/o/r", "org.opencontainers.image.version": "v1.0.0"}
	nd, err := AnnotateIndex(ctx, repo, d.String(), "v1.0.0", anns)
	require.NoError(t, err)
	assert.NotEqual(t, d.String(), nd)
	got, err := remote.Index(repo.Tag("v1.0.0"))
	require.NoError(t, err)
	m, err := got.IndexManifest()
	require.NoError(t, err)
	assert.Equal(t, anns, m.Annotations)
	gd, _ := got.Digest()
	assert.Equal(t, nd, gd.String())
	assert.Len(t, m.Manifests, 2, "the platforms stay")

	img, err := random.Image(64, 1)
	require.NoError(t, err)
	require.NoError(t, remote.Write(repo.Tag("single"), img))
	id, _ := img.Digest()
	same, err := AnnotateIndex(ctx, repo, id.String(), "single", anns)
	require.NoError(t, err)
	assert.Equal(t, id.String(), same)
}

// Files streamed with Open (an HTTP body) are pushed like files on disk,
// and bytes that are not the ones recorded are refused before the manifest.
func TestPushStreamed(t *testing.T) {
	var fail int32
	host := serve(t, &fail)
	content := strings.Repeat("iso bytes ", 100000)
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/corrupt" {
			io.WriteString(w, strings.Replace(content, "iso", "ISO", 1))
			return
		}
		io.WriteString(w, content)
	}))
	t.Cleanup(files.Close)
	sum := sha256.Sum256([]byte(content))
	get := func(path string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) {
			resp, err := http.Get(files.URL + path)
			if err != nil {
				return nil, err
			}
			return resp.Body, nil
		}
	}
	f := File{Open: get("/ok"), Name: "x.iso", MediaType: "application/vnd.efi.iso", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content))}
	repo, _ := name.NewRepository(host + "/o/unisonos-baremetal")
	d, err := Push(context.Background(), repo, Artifact{ArtifactType: "application/vnd.unisonos.baremetal.v1", Files: []File{f}})
	require.NoError(t, err)
	desc, err := remote.Get(repo.Digest(d.String()))
	require.NoError(t, err)
	var m v1.Manifest
	require.NoError(t, json.Unmarshal(desc.Manifest, &m))
	rc, err := remote.Layer(repo.Digest(m.Layers[0].Digest.String()))
	require.NoError(t, err)
	r, _ := rc.Compressed()
	b, _ := io.ReadAll(r)
	assert.Equal(t, content, string(b))

	for _, c := range []struct {
		name string
		f    File
		want string
	}{
		{"other bytes", File{Open: get("/corrupt"), Size: f.Size, SHA256: f.SHA256}, "SHA-256"},
		{"shorter than recorded", File{Open: get("/ok"), Size: f.Size + 1, SHA256: f.SHA256}, "bytes with SHA-256"},
		{"longer than recorded", File{Open: get("/ok"), Size: f.Size - 1, SHA256: f.SHA256}, "more than the"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := c.f
			bad.Name, bad.MediaType = "y.iso", f.MediaType
			var fail int32
			repo, _ := name.NewRepository(serve(t, &fail) + "/o/unisonos-baremetal") // a registry without the blob
			a := Artifact{ArtifactType: "application/vnd.unisonos.baremetal.v1", Files: []File{bad}}
			_, err := Push(context.Background(), repo, a)
			require.ErrorContains(t, err, c.want)
			_, digest, _ := a.Manifest()
			_, err = remote.Get(repo.Digest(digest.String()))
			require.Error(t, err, "no manifest written")
		})
	}
}
