package main

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
)

// builtRelease is every built file of a release, and the bundle tree the
// platform image carries.
type builtRelease struct {
	Files *dagger.Directory
	Tree  *dagger.Directory
}

// buildAll builds the ISO, VM disk, WSL distribution, bundle and
// models.json of the release concurrently, in one DAG.
func (r *Release) buildAll(ctx context.Context, tree *dagger.Directory) (*builtRelease, error) {
	b := r.Build
	steps := map[string]func(context.Context) (*dagger.Directory, error){
		"baremetal-iso": func(ctx context.Context) (*dagger.Directory, error) {
			// long edge versions get a shortened label instead of an error
			volid, err := iso.ReleaseVolumeID(b.Version)
			if err != nil {
				return nil, err
			}
			return b.iso(ctx, isoOptions{Base: baseInput{File: r.BaseIso, SHA256: r.BaseIsoSha256}, VolumeID: volid, Tree: tree})
		},
		"linux-vm": func(ctx context.Context) (*dagger.Directory, error) {
			return b.vm(ctx, vmOptions{Base: baseInput{File: r.BaseImage, SHA256: r.BaseImageSha256}, Vmdk: r.Vmdk, Tree: tree})
		},
		"wsl-bundle": func(ctx context.Context) (*dagger.Directory, error) { return b.wsl(ctx, nil, tree) },
		"bundle": func(ctx context.Context) (*dagger.Directory, error) {
			return dag.Directory().
				WithFile(artifact.Name(artifact.Bundle, b.Version), b.bundleTar(tree)).
				// models.json is the one the bundle carries (rendered once, in bundleTree)
				WithFile(artifact.Name(artifact.Models, b.Version), tree.File("models.json")), nil
		},
	}
	out := map[string]*dagger.Directory{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for name, build := range steps {
		g.Go(func() error {
			d, err := build(gctx)
			if err == nil {
				d, err = d.Sync(gctx)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			mu.Lock()
			defer mu.Unlock()
			out[name] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	files := dag.Directory().
		WithDirectory(".", out["baremetal-iso"]).WithDirectory(".", out["linux-vm"]).WithDirectory(".", out["wsl-bundle"]).
		WithDirectory(".", out["bundle"])
	return &builtRelease{Files: files, Tree: tree}, nil
}
