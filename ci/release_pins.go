package main

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/pipelines/compat"
)

// Pins service images by digest instead of reading them from the registry (SERVICE=sha256:..., e.g. for a registry the release cannot read).
func (r *Release) WithServiceDigests(
	ctx context.Context,
	// Image digests, SERVICE=sha256:<64 hex>; services not given are still resolved from their registry.
	digests []string,
) (*Release, error) {
	// a bad digest is refused here; a service the platform lacks when the release resolves its set
	if _, err := compat.ParseDigests(digests); err != nil {
		return nil, fmt.Errorf("with-service-digests: %w", err)
	}
	c := *r
	c.ServiceDigests = append(append([]string{}, r.ServiceDigests...), digests...)
	return &c, nil
}

func (r *Release) platformVersion() string {
	return compat.PlatformFor(r.Build.Version, r.Build.PlatformVersion)
}

// pinSet pins every service image of set not pinned yet to the digest its
// tag points at now (given digests win): a release ships repo@sha256:...
// only. opts (credentials) are used for images on host; other registries
// are read anonymously. On an error, set holds what was resolved.
func pinSet(ctx context.Context, set *compat.Set, host string, opts []remote.Option) error {
	pins := maps.Clone(set.Digests)
	if pins == nil {
		pins = map[string]string{}
	}
	defer func() { set.Digests = pins }()
	// a registry that cannot be reached fails in a minute, not a TCP timeout per image
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var failed []string
	for _, svc := range set.Services {
		if pins[svc.Name] != "" {
			continue
		}
		ref, err := name.ParseReference(set.TagRef(svc))
		if err != nil {
			return fmt.Errorf("images/compat.yaml: service %s: %w", svc.Name, err)
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
		pins[svc.Name] = desc.Digest.String()
	}
	if len(failed) > 0 {
		return fmt.Errorf("service images: these could not be resolved to a digest (releases and offline builds pin every image):\n  %s\n"+
			"push them (or fix images/compat.yaml), or pin them with with-service-digests --digests SERVICE=sha256:...",
			strings.Join(failed, "\n  "))
	}
	return nil
}

// serviceRefs is what the compose file runs: service -> repo@sha256:...
func serviceRefs(set *compat.Set) map[string]string {
	refs := map[string]string{}
	for _, svc := range set.Services {
		refs[svc.Name] = set.ImageRef(svc)
	}
	return refs
}
