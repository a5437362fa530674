package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// registriesNeedingAuth never accept anonymous pushes: fail before building.
var registriesNeedingAuth = map[string]bool{"ghcr.io": true, "docker.io": true, "index.docker.io": true, "quay.io": true}

// Builds a service image from its source directory (Dockerfile),
// for each requested platform, applies the channel tags and OCI labels of the
// ref, publishes it and returns the pushed references with their digests, one
// per line. Pull requests are built but not pushed. This is what service
// repositories call through .github/workflows/reusable-build.yml.
//
// +cache="never"
func (m *UnisonPlatform) ServiceBuild(
	ctx context.Context,
	// Service source directory (the Docker build context).
	source *dagger.Directory,
	// Image name under the owner, e.g. unison-orchestrator.
	imageName string,
	// Git ref being built, e.g. refs/tags/v1.2.3 or refs/heads/main.
	ref string,
	// Commit SHA.
	sha string,
	// Commit time, RFC 3339 (git show -s --format=%cI).
	commitTime string,
	// Dockerfile path inside the source directory.
	// +optional
	// +default="Dockerfile"
	dockerfile string,
	// unison.domain label (e.g. core, inference, io).
	// +optional
	domain string,
	// Port the service listens on (recorded as an exposed port).
	// +optional
	servicePort int,
	// Platforms to build; the engine must be able to run each (linux/arm64 needs emulation for RUN steps).
	// +optional
	// +default=["linux/amd64"]
	platforms []string,
	// Registry host to publish to.
	// +optional
	// +default="ghcr.io"
	registry string,
	// Repository owner.
	// +optional
	// +default="project-unisonOS"
	owner string,
	// Registry user name.
	// +optional
	username string,
	// Registry password or token.
	// +optional
	password *dagger.Secret,
	// Existing git tags of the service repository (for stable and beta tag rules).
	// +optional
	existingTags []string,
	// CI run number (beta numbering when no tags are known).
	// +optional
	runNumber int,
	// Build date for nightly tags (YYYY-MM-DD); default: the commit date.
	// +optional
	date string,
	// Print what would be pushed, without building or pushing.
	// +optional
	dryRun bool,
) (string, error) {
	plan, err := version.Compute(version.Input{
		Ref: ref, SHA: sha, CommitTime: commitTime, Date: date, RunNumber: runNumber,
		ExistingTags: existingTags, Registry: registry, Owner: owner, Repo: imageName,
		Image: imageName, Domain: domain,
	})
	if err != nil {
		return "", err
	}
	if len(platforms) == 0 {
		return "", fmt.Errorf("platforms: give at least one, e.g. --platforms linux/amd64")
	}
	host := strings.SplitN(plan.Repository, "/", 2)[0]
	if plan.Publish && !dryRun {
		if (username == "") != (password == nil) {
			return "", fmt.Errorf("username/password: give both (--username USER --password env:TOKEN) or neither")
		}
		if password == nil && registriesNeedingAuth[host] {
			return "", fmt.Errorf("password: pushing to %s needs credentials: pass --username and --password env:REGISTRY_TOKEN (a Dagger secret)", host)
		}
	}

	var b strings.Builder
	if dryRun || !plan.Publish {
		verb := "would push"
		if !plan.Publish {
			verb = "pull request: build only, not pushed"
		}
		fmt.Fprintf(&b, "version %s (channel %s), platforms %s\n%s:\n", plan.Version, plan.Channel, strings.Join(platforms, ","), verb)
		for _, r := range plan.Refs {
			fmt.Fprintf(&b, "  %s\n", r)
		}
		b.WriteString("labels:\n")
		vp, _ := toPlan(plan)
		for _, l := range vp.Labels {
			fmt.Fprintf(&b, "  %s\n", l)
		}
		if dryRun {
			return b.String(), nil
		}
	}

	variants := make([]*dagger.Container, 0, len(platforms))
	for _, p := range platforms {
		c := source.DockerBuild(dagger.DirectoryDockerBuildOpts{Dockerfile: dockerfile, Platform: dagger.Platform(p)})
		for _, k := range slices.Sorted(maps.Keys(plan.Labels)) {
			c = c.WithLabel(k, plan.Labels[k])
		}
		if servicePort > 0 {
			c = c.WithExposedPort(servicePort)
		}
		variants = append(variants, c)
	}
	if !plan.Publish {
		for _, v := range variants {
			if _, err := v.Sync(ctx); err != nil {
				return "", err
			}
		}
		return b.String(), nil
	}
	publisher := dag.Container()
	if password != nil {
		publisher = publisher.WithRegistryAuth(host, username, password)
	}
	var out []string
	for _, r := range plan.Refs {
		d, err := publisher.Publish(ctx, r, dagger.ContainerPublishOpts{PlatformVariants: variants})
		if err != nil {
			return "", fmt.Errorf("publish %s: %w", r, err)
		}
		out = append(out, d)
	}
	return strings.Join(out, "\n") + "\n", nil
}
