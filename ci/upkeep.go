package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/aptpin"
	"github.com/project-unisonOS/unison-platform/pipelines/pins"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// Moves every pin forward at once (pins.yml's weekly pull request): the image digests of ci/main.go, the apt snapshot of images/apt.yaml, the Ubuntu media of images/ubuntu.yaml.
//
// Returns the files at their paths in the repository (export over the
// checkout and review the diff) and UPKEEP.md, the list of what moved.
// Image tags never change here (a new cosign or Debian release is a
// person's decision); dagger.io/dagger moves only with the engine.
//
// +cache="never"
func (p *Pins) Upkeep(
	ctx context.Context,
	// The day the apt snapshot moves to, YYYY-MM-DD (UTC); default: yesterday, the newest complete snapshot.
	// +optional
	date string,
	// Also move the Ubuntu media pins (reads Ubuntu's download servers).
	// +default=true
	media bool,
	// A Go file of image pins instead of the module's ci/main.go (another registry's images).
	// +optional
	imagePins *dagger.File,
) (*dagger.Directory, error) {
	m := p.Root
	day := time.Now().UTC().AddDate(0, 0, -1)
	if date != "" {
		d, err := time.Parse("2006-01-02", date)
		if err != nil {
			return nil, fmt.Errorf("date %q: want YYYY-MM-DD", date)
		}
		day = d
	}
	if imagePins == nil {
		imagePins = dag.CurrentModule().Source().File("main.go")
	}
	goSrc, err := imagePins.Contents(ctx)
	if err != nil {
		return nil, err
	}
	newGo, changes, err := pins.UpdateDigests(ctx, []byte(goSrc), currentDigest)
	if err != nil {
		return nil, err
	}
	aptSrc, err := m.Images.File("apt.yaml").Contents(ctx)
	if err != nil {
		return nil, err
	}
	newApt, aptChanges, err := pins.UpdateSnapshot([]byte(aptSrc), day)
	if err != nil {
		return nil, err
	}
	if _, err := aptpin.Parse("images/apt.yaml", newApt); err != nil {
		return nil, err
	}
	out := dag.Directory().WithNewFile("ci/main.go", string(newGo)).WithNewFile("images/apt.yaml", string(newApt))
	changes = append(changes, aptChanges...)
	if media {
		ubuntu, err := p.Update(ctx)
		if err != nil {
			return nil, err
		}
		out = out.WithFile("images/ubuntu.yaml", ubuntu)
	}
	return out.WithNewFile("UPKEEP.md", upkeepText(changes, media)), nil
}

// currentDigest is the digest a tag points at now (plain HTTP for a
// loopback or private registry, as the releases push).
func currentDigest(ctx context.Context, repo, tag string) (string, error) {
	var opts []name.Option
	if release.PlainHTTP(strings.SplitN(repo, "/", 2)[0]) {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.NewTag(repo+":"+tag, opts...)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	desc, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// upkeepText is the pull request's body: what moved.
func upkeepText(changes []pins.Change, media bool) string {
	var b strings.Builder
	b.WriteString("Pins moved forward by `dagger call pins upkeep` (pins.yml):\n\n")
	if len(changes) == 0 {
		b.WriteString("- image digests and the apt snapshot: unchanged\n")
	}
	for _, c := range changes {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	if media {
		b.WriteString("- Ubuntu media: images/ubuntu.yaml as pins update makes it (see the diff)\n")
	}
	b.WriteString("\nCI builds and boot-checks with the new pins; qa-real-media.yml boots new Ubuntu media.\n")
	return b.String()
}
