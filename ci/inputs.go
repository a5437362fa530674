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

// verified returns the base file, its SHA-256 checked before any use.
func (m *UnisonPlatform) verified(ctx context.Context, in baseInput) (*dagger.File, error) {
	f, want, what := in.File, in.SHA256, in.Arg
	if f == nil {
		data, err := m.Images.File("ubuntu.yaml").Contents(ctx)
		if err != nil {
			return nil, err
		}
		pins, err := iso.ParsePins("images/ubuntu.yaml", []byte(data))
		if err != nil {
			return nil, err
		}
		p, ok := pins[in.Pin]
		if !ok {
			return nil, fmt.Errorf("images/ubuntu.yaml: no %s pin", in.Pin)
		}
		f, want, what = dag.HTTP(p.URL), p.SHA256, p.URL
	}
	if want == "" {
		return f, nil
	}
	got, err := m.tools().WithMountedFile("/in/f", f).
		WithExec([]string{"sh", "-c", "sha256sum /in/f | cut -d' ' -f1"}).Stdout(ctx)
	if err != nil {
		return nil, err
	}
	if err := iso.CheckSHA256(what, want, strings.TrimSpace(got)); err != nil {
		return nil, err
	}
	return f, nil
}
