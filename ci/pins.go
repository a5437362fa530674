package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/pins"
)

// Checks that every URL of every Ubuntu pin still serves the pinned file (images/ubuntu.yaml against the SHA256SUMS beside it, trusted only with its signature by the pin's signed_by key); fails when a pin has no good URL.
//
// +cache="never"
func (p *Pins) Check(ctx context.Context) (string, error) {
	m := p.Root
	all, err := m.signedPins(ctx)
	if err != nil {
		return "", err
	}
	var report, problems []string
	for _, p := range all {
		lines, err := pins.Check(ctx, pins.HTTP{}, p)
		report = append(report, p.Name+":")
		for _, l := range lines {
			report = append(report, "  "+l)
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	out := strings.Join(report, "\n") + "\n"
	if len(problems) > 0 {
		return "", fmt.Errorf("%s\npins check: %s", out, strings.Join(problems, "\n"))
	}
	return out, nil
}

// Returns images/ubuntu.yaml with every pin moved to the newest release its update rule finds (export it over images/ubuntu.yaml and review the diff).
//
// +cache="never"
func (p *Pins) Update(ctx context.Context) (*dagger.File, error) {
	m := p.Root
	all, err := m.signedPins(ctx)
	if err != nil {
		return nil, err
	}
	data, err := m.Images.File("ubuntu.yaml").Contents(ctx)
	if err != nil {
		return nil, err
	}
	out := []byte(data)
	for _, p := range all {
		np, changed, err := pins.Update(ctx, pins.HTTP{}, p)
		if err != nil {
			return nil, err
		}
		if !changed {
			continue
		}
		if _, err := pins.Check(ctx, pins.HTTP{}, np); err != nil {
			return nil, fmt.Errorf("pins update: the newest %s does not check out: %w", p.Name, err)
		}
		if out, err = pins.Rewrite(out, np); err != nil {
			return nil, err
		}
	}
	return dag.Directory().WithNewFile("ubuntu.yaml", string(out)).File("ubuntu.yaml"), nil
}
