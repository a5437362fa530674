// UnisonOS build and release system.
//
// Builds every UnisonOS artifact (WSL bundle, Linux VM disk, bare-metal
// installer ISO) as a cached container DAG, boot-tests them and publishes
// releases. Every image it uses is a constructor argument with a pinned
// default, so air-gapped users can point them at a local registry.
package main

import (
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// Pinned production defaults. Air-gapped users and the tests override them
// with images from their own registry (see README, "Air-gapped mode").
const (
	// Debian 12 (bookworm); the tool containers are built from it.
	defaultToolsImage = "docker.io/library/debian:bookworm@sha256:8a8cd02c5912770b4980228a54d4aff9e4f986f1eb2525d2d371dec5232cefcc"
	// Ubuntu 24.04 (noble); the WSL root filesystem is built from it.
	defaultOsImage = "docker.io/library/ubuntu:24.04@sha256:a08e551cb33850e4740772b38217fc1796a66da2506d312abe51acda354ff061"
	// cosign v2.4.1, the official image (the binary is /ko-app/cosign); release signing.
	defaultCosignImage = "ghcr.io/sigstore/cosign/cosign:v2.4.1@sha256:b03690aa52bfe94054187142fba24dc54137650682810633901767d8a3e15b31"
)

// UnisonPlatform is the build and release system of UnisonOS.
type UnisonPlatform struct {
	// Image the tool containers (xorriso, qemu, libguestfs, ...) are built from.
	ToolsImage string
	// Base OS image of the WSL root filesystem.
	OsImage string
	// cosign image used to sign releases.
	CosignImage string
}

// New configures the module.
func New(
	// Debian-based image the tool containers are built from (apt-get must work in it).
	// +optional
	// +default="docker.io/library/debian:bookworm@sha256:8a8cd02c5912770b4980228a54d4aff9e4f986f1eb2525d2d371dec5232cefcc"
	toolsImage string,
	// Base OS image of the WSL root filesystem (Ubuntu or Debian, apt-based).
	// +optional
	// +default="docker.io/library/ubuntu:24.04@sha256:a08e551cb33850e4740772b38217fc1796a66da2506d312abe51acda354ff061"
	osImage string,
	// cosign image (the binary at /ko-app/cosign, as in the official image) that signs releases.
	// +optional
	// +default="ghcr.io/sigstore/cosign/cosign:v2.4.1@sha256:b03690aa52bfe94054187142fba24dc54137650682810633901767d8a3e15b31"
	cosignImage string,
) *UnisonPlatform {
	if toolsImage == "" {
		toolsImage = defaultToolsImage
	}
	if osImage == "" {
		osImage = defaultOsImage
	}
	if cosignImage == "" {
		cosignImage = defaultCosignImage
	}
	return &UnisonPlatform{ToolsImage: toolsImage, OsImage: osImage, CosignImage: cosignImage}
}

// keep the import used even before any function returns a Dagger type
var _ *dagger.Container
