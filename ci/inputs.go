package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
)

// collectKeys merges --ssh-authorized-keys and the lines of a keys file.
func collectKeys(ctx context.Context, keys []string, file *dagger.File) ([]string, error) {
	out := append([]string{}, keys...)
	if file != nil {
		s, err := file.Contents(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// verifiedPin returns the given file (checked against want when set) or the
// pinned download named pin in images/ubuntu.yaml, verified before use.
func (m *UnisonPlatform) verifiedPin(ctx context.Context, images *dagger.Directory, pin, what string, given *dagger.File, want string) (*dagger.File, error) {
	f := given
	if f == nil {
		data, err := images.File("ubuntu.yaml").Contents(ctx)
		if err != nil {
			return nil, err
		}
		pins, err := iso.ParsePins("images/ubuntu.yaml", []byte(data))
		if err != nil {
			return nil, err
		}
		p, ok := pins[pin]
		if !ok {
			return nil, fmt.Errorf("images/ubuntu.yaml: no %s pin", pin)
		}
		f, want, what = dag.HTTP(p.URL), p.SHA256, p.URL
	}
	if want == "" {
		return f, nil
	}
	got, err := sha256Of(ctx, m.tools(), f)
	if err != nil {
		return nil, err
	}
	if err := iso.CheckSHA256(what, want, got); err != nil {
		return nil, err
	}
	return f, nil
}

// sha256Of hashes a file in the tools container (cached by content).
func sha256Of(ctx context.Context, tools *dagger.Container, f *dagger.File) (string, error) {
	out, err := tools.WithMountedFile("/in/f", f).WithExec([]string{"sh", "-c", "sha256sum /in/f | cut -d' ' -f1"}).Stdout(ctx)
	return strings.TrimSpace(out), err
}
