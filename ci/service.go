package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// ServiceImage is one service image build: its source, ref and the registry it goes to.
type ServiceImage struct {
	// +private
	Source *dagger.Directory
	// +private
	Ref string
	// +private
	Sha string
	// +private
	CommitTime string
	// +private
	Date string
	// +private
	ImageName string
	// +private
	Domain string
	// +private
	Registry string
	// +private
	Owner string
	// +private
	ExistingTags []string
	// +private
	Published []string
	// +private
	RunNumber int
	// +private
	Dockerfile string
	// +private
	ServicePort int
	// +private
	Platforms []string
	// +private
	BuildArgs []string
	// +private
	Target string
	// +private
	BuildSecrets *dagger.Secret
	// +private
	SourceUrl string
	// +private
	Auth RegistryAuth
	// +private
	Root *UnisonPlatform
	// +private
	CosignImage string
	// +private
	Signer Signer
}

// Builds a service image from its Dockerfile with the channel tags and OCI labels of the ref; publish or plan it next.
//
// What service repositories call through .github/workflows/reusable-build.yml:
// dagger call service --source . --image-name unison-orchestrator --ref "$GITHUB_REF" --sha "$GITHUB_SHA"
// --commit-time ... with-registry-auth --username "$GITHUB_ACTOR" --secret env:GHCR_TOKEN publish
func (m *UnisonPlatform) Service(
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
	// Existing git tags of the service repository (stable and beta tag rules).
	// +optional
	existingTags []string,
	// CI run number (beta numbering when no tags are known).
	// +optional
	runNumber int,
	// Build date for nightly tags (YYYY-MM-DD); default: the commit date.
	// +optional
	date string,
	// unison.domain label (e.g. core, inference, io).
	// +optional
	domain string,
	// Port the service listens on (recorded as an exposed port).
	// +optional
	servicePort int,
	// Dockerfile path inside the source directory; default: Dockerfile.
	// +optional
	dockerfile string,
	// Platforms to build; default linux/amd64 (the engine must be able to run each: linux/arm64 needs emulation for RUN steps).
	// +optional
	platforms []string,
) (*ServiceImage, error) {
	s := &ServiceImage{Source: source, Dockerfile: or(dockerfile, "Dockerfile"), ServicePort: servicePort, Platforms: platforms,
		Ref: ref, Sha: sha, CommitTime: commitTime, Date: date, RunNumber: runNumber, ExistingTags: existingTags,
		Registry: defaultRegistry, Owner: defaultOwner, ImageName: imageName, Domain: domain, CosignImage: m.CosignImage, Root: m}
	if len(s.Platforms) == 0 {
		s.Platforms = []string{"linux/amd64"}
	}
	if _, err := s.plan(); err != nil {
		return nil, err
	}
	return s, nil
}

// Sets the registry and owner the image is pushed to.
func (s *ServiceImage) WithRegistry(
	// Registry host; default: ghcr.io.
	// +optional
	registry string,
	// Repository owner (lowercased in image names); default: project-unisonOS.
	// +optional
	owner string,
) (*ServiceImage, error) {
	c := *s
	c.Registry, c.Owner = or(registry, defaultRegistry), or(owner, defaultOwner)
	if _, err := c.plan(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Sets the registry credentials the image is pushed with (a Dagger secret, e.g. env:GHCR_TOKEN), as release's with-registry-auth.
func (s *ServiceImage) WithRegistryAuth(
	// Registry user name.
	username string,
	// Registry password or token.
	secret *dagger.Secret,
) (*ServiceImage, error) {
	auth, err := newRegistryAuth(username, secret)
	if err != nil {
		return nil, err
	}
	c := *s
	c.Auth = auth
	return &c, nil
}

// Prints what publish would push (version, channel, references, labels) without building or pushing.
func (s *ServiceImage) Plan() (string, error) {
	p, err := s.plan()
	if err != nil {
		return "", err
	}
	return p.Text(s.Platforms, true), nil
}

// OutputFormat is how a command prints its result.
type OutputFormat string

const (
	// Lines for people and shell loops.
	OutputFormatText OutputFormat = "text"
	// One JSON document for programs (a workflow's outputs).
	OutputFormatJson OutputFormat = "json"
)

// Builds every platform and pushes every tag; returns the pushed references with digests, one a line, or a JSON summary (pull requests: built, not pushed).
//
// The exact version tag is pushed first; a multi-platform index then gets
// the OCI labels as index annotations, and every other tag moves to it.
//
// +cache="never"
func (s *ServiceImage) Publish(
	ctx context.Context,
	// Output: text (references, one a line) or json (version, channel, tags, digest, refs, published: what the reusable workflow's outputs carry).
	// +optional
	// +default="text"
	format OutputFormat,
) (string, error) {
	p, err := s.plan()
	if err != nil {
		return "", err
	}
	if p.Publish && s.Auth.Secret == nil && version.NeedsCredentials(p.Host()) {
		return "", fmt.Errorf("password: pushing to %s needs credentials: add with-registry-auth --username USER --secret env:REGISTRY_TOKEN (a Dagger secret)", p.Host())
	}
	if p.Publish {
		// what the registry holds counts: latest never moves back, betas never repeat
		if p, err = s.planFromRegistry(ctx, p); err != nil {
			return "", err
		}
	}
	variants, err := s.variants(ctx, p)
	if err != nil {
		return "", err
	}
	res := version.Published{Version: p.Version, Channel: string(p.Channel), Tags: p.Tags}
	if p.Publish {
		if res.Digest, err = s.push(ctx, p, variants); err != nil {
			return "", err
		}
		res.Published = true
		for _, r := range p.Refs {
			res.Refs = append(res.Refs, r+"@"+res.Digest)
		}
	} else {
		for _, v := range variants {
			if _, err := v.Sync(ctx); err != nil {
				return "", err
			}
		}
	}
	if format == "json" {
		return res.JSON(), nil
	}
	if !p.Publish {
		return p.Text(s.Platforms, false), nil
	}
	return strings.Join(res.Refs, "\n") + "\n", nil
}

// push publishes the variants under the exact version, annotates a
// multi-platform index, then moves every other tag to that digest.
func (s *ServiceImage) push(ctx context.Context, p *version.Plan, variants []*dagger.Container) (string, error) {
	publisher := dag.Container()
	if s.Auth.Secret != nil {
		publisher = publisher.WithRegistryAuth(p.Host(), s.Auth.Username, s.Auth.Secret)
	}
	first := p.Refs[0]
	pushed, err := publisher.Publish(ctx, first, dagger.ContainerPublishOpts{PlatformVariants: variants})
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", first, err)
	}
	_, digest, ok := strings.Cut(pushed, "@")
	if !ok {
		return "", fmt.Errorf("publish %s: no digest in %q", first, pushed)
	}
	opts, err := s.remoteOpts(ctx)
	if err != nil {
		return "", err
	}
	repo, err := name.NewRepository(p.Repository)
	if err != nil {
		return "", err
	}
	if digest, err = ociartifact.AnnotateIndex(ctx, repo, digest, p.Tags[0], p.Labels, opts...); err != nil {
		return "", err
	}
	// signature, SBOM and provenance of the digest before any other tag moves
	if err := s.signAndAttest(ctx, p, digest, variants[0]); err != nil {
		return "", err
	}
	return digest, ociartifact.Tag(ctx, repo, digest, p.Tags[1:], opts...)
}

// planFromRegistry recomputes the plan with the registry's tags and betas.
func (s *ServiceImage) planFromRegistry(ctx context.Context, p *version.Plan) (*version.Plan, error) {
	opts, err := s.remoteOpts(ctx)
	if err != nil {
		return nil, err
	}
	tags, published, err := registryHistory(ctx, p.Repository, s.Ref, opts)
	if err != nil {
		return nil, err
	}
	c := *s
	c.ExistingTags = append(append([]string{}, s.ExistingTags...), tags...)
	c.Published = published
	return c.plan()
}

// remoteOpts are go-containerregistry's options with the registry credentials.
func (s *ServiceImage) remoteOpts(ctx context.Context) ([]remote.Option, error) {
	_, opts, err := s.Auth.read(ctx)
	return opts, err
}

// variants builds the image for each platform with the plan's labels (also
// as manifest annotations) and the build options.
func (s *ServiceImage) variants(ctx context.Context, p *version.Plan) ([]*dagger.Container, error) {
	opts, err := s.buildOpts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*dagger.Container, 0, len(s.Platforms))
	for _, pl := range s.Platforms {
		o := opts
		o.Platform = dagger.Platform(pl)
		c := s.Source.DockerBuild(o)
		for _, kv := range p.SortedLabels() {
			k, v, _ := strings.Cut(kv, "=")
			c = c.WithLabel(k, v).WithAnnotation(k, v)
		}
		if s.ServicePort > 0 {
			c = c.WithExposedPort(s.ServicePort)
		}
		out = append(out, c)
	}
	return out, nil
}

// plan is the version plan of the build (validates every input).
func (s *ServiceImage) plan() (*version.Plan, error) {
	return version.Compute(version.Input{Ref: s.Ref, SHA: s.Sha, CommitTime: s.CommitTime, Date: s.Date, RunNumber: s.RunNumber,
		ExistingTags: s.ExistingTags, Published: version.ParsePublished(s.Published), Registry: s.Registry, Owner: s.Owner, Repo: s.ImageName, Image: s.ImageName, Domain: s.Domain,
		Source: s.SourceUrl})
}
