// Package ociartifact pushes release files to a registry as OCI 1.1
// artifacts (an empty config, one layer per file titled with its name, an
// artifactType), the layout `oras pull` understands, with
// go-containerregistry. The manifest bytes depend only on the files and the
// annotations, so a rerun writes the same digest: pushes are idempotent.
package ociartifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// EmptyConfig is the OCI empty descriptor's media type; its blob is "{}".
const EmptyConfig = "application/vnd.oci.empty.v1+json"

// TitleAnnotation names a layer's file (what oras pull writes it as).
const TitleAnnotation = "org.opencontainers.image.title"

// File is one file of an artifact, with its checksum computed beforehand.
// Its bytes come from Path, or from Open when set (a stream: an HTTP body);
// either way they are checked against Size and SHA256 as they are sent.
type File struct {
	// Path on the local disk.
	Path string
	// Open, when set, streams the bytes instead of Path.
	Open func() (io.ReadCloser, error)
	// Name in the artifact (the title annotation).
	Name      string
	MediaType string
	SHA256    string
	Size      int64
}

// Artifact is what one manifest carries.
type Artifact struct {
	ArtifactType string
	Files        []File
	// Annotations of the manifest (OCI labels of the release).
	Annotations map[string]string
}

var (
	shaRE  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	typeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$`)
)

func (a Artifact) check() error {
	if !typeRE.MatchString(a.ArtifactType) {
		return fmt.Errorf("artifactType %q: not a media type (type/subtype)", a.ArtifactType)
	}
	if len(a.Files) == 0 {
		return fmt.Errorf("artifact %s: no files", a.ArtifactType)
	}
	seen := map[string]bool{}
	for _, f := range a.Files {
		if f.Name == "" || seen[f.Name] {
			return fmt.Errorf("artifact %s: file name %q empty or listed twice", a.ArtifactType, f.Name)
		}
		seen[f.Name] = true
		if !shaRE.MatchString(f.SHA256) || f.Size <= 0 || !typeRE.MatchString(f.MediaType) {
			return fmt.Errorf("artifact %s: file %s: needs a SHA-256, a size and a media type", a.ArtifactType, f.Name)
		}
	}
	return nil
}

func emptyConfig() v1.Layer { return static.NewLayer([]byte("{}"), EmptyConfig) }

// Manifest renders the artifact's manifest and its digest.
func (a Artifact) Manifest() ([]byte, v1.Hash, error) {
	if err := a.check(); err != nil {
		return nil, v1.Hash{}, err
	}
	cfg := emptyConfig()
	cd, _ := cfg.Digest()
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  a.ArtifactType,
		Config:        v1.Descriptor{MediaType: EmptyConfig, Digest: cd, Size: 2, Data: []byte("{}")},
		Annotations:   a.Annotations,
	}
	for _, f := range a.Files {
		m.Layers = append(m.Layers, v1.Descriptor{
			MediaType:   types.MediaType(f.MediaType),
			Digest:      v1.Hash{Algorithm: "sha256", Hex: f.SHA256},
			Size:        f.Size,
			Annotations: map[string]string{TitleAnnotation: f.Name},
		})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(b))
	return b, h, err
}

// Push uploads the files (blobs already in the repository are skipped) and
// writes the manifest by digest, without a tag; Tag moves tags onto it.
func Push(ctx context.Context, repo name.Repository, a Artifact, opts ...remote.Option) (v1.Hash, error) {
	raw, digest, err := a.Manifest()
	if err != nil {
		return v1.Hash{}, err
	}
	opts = append(opts, remote.WithContext(ctx))
	if err := remote.WriteLayer(repo, emptyConfig(), opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("push %s config: %w", repo, err)
	}
	for _, f := range a.Files {
		if err := remote.WriteLayer(repo, &fileLayer{f}, opts...); err != nil {
			return v1.Hash{}, fmt.Errorf("push %s file %s: %w", repo, f.Name, err)
		}
	}
	if err := remote.Put(repo.Digest(digest.String()), rawManifest(raw), opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("push %s manifest: %w", repo, err)
	}
	return digest, nil
}

// Tag points each tag of repo at the manifest with the given digest (which
// must already be in the repository). Moving a tag onto the digest it
// already has is a no-op for the registry.
func Tag(ctx context.Context, repo name.Repository, digest string, tags []string, opts ...remote.Option) error {
	opts = append(opts, remote.WithContext(ctx))
	desc, err := remote.Get(repo.Digest(digest), opts...)
	if err != nil {
		return fmt.Errorf("tag %s: manifest %s: %w", repo, digest, err)
	}
	for _, t := range tags {
		if err := remote.Tag(repo.Tag(t), desc, opts...); err != nil {
			return fmt.Errorf("tag %s:%s: %w", repo, t, err)
		}
	}
	return nil
}

type rawManifest []byte

func (r rawManifest) RawManifest() ([]byte, error)        { return r, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// fileLayer streams a file from disk as a blob whose digest is known.
type fileLayer struct{ f File }

func (l *fileLayer) Digest() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: l.f.SHA256}, nil
}
func (l *fileLayer) DiffID() (v1.Hash, error) { return l.Digest() }
func (l *fileLayer) Size() (int64, error)     { return l.f.Size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) {
	return types.MediaType(l.f.MediaType), nil
}
func (l *fileLayer) Compressed() (io.ReadCloser, error) {
	if l.f.Open != nil {
		rc, err := l.f.Open()
		if err != nil {
			return nil, err
		}
		return &verified{rc: rc, f: l.f, h: sha256.New()}, nil
	}
	fh, err := os.Open(l.f.Path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	if st.Size() != l.f.Size {
		fh.Close()
		return nil, fmt.Errorf("%s: %d bytes on disk, %d expected", l.f.Path, st.Size(), l.f.Size)
	}
	return &verified{rc: fh, f: l.f, h: sha256.New()}, nil
}

// verified passes a file's bytes through and fails at their end (before
// the upload is committed) when they are not the size and SHA-256 recorded.
type verified struct {
	rc io.ReadCloser
	f  File
	h  hash.Hash
	n  int64
}

func (v *verified) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.f.Size {
		return n, fmt.Errorf("%s: more than the %d bytes recorded", v.f.Name, v.f.Size)
	}
	if errors.Is(err, io.EOF) {
		if got := hex.EncodeToString(v.h.Sum(nil)); v.n != v.f.Size || got != v.f.SHA256 {
			return n, fmt.Errorf("%s: %d bytes with SHA-256 %s, recorded %d bytes with %s", v.f.Name, v.n, got, v.f.Size, v.f.SHA256)
		}
	}
	return n, err
}

func (v *verified) Close() error { return v.rc.Close() }

func (l *fileLayer) Uncompressed() (io.ReadCloser, error) { return l.Compressed() }

// Tags lists the tags of a repository; a repository that does not exist yet
// has none.
func Tags(ctx context.Context, repo name.Repository, opts ...remote.Option) ([]string, error) {
	tags, err := remote.List(repo, append(opts, remote.WithContext(ctx))...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", repo, err)
	}
	return tags, nil
}

// Revision is the org.opencontainers.image.revision a tag was published
// with (manifest annotations of an artifact, config labels of an image), or
// "" when the tag does not exist.
func Revision(ctx context.Context, ref name.Tag, opts ...remote.Option) (string, error) {
	opts = append(opts, remote.WithContext(ctx))
	desc, err := remote.Get(ref, opts...)
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ref, err)
	}
	const key = "org.opencontainers.image.revision"
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err == nil && m.Annotations[key] != "" {
		return m.Annotations[key], nil
	}
	img, err := desc.Image()
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", fmt.Errorf("read the config of %s: %w", ref, err)
	}
	return cfg.Config.Labels[key], nil
}

// BetaRevisions reads the commit each beta tag with prefix (e.g. "v1.4.")
// was published from: tag -> commit ("tag=commit" pairs, sorted), for
// version.Input.Published. An empty prefix reads nothing.
func BetaRevisions(ctx context.Context, repo name.Repository, tags []string, prefix string, opts ...remote.Option) ([]string, error) {
	var out []string
	if prefix == "" {
		return nil, nil
	}
	for _, t := range tags {
		if !strings.HasPrefix(t, prefix) || !strings.Contains(t, "-beta.") {
			continue
		}
		rev, err := Revision(ctx, repo.Tag(t), opts...)
		if err != nil {
			return nil, err
		}
		if rev != "" {
			out = append(out, t+"="+rev)
		}
	}
	sort.Strings(out)
	return out, nil
}

// AnnotateIndex gives the image index at digest the annotations (the OCI
// labels: GHCR and others read a multi-platform image's metadata from its
// index) and pushes it under tag; it returns the annotated index's digest.
// A single-platform manifest is left as it is (its config carries the labels).
func AnnotateIndex(ctx context.Context, repo name.Repository, digest, tag string, annotations map[string]string, opts ...remote.Option) (string, error) {
	opts = append(opts, remote.WithContext(ctx))
	desc, err := remote.Get(repo.Digest(digest), opts...)
	if err != nil {
		return "", fmt.Errorf("annotate %s@%s: %w", repo, digest, err)
	}
	if !desc.MediaType.IsIndex() {
		return digest, nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return "", err
	}
	annotated, ok := mutate.Annotations(idx, annotations).(v1.ImageIndex)
	if !ok {
		return "", fmt.Errorf("annotate %s@%s: not an index", repo, digest)
	}
	if err := remote.WriteIndex(repo.Tag(tag), annotated, opts...); err != nil {
		return "", fmt.Errorf("annotate %s:%s: %w", repo, tag, err)
	}
	d, err := annotated.Digest()
	if err != nil {
		return "", err
	}
	return d.String(), nil
}
