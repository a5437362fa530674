// UnisonOS build and release system.
//
// Builds every UnisonOS artifact (WSL distribution, Linux VM disk,
// bare-metal installer ISO) as a cached container DAG, boot-tests them and
// publishes releases. The root object holds what every build shares (the
// tool images, the build inputs, the git checkout); `build` declares one
// build identity and hands out the artifacts; baremetal-iso, linux-vm and
// wsl-bundle are doors into the same objects; release publishes them;
// service builds the images of service repositories; qa, pins, inputs and
// lab group the rest.
package main

import (
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// Pinned production defaults, written once. Air-gapped users and the tests
// override them with images from their own registry (README, "Air-gapped mode").
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
	// Image the tool containers are built from.
	// +private
	ToolsImage string
	// Base OS image of the WSL root filesystem.
	// +private
	OsImage string
	// cosign image used to sign releases.
	// +private
	CosignImage string
	// Build inputs: ubuntu.yaml pins, autoinstall template, models.yaml, compat.yaml.
	// +private
	Images *dagger.Directory
	// The platform installers.
	// +private
	Installer *dagger.Directory
	// The git checkout the module runs from (commit, commit time and tags default from it).
	// +private
	Git *dagger.GitRepository
	// apt.yaml: the archive snapshot of the packages that ship (nil: images/apt.yaml).
	// +private
	AptPins *dagger.File
	// +private
	CacheNonce string
}

// New configures the module: the images it builds with and its inputs.
func New(
	// Debian-based image the tool containers are built from (apt-get must work in it); default: pinned debian:bookworm.
	// +optional
	toolsImage string,
	// Base OS image of the WSL root filesystem (Ubuntu or Debian, apt-based); default: pinned ubuntu:24.04.
	// +optional
	osImage string,
	// cosign image (the binary at /ko-app/cosign, as in the official image) that signs releases; default: pinned cosign v2.4.1.
	// +optional
	cosignImage string,
	// Build inputs (ubuntu.yaml pins, autoinstall template, models.yaml, compat.yaml).
	// +defaultPath="/images"
	images *dagger.Directory,
	// The platform installers.
	// +defaultPath="/installer"
	installer *dagger.Directory,
	// The git checkout: commit, commit time and existing tags default from its HEAD.
	// +optional
	// +defaultPath="/"
	git *dagger.GitRepository,
	// apt pins (apt.yaml): the dated archive snapshot the packages that ship (WSL root filesystem, offline payload) are installed from; default: images/apt.yaml. Air-gapped: a file naming your mirror (airgap/apt.yaml is this engine's).
	// +optional
	aptPins *dagger.File,
	// Any text: every build step runs again instead of coming from the engine's cache (tool installs stay cached); outputs must not change. For reproducibility checks.
	// +optional
	cacheNonce string,
) *UnisonPlatform {
	return &UnisonPlatform{
		CacheNonce:  cacheNonce,
		ToolsImage:  or(toolsImage, defaultToolsImage),
		OsImage:     or(osImage, defaultOsImage),
		CosignImage: or(cosignImage, defaultCosignImage),
		Images:      images,
		Installer:   installer,
		Git:         git,
		AptPins:     aptPins,
	}
}

// or returns v, or def when v is empty: an optional argument's zero value means its default.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// orList returns v, or def when v is empty (a list flag replaces a file's list).
func orList[T any](v, def []T) []T {
	if len(v) == 0 {
		return def
	}
	return v
}
