package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
)

// Pins service images by digest instead of reading them from the registry (SERVICE=sha256:..., e.g. for a registry the release cannot read).
func (r *Release) WithServiceDigests(
	ctx context.Context,
	// Image digests, SERVICE=sha256:<64 hex>; services not given are still resolved from their registry.
	digests []string,
) (*Release, error) {
	// resolveSet parses and pins them: a bad digest or an unknown service is refused here
	if _, err := r.Build.Root.resolveSet(ctx, r.platformVersion(), digests); err != nil {
		return nil, fmt.Errorf("with-service-digests: %w", err)
	}
	c := *r
	c.ServiceDigests = append(append([]string{}, r.ServiceDigests...), digests...)
	return &c, nil
}

func (r *Release) platformVersion() string {
	return compat.PlatformFor(r.Build.Version, r.Build.PlatformVersion)
}

// pinServices resolves every service image of the release's compose file
// to the digest its tag points at now (given digests win): a release ships
// repo@sha256:... only. On an error, pins holds what was resolved.
func (r *Release) pinServices(ctx context.Context, opts []remote.Option, host string) ([]string, error) {
	return r.Build.Root.resolveDigests(ctx, r.platformVersion(), r.ServiceDigests, host, opts)
}

// resolveDigests pins every service image of a platform version: given
// digests first, the rest read from the registry by tag. opts (credentials)
// are used for images on host; other registries are read anonymously. On
// an error, the pins hold what was resolved.
func (m *UnisonPlatform) resolveDigests(ctx context.Context, platformVersion string, given []string, host string, opts []remote.Option) ([]string, error) {
	set, err := m.resolveSet(ctx, platformVersion, given)
	if err != nil {
		return nil, err
	}
	pins := append([]string{}, given...)
	// a registry that cannot be reached fails in a minute, not a TCP timeout per image
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var failed []string
	for _, svc := range set.Services {
		if set.Digests[svc.Name] != "" {
			continue
		}
		ref, err := name.ParseReference(set.TagRef(svc))
		if err != nil {
			return nil, fmt.Errorf("images/compat.yaml: service %s: %w", svc.Name, err)
		}
		o := []remote.Option{remote.WithContext(ctx)}
		if host != "" && ref.Context().RegistryStr() == host {
			o = append(o, opts...)
		}
		desc, err := remote.Head(ref, o...)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", set.TagRef(svc), err))
			continue
		}
		pins = append(pins, svc.Name+"="+desc.Digest.String())
	}
	if len(failed) > 0 {
		return pins, fmt.Errorf("service images: these could not be resolved to a digest (releases and offline builds pin every image):\n  %s\n"+
			"push them (or fix images/compat.yaml), or pin them with with-service-digests --digests SERVICE=sha256:...",
			strings.Join(failed, "\n  "))
	}
	return pins, nil
}

// pinnedTree is the release's bundle tree with every service image pinned,
// and the service set it ships. It
// refuses a compose file with an unpinned image, except in a dry run that
// could not resolve them (unresolved says why; the plan shows it).
func (r *Release) pinnedTree(ctx context.Context, pins []string, unresolved error) (*dagger.Directory, *compat.Set, error) {
	set, err := r.Build.Root.resolveSet(ctx, r.platformVersion(), pins)
	if err != nil {
		return nil, nil, err
	}
	if u := set.Unpinned(); len(u) > 0 && unresolved == nil {
		return nil, nil, fmt.Errorf("service images: unpinned in a release: %s; a release ships repo@sha256:... only", strings.Join(u, ", "))
	}
	tree, err := r.Build.bundleTree(ctx, pins)
	return tree, set, err
}

// serviceRefs is what the compose file runs: service -> repo@sha256:...
func serviceRefs(set *compat.Set) map[string]string {
	refs := map[string]string{}
	for _, svc := range set.Services {
		refs[svc.Name] = set.ImageRef(svc)
	}
	return refs
}
