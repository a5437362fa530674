package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// builtRelease is every built file of a release, and the bundle tree the
// platform image carries.
type builtRelease struct {
	Files *dagger.Directory
	Tree  *dagger.Directory
}

// buildAll builds the ISO, VM disk, WSL distribution, bundle and
// models.json of the release concurrently, in one DAG.
func (r *Release) buildAll(ctx context.Context, p *prepared) (*builtRelease, error) {
	jobs := r.jobs()
	out := make([]*dagger.Directory, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	for i, job := range jobs {
		g.Go(func() (err error) {
			out[i], err = r.buildOne(gctx, job, p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	files := dag.Directory()
	for _, d := range out {
		files = files.WithDirectory(".", d)
	}
	return &builtRelease{Files: files, Tree: p.Tree}, nil
}

// buildOne builds the files of one artifact job (release.JobsFor).
func (r *Release) buildOne(ctx context.Context, job string, p *prepared) (*dagger.Directory, error) {
	d, err := r.jobFiles(ctx, job, p)
	if err == nil {
		d, err = d.Sync(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", job, err)
	}
	return d, nil
}

// jobFiles is the (lazy) directory of one artifact job's files.
func (r *Release) jobFiles(ctx context.Context, job string, p *prepared) (*dagger.Directory, error) {
	b, tree := r.Build, p.Tree
	switch job {
	case "baremetal-iso", release.OfflineJob:
		// long edge versions get a shortened label instead of an error
		volid, err := iso.ReleaseVolumeID(b.Version)
		if err != nil {
			return nil, err
		}
		if job == release.OfflineJob {
			return r.offlineISO(ctx, p, volid)
		}
		return b.iso(ctx, isoOptions{Base: baseInput{File: r.BaseIso, SHA256: r.BaseIsoSha256}, VolumeID: volid, Tree: tree})
	case "linux-vm":
		return b.vm(ctx, vmOptions{Base: baseInput{File: r.BaseImage, SHA256: r.BaseImageSha256}, Vmdk: r.Vmdk, Tree: tree})
	case "wsl-bundle":
		return b.wsl(ctx, nil, tree)
	case "bundle":
		return dag.Directory().
			WithFile(artifact.Name(artifact.Bundle, b.Version), b.bundleTar(tree)).
			// models.json is the one the bundle carries (rendered once, in bundleTree)
			WithFile(artifact.Name(artifact.Models, b.Version), tree.File("models.json")), nil
	}
	return nil, release.CheckJob(job)
}
