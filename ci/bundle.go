package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/models"
)

// Renders models.json of one flavor from images/models.yaml
// (e.g. dagger call models --flavor light contents).
func (m *UnisonPlatform) Models(
	ctx context.Context,
	// Flavor: default, or one of the flavors in models.yaml (light, full-qwen, ...).
	// +optional
	// +default="default"
	flavor string,
	// The models manifest.
	// +defaultPath="/images/models.yaml"
	manifest *dagger.File,
) (*dagger.File, error) {
	fname, err := manifest.Name(ctx)
	if err != nil {
		return nil, err
	}
	js, err := renderModels(ctx, manifest, fname, flavor)
	if err != nil {
		return nil, err
	}
	return dag.Directory().WithNewFile("models.json", string(js)).File("models.json"), nil
}

func renderModels(ctx context.Context, manifest *dagger.File, fileName, flavor string) ([]byte, error) {
	data, err := manifest.Contents(ctx)
	if err != nil {
		return nil, err
	}
	mf, err := models.Parse(fileName, []byte(data))
	if err != nil {
		return nil, err
	}
	return mf.Render(flavor)
}

// Prints the service tag set of a platform version from the
// compatibility matrix images/compat.yaml, as JSON
// (e.g. dagger call compat --platform-version 0.6.0).
func (m *UnisonPlatform) Compat(
	ctx context.Context,
	// Platform version X.Y.Z (a v prefix and pre-release suffix are ignored); default: the newest.
	// +optional
	platformVersion string,
	// The compatibility matrix.
	// +defaultPath="/images/compat.yaml"
	matrix *dagger.File,
) (string, error) {
	s, err := resolveSet(ctx, matrix, platformVersion, nil)
	if err != nil {
		return "", err
	}
	return string(s.JSON()), nil
}

func resolveSet(ctx context.Context, matrix *dagger.File, platformVersion string, digests []string) (*compat.Set, error) {
	data, err := matrix.Contents(ctx)
	if err != nil {
		return nil, err
	}
	mx, err := compat.Parse("images/compat.yaml", []byte(data))
	if err != nil {
		return nil, err
	}
	s, err := mx.Resolve(platformVersion)
	if err != nil {
		return nil, err
	}
	pins := map[string]string{}
	for _, d := range digests {
		k, v, ok := strings.Cut(d, "=")
		if !ok {
			return nil, fmt.Errorf("digests: %q is not SERVICE=sha256:...", d)
		}
		pins[k] = v
	}
	if err := s.Pin(pins); err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	return s, nil
}

// BundleOpts are the inputs every artifact's platform bundle is built from.
type bundleOpts struct {
	Version, Flavor, PlatformVersion, Commit, CommitTime string
	Digests                                              []string
	Images, Installer                                    *dagger.Directory
}

// bundleTree renders the platform bundle as a directory (unison-platform/...)
// and returns the commit time its files are dated with.
func (m *UnisonPlatform) bundleTree(ctx context.Context, o bundleOpts) (*dagger.Directory, time.Time, error) {
	set, err := resolveSet(ctx, o.Images.File("compat.yaml"), platformFor(o.Version, o.PlatformVersion), o.Digests)
	if err != nil {
		return nil, time.Time{}, err
	}
	in := bundle.Input{Version: o.Version, Flavor: o.Flavor, Commit: o.Commit, CommitTime: o.CommitTime, Set: set}
	created, err := in.Validate()
	if err != nil {
		return nil, time.Time{}, err
	}
	mj, err := renderModels(ctx, o.Images.File("models.yaml"), "images/models.yaml", o.Flavor)
	if err != nil {
		return nil, time.Time{}, err
	}
	meta, err := in.MetadataJSON()
	if err != nil {
		return nil, time.Time{}, err
	}
	d := dag.Directory().
		WithNewFile("compose.yaml", string(set.Compose())).
		WithNewFile("services.json", string(set.JSON())).
		WithNewFile("models.json", string(mj)).
		WithNewFile("metadata.json", string(meta)).
		WithNewFile("platform.env.template", string(in.EnvTemplate())).
		WithNewFile("README.md", string(in.Readme())).
		WithDirectory("installer", o.Installer, dagger.DirectoryWithDirectoryOpts{Include: []string{"*.sh"}})
	return d, created, nil
}

// reproducibleTar is the tar invocation shared by every tarball the module
// writes: sorted entries, numeric owners, mtimes clamped to
// SOURCE_DATE_EPOCH, no atime/ctime (callers add gzip -n: no name, no time).
const reproducibleTar = `tar --sort=name --mtime=@"$SOURCE_DATE_EPOCH" --clamp-mtime --numeric-owner ` +
	`--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime`

// reproducibleTarGz is reproducibleTar for payloads whose files all belong to root.
const reproducibleTarGz = reproducibleTar + ` --owner=0 --group=0`

// Builds the platform bundle every artifact carries: compose file with
// the compatibility set's tags (pinned by digest when given), services.json,
// models.json, metadata.json, a platform.env template (placeholders only),
// the installers and a README, as a byte-reproducible tar.gz.
func (m *UnisonPlatform) Bundle(
	ctx context.Context,
	// Platform version label of the bundle (e.g. v0.6.0, edge-main-20261127).
	// +optional
	// +default="0.0.0-dev"
	version string,
	// Model flavor (see images/models.yaml).
	// +optional
	// +default="default"
	flavor string,
	// Platform version in the compatibility matrix; default: derived from version, else the newest.
	// +optional
	platformVersion string,
	// Commit SHA recorded in metadata.json.
	// +optional
	// +default="unknown"
	commit string,
	// Commit time, RFC 3339: build date and every file's mtime (git show -s --format=%cI).
	// +optional
	// +default="1970-01-01T00:00:00Z"
	commitTime string,
	// Image digests to pin, SERVICE=sha256:... (release builds).
	// +optional
	digests []string,
	// Build inputs (models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
) (*dagger.File, error) {
	o := bundleOpts{Version: version, Flavor: flavor, PlatformVersion: platformVersion, Commit: commit,
		CommitTime: commitTime, Digests: digests, Images: images, Installer: installer}
	tree, created, err := m.bundleTree(ctx, o)
	if err != nil {
		return nil, err
	}
	return m.bundleTar(tree, created, version), nil
}

// platformFor is the compatibility-matrix version of a bundle: the explicit
// one, else the version itself when it looks like X.Y.Z, else "" (newest).
func platformFor(version, explicit string) string {
	if explicit != "" {
		return explicit
	}
	if len(version) > 1 && (version[0] == 'v' || (version[0] >= '0' && version[0] <= '9')) && strings.Count(version, ".") >= 2 && !strings.HasPrefix(version, "0.0.0") {
		return version
	}
	return ""
}

// bundleTar packs a bundle tree as the byte-reproducible tar.gz every artifact carries.
func (m *UnisonPlatform) bundleTar(tree *dagger.Directory, created time.Time, version string) *dagger.File {
	name := fmt.Sprintf("unison-platform-bundle-%s.tar.gz", version)
	return m.tools().
		WithEnvVariable("SOURCE_DATE_EPOCH", fmt.Sprint(created.Unix())).
		WithDirectory("/src/unison-platform", tree).
		WithExec([]string{"sh", "-c", `set -e
cd /src
find unison-platform -type d -exec chmod 0755 {} +
find unison-platform -type f -exec chmod 0644 {} +
chmod 0755 unison-platform/installer/*.sh
find unison-platform -exec touch -h -d @"$SOURCE_DATE_EPOCH" {} +
` + reproducibleTarGz + ` -cf - unison-platform | gzip -n -9 > "/out.tar.gz"`}).
		File("/out.tar.gz").WithName(name)
}
