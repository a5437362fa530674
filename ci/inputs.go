package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
	"github.com/project-unisonOS/unison-platform/pipelines/pins"
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
func (m *UnisonPlatform) pin(ctx context.Context, in baseInput) (pins.Pin, error) {
	all, err := m.pins(ctx)
	if err != nil {
		return pins.Pin{}, err
	}
	for _, p := range all {
		if p.Name == in.Pin {
			return p, nil
		}
	}
	return pins.Pin{}, fmt.Errorf("images/ubuntu.yaml: no %s pin", in.Pin)
}

// pins are the pinned Ubuntu downloads of images/ubuntu.yaml.
func (m *UnisonPlatform) pins(ctx context.Context) ([]pins.Pin, error) {
	data, err := m.Images.File("ubuntu.yaml").Contents(ctx)
	if err != nil {
		return nil, err
	}
	return pins.Parse("images/ubuntu.yaml", []byte(data))
}

// signedPins are the pins with the keys of their signed_by read: pins check
// and pins update trust no SHA256SUMS without a good signature by them.
func (m *UnisonPlatform) signedPins(ctx context.Context) ([]pins.Pin, error) {
	all, err := m.pins(ctx)
	if err != nil {
		return nil, err
	}
	for i, p := range all {
		text, err := m.Images.File(p.SignedBy).Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("images/ubuntu.yaml: %s.signed_by: no images/%s: %w", p.Name, p.SignedBy, err)
		}
		if all[i].Keys, err = pins.ReadKeys("images/"+p.SignedBy, text); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// download fetches a pinned file from the first of its URLs that serves it.
func download(ctx context.Context, p pins.Pin) (*dagger.File, string, error) {
	var failed []string
	for _, u := range p.URLs {
		f := dag.HTTP(u)
		if _, err := f.Size(ctx); err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", u, err))
			continue
		}
		return f, u, nil
	}
	return nil, "", fmt.Errorf("images/ubuntu.yaml: %s: no URL serves it (%s); dagger call pins check tells more, pins update moves the pin",
		p.Name, strings.Join(failed, "; "))
}

// sha256Of is a file's SHA-256 (hex), computed in the tools container.
func (m *UnisonPlatform) sha256Of(ctx context.Context, f *dagger.File) (string, error) {
	got, err := m.archiver().WithMountedFile("/in/f", f).
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
		if f, what, err = download(ctx, p); err != nil {
			return nil, err
		}
		want = p.SHA256
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
		if err != nil {
			return "", "", err
		}
		return p.URLs[0], p.SHA256, nil
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
