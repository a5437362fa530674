package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
)

// baseInput is a base medium: a given file (checked against SHA256 when
// set) or, when File is nil, the download pinned as Pin in images/ubuntu.yaml.
type baseInput struct {
	File   *dagger.File
	SHA256 string
	// Pin names the images/ubuntu.yaml entry; Arg the argument for errors.
	Pin, Arg string
}

// pin is the images/ubuntu.yaml entry of a base input.
func (m *UnisonPlatform) pin(ctx context.Context, in baseInput) (iso.Pin, error) {
	data, err := m.Images.File("ubuntu.yaml").Contents(ctx)
	if err != nil {
		return iso.Pin{}, err
	}
	pins, err := iso.ParsePins("images/ubuntu.yaml", []byte(data))
	if err != nil {
		return iso.Pin{}, err
	}
	p, ok := pins[in.Pin]
	if !ok {
		return iso.Pin{}, fmt.Errorf("images/ubuntu.yaml: no %s pin", in.Pin)
	}
	return p, nil
}

// sha256Of is a file's SHA-256 (hex), computed in the tools container.
func (m *UnisonPlatform) sha256Of(ctx context.Context, f *dagger.File) (string, error) {
	got, err := m.tools().WithMountedFile("/in/f", f).
		WithExec([]string{"sh", "-c", "sha256sum /in/f | cut -d' ' -f1"}).Stdout(ctx)
	return strings.TrimSpace(got), err
}

// verified returns the base file, its SHA-256 checked before any use.
func (m *UnisonPlatform) verified(ctx context.Context, in baseInput) (*dagger.File, error) {
	f, want, what := in.File, in.SHA256, in.Arg
	if f == nil {
		p, err := m.pin(ctx, in)
		if err != nil {
			return nil, err
		}
		f, want, what = dag.HTTP(p.URL), p.SHA256, p.URL
	}
	if want == "" {
		return f, nil
	}
	got, err := m.sha256Of(ctx, f)
	if err != nil {
		return nil, err
	}
	if err := iso.CheckSHA256(what, want, got); err != nil {
		return nil, err
	}
	return f, nil
}

// baseDigest names a base input and its SHA-256 for provenance: the pinned
// URL, or the given file (its checksum as given, else computed).
func (m *UnisonPlatform) baseDigest(ctx context.Context, in baseInput) (string, string, error) {
	if in.File == nil {
		p, err := m.pin(ctx, in)
		return p.URL, p.SHA256, err
	}
	name, err := in.File.Name(ctx)
	if err != nil {
		return "", "", err
	}
	sum := in.SHA256
	if sum == "" {
		if sum, err = m.sha256Of(ctx, in.File); err != nil {
			return "", "", err
		}
	}
	return "file:" + name, sum, nil
}
