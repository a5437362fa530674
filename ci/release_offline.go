package main

import (
	"context"
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// Adds the offline installer to the release: unisonos-baremetal-offline-<version>.iso, with Docker's packages, the service images and models on the medium.
//
// The ISO is built like `build ... with-offline ... iso` from the release's
// pinned service images (every one must resolve to a digest, a dry run
// too), booted by the QA gate like the online ISO, pushed as its own OCI
// artifact (unisonos-baremetal-offline) with an SBOM that lists the
// embedded packages and images, and attached with .payload.json (every
// file it carries); the release notes give the payload's sizes. In a
// fanned-out release it is one more job: artifact --name baremetal-iso-offline.
func (r *Release) WithOfflineIso(
	ctx context.Context,
	// A model store to copy in (an ollama models directory: manifests/, blobs/); every model the flavor preloads must be in it.
	// +optional
	modelsStore *dagger.Directory,
	// Refuse a payload over this many MiB (0: no limit).
	// +optional
	maxSizeMib int,
) (*Release, error) {
	// the same checks as an offline build's, before anything is built
	if _, err := r.Build.WithOffline(ctx, modelsStore, maxSizeMib, nil); err != nil {
		return nil, fmt.Errorf("with-offline-iso: %w", err)
	}
	c := *r
	c.OfflineIso, c.OfflineModels, c.OfflineMaxMib, c.OfflineModelsDigest = true, modelsStore, maxSizeMib, "none"
	if modelsStore != nil {
		d, err := modelsStore.Digest(ctx)
		if err != nil {
			return nil, fmt.Errorf("with-offline-iso: models-store: %w", err)
		}
		c.OfflineModelsDigest = d
	}
	return &c, nil
}

// jobs are the release's artifact jobs (release.JobsFor).
func (r *Release) jobs() []string { return release.JobsFor(r.OfflineIso) }

// offlineISO builds the offline ISO from the release's pinned service images.
func (r *Release) offlineISO(ctx context.Context, p *prepared, volid string) (*dagger.Directory, error) {
	if p.Unresolved != nil {
		return nil, fmt.Errorf("with-offline-iso: the offline ISO carries every service image, by digest: %w", p.Unresolved)
	}
	b := *r.Build
	b.Offline, b.ModelsStore, b.MaxSizeMib, b.OfflineDigests = true, r.OfflineModels, r.OfflineMaxMib, digestsOf(p.Set)
	tree, err := b.offlineTreeOf(ctx, p.Set) // the release's set, pinned once
	if err != nil {
		return nil, err
	}
	return b.iso(ctx, isoOptions{Base: baseInput{File: r.BaseIso, SHA256: r.BaseIsoSha256}, VolumeID: volid, Tree: tree})
}

// offlineOptions is what the jobs' records must agree on about the offline ISO.
func (r *Release) offlineOptions() string {
	if !r.OfflineIso {
		return ""
	}
	return fmt.Sprintf(" offline-iso=models:%s,max-mib:%d", r.OfflineModelsDigest, r.OfflineMaxMib)
}

// payload reads the offline ISO's payload listing from the release's files
// (ok false: the release has no offline ISO).
func (r *Release) payload(ctx context.Context, files *dagger.Directory) (m offline.Manifest, ok bool, err error) {
	if !r.OfflineIso {
		return m, false, nil
	}
	name := artifact.Name(artifact.Payload, r.Build.Version)
	data, err := files.File(name).Contents(ctx)
	if err != nil {
		return m, false, fmt.Errorf("offline ISO: %s: %w", name, err)
	}
	m, err = offline.ParseManifest(name, data)
	return m, err == nil, err
}

// payloadPackages are the Debian packages the offline ISO carries, for its SBOM.
func (r *Release) payloadPackages(ctx context.Context, files *dagger.Directory) ([]sbom.Package, error) {
	m, _, err := r.payload(ctx, files)
	if err != nil {
		return nil, err
	}
	return m.DebPackages()
}

// offlineSummary is the payload's size line for PLAN.txt and the notes ("": no offline ISO).
func (r *Release) offlineSummary(ctx context.Context, files *dagger.Directory) (string, error) {
	m, ok, err := r.payload(ctx, files)
	if !ok {
		return "", err
	}
	return m.Summary(), nil
}
