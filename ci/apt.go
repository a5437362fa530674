package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/aptpin"
)

// aptPinsFile is where the apt pins come from: --apt-pins or images/apt.yaml.
func (m *UnisonPlatform) aptPinsFile() (*dagger.File, string) {
	if m.AptPins != nil {
		return m.AptPins, "apt-pins"
	}
	return m.Images.File("apt.yaml"), "images/apt.yaml"
}

// osRelease is the OS image's /usr/lib/os-release.
func osRelease(ctx context.Context, image string) (string, error) {
	text, err := amd64().From(image).File("/usr/lib/os-release").Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("os-image %s: %w", image, err)
	}
	return text, nil
}

// aptSources renders the pinned deb822 sources for an OS image (its
// os-release text), checked before any package is installed.
func (m *UnisonPlatform) aptSources(ctx context.Context, osr string) (*dagger.File, error) {
	f, name := m.aptPinsFile()
	text, err := f.Contents(ctx)
	if err != nil {
		return nil, err
	}
	pins, err := aptpin.Parse(name, []byte(text))
	if err != nil {
		return nil, err
	}
	rel, err := aptpin.ParseOSRelease(osr)
	if err != nil {
		return nil, err
	}
	src, err := pins.Sources(rel)
	if err != nil {
		return nil, err
	}
	return dag.Directory().WithNewFile("unison-pinned.sources", src).File("unison-pinned.sources"), nil
}

// withAptPin mounts the pinned sources, a CA bundle for https archives (the
// OS image has none before its first install; mounted, never shipped) and
// apt-pin.sh, which an install script calls with "on" before apt-get update
// and "off" after its install.
func (m *UnisonPlatform) withAptPin(c *dagger.Container, sources *dagger.File) *dagger.Container {
	ca := m.gitTools().File("/etc/ssl/certs/ca-certificates.crt") // the git tools have ca-certificates: no container of its own
	return mountScript(c.WithMountedFile("/tmp/apt/unison-pinned.sources", sources).WithMountedFile("/tmp/apt/ca.crt", ca),
		"apt-pin.sh", script("apt-pin.sh"))
}
