package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/ociartifact"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Prepare: everything a release decides before anything is built, each once.

// checkPublish fails, before anything is built, when publishing would fail
// for want of credentials or a signer.
func (r *Release) checkPublish(host string, dryRun bool) error {
	if !dryRun && r.Auth.Secret == nil && version.NeedsCredentials(host) {
		return fmt.Errorf("password: pushing to %s needs credentials: add with-registry-auth --username USER --secret env:REGISTRY_TOKEN (a Dagger secret)", host)
	}
	if !dryRun && r.Signer.Key == nil && !r.Signer.Keyless {
		return fmt.Errorf("signing-key: a release is signed: add with-signing-key --key env:COSIGN_KEY --password env:COSIGN_PASSWORD, or with-keyless in GitHub Actions")
	}
	if !r.Build.Public && len(r.Build.SshAuthorizedKeys) == 0 {
		return fmt.Errorf("ssh-authorized-keys: a private release (with-admin) needs at least one admin SSH key")
	}
	return nil
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

// registryHistory is what a repository already holds: its tags and, for a
// release branch, the commit of each of its betas (a rebuilt commit keeps
// its beta number, another commit never reuses one).
func registryHistory(ctx context.Context, repository, ref string, opts []remote.Option) ([]string, []string, error) {
	repo, err := name.NewRepository(repository)
	if err != nil {
		return nil, nil, err
	}
	tags, err := ociartifact.Tags(ctx, repo, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("existing-tags: %w", err)
	}
	published, err := ociartifact.BetaRevisions(ctx, repo, tags, version.BetaPrefix(ref), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("existing-tags: %w", err)
	}
	return tags, published, nil
}

// checkImmutable refuses to publish a version that the registry already
// holds from another commit: a published version never changes. A rerun
// from the same commit completes the release. With force the overwrite
// goes ahead and the returned note says so (PLAN.txt, release.json).
func checkImmutable(ctx context.Context, plan *version.Plan, opts []remote.Option, force bool) (string, error) {
	ref, err := name.NewTag(plan.Repository + ":" + plan.Version)
	if err != nil {
		return "", err
	}
	rev, err := ociartifact.Revision(ctx, ref, opts...)
	if err != nil {
		return "", err
	}
	want := plan.Labels["org.opencontainers.image.revision"]
	if rev == "" || rev == want {
		return "", nil
	}
	if plan.Channel == version.Nightly && !force {
		// the dated tag stays the day's first build: not an error, a note
		_, err := plan.SecondOfDay(rev)
		return "", err
	}
	if force {
		return fmt.Sprintf("%s was published from commit %s and is OVERWRITTEN by commit %s (--force): anyone who pulled %s before has other bytes", ref, rev, want, plan.Version), nil
	}
	return "", fmt.Errorf("ref: %s is already published from commit %s (this is %s): a published version never changes; release a new version (or, to replace it knowingly, --force)", ref, rev, want)
}

// Reads the registry and says which version and tags publish would push, without building anything.
//
// The tags come from the registry's history next to --existing-tags (an
// older patch never moves latest); a version published from another commit
// is refused here as publish refuses it, or shown as the overwrite --force
// allows. No push credentials are needed where the registry can be read.
func (r *Release) Tags(ctx context.Context) (string, error) {
	p, err := r.planned(ctx, false, true)
	if err != nil {
		return "", err
	}
	plan := p.Plan
	return release.TagsText(plan.Version, string(plan.Channel), plan.Prerelease, plan.Repository, plan.Tags, p.Forced, plan.Note), nil
}

// prepared is what a release knows before anything is built, each part
// decided once.
type prepared struct {
	// Release is the release as planned: a copy holding the version the
	// registry's history decided (the caller's release is not changed).
	Release *Release
	Plan    *version.Plan
	Tree    *dagger.Directory
	Set     *compat.Set
	// Auth and Opts: the push credentials, read once (nil: anonymous).
	Auth *authn.AuthConfig
	Opts []remote.Option
	// Unresolved: why a dry run could not pin every service image; Forced: the overwrite --force allowed.
	Unresolved error
	Forced     string
}

// prepare decides everything before anything is built, each once: the
// plan (from the registry's history), the service set, its images pinned
// and their signatures checked, the bundle tree. Every refusal comes here.
// An artifact job (job) reads the registry like a publish but needs no
// push credentials or signer.
func (r *Release) prepare(ctx context.Context, dryRun, job bool) (*prepared, error) {
	p, err := r.planned(ctx, dryRun, job)
	if err != nil {
		return nil, err
	}
	rel := p.Release
	if p.Set, err = rel.Build.Root.resolveSet(ctx, rel.platformVersion(), rel.ServiceDigests); err != nil {
		return nil, err
	}
	if err := rel.checkUnsigned(p.Set); err != nil {
		return nil, err
	}
	// service images by digest; a dry run shows what it could not resolve
	if err := pinSet(ctx, p.Set, p.Plan.Host(), p.Opts); err != nil {
		if !dryRun {
			return nil, err
		}
		p.Unresolved = err
	}
	if u := p.Set.Unpinned(); len(u) > 0 && p.Unresolved == nil {
		return nil, fmt.Errorf("service images: unpinned in a release: %s; a release ships repo@sha256:... only", strings.Join(u, ", "))
	}
	if p.Tree, err = rel.Build.treeOf(ctx, p.Set); err != nil {
		return nil, err
	}
	if p.Unresolved == nil {
		// every pinned image signed by whom the release trusts (a dry run shows what is not)
		if err := rel.verifyServices(ctx, p.Set, p.Auth); err != nil {
			if !dryRun {
				return nil, err
			}
			p.Unresolved = err
		}
	}
	return p, nil
}

// planned reads the push credentials and (but for a dry run, which does not
// read the release's repositories) the registry's history, computes the
// plan once from it and the given tags, and adopts its version in a copy of
// the release; a published version never changes but by --force.
func (r *Release) planned(ctx context.Context, dryRun, job bool) (*prepared, error) {
	rel := *r
	repo, err := version.Repository(rel.planInput())
	if err != nil {
		return nil, err
	}
	if err := rel.checkPublish(strings.SplitN(repo, "/", 2)[0], dryRun || job); err != nil {
		return nil, err
	}
	p := &prepared{Release: &rel}
	if p.Auth, p.Opts, err = rel.Auth.read(ctx); err != nil {
		return nil, err
	}
	if !dryRun {
		tags, published, err := registryHistory(ctx, repo, rel.Ref, p.Opts)
		if err != nil {
			return nil, err
		}
		rel.ExistingTags, rel.Published = append(slices.Clone(rel.ExistingTags), tags...), published
	}
	if p.Plan, err = rel.plan(); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "release: plan %s (channel %s): tags %s\n", p.Plan.Version, p.Plan.Channel, strings.Join(p.Plan.Tags, " "))
	if dryRun {
		return p, nil
	}
	if rel.Build, err = rel.Build.withVersion(p.Plan.Version); err != nil {
		return nil, err
	}
	if p.Forced, err = checkImmutable(ctx, p.Plan, p.Opts, rel.Force); err != nil {
		return nil, err
	}
	return p, nil
}

// checkUnsigned refuses a with-service-trust --unsigned name the set lacks.
func (r *Release) checkUnsigned(set *compat.Set) error {
	for _, u := range r.Trust.Unsigned {
		if !slices.ContainsFunc(set.Services, func(s compat.Service) bool { return s.Name == u }) {
			return fmt.Errorf("unsigned %q: no such service in platform %s (its services: %s)", u, set.PlatformVersion, strings.Join(serviceNames(set), ", "))
		}
	}
	return nil
}

func serviceNames(set *compat.Set) []string {
	var out []string
	for _, s := range set.Services {
		out = append(out, s.Name)
	}
	return out
}

// serviceTrust describes the accepted signer (errors, PLAN.txt).
func (r *Release) serviceTrust() string {
	if r.Trust.Key != nil {
		return "the key given to with-service-trust"
	}
	return "a keyless certificate matching " + r.serviceIdentity() + " (issuer " + githubIssuer + ")"
}

func (r *Release) serviceIdentity() string {
	if r.Trust.Identity != "" {
		return r.Trust.Identity
	}
	return `^https://github\.com/` + regexp.QuoteMeta(r.Owner) + `/unison-platform/\.github/workflows/reusable-build\.yml@refs/`
}

// verifyServices checks the signature of every pinned service image with
// cosign before the release ships its digest; images named unsigned are
// skipped. It builds nothing: refusals come before any build.
func (r *Release) verifyServices(ctx context.Context, set *compat.Set, auth *authn.AuthConfig) error {
	base := amd64().From(r.Build.Root.CosignImage).WithEnvVariable("HOME", "/tmp").WithEnvVariable("TUF_ROOT", "/tmp/sigstore")
	args := []string{"--certificate-identity-regexp", r.serviceIdentity(), "--certificate-oidc-issuer", githubIssuer}
	if r.Trust.Key != nil {
		base = base.WithMountedFile("/in/trust.pub", r.Trust.Key)
		args = []string{"--key", "/in/trust.pub", "--insecure-ignore-tlog"}
	}
	var failed []string
	for _, svc := range set.Services {
		if slices.Contains(r.Trust.Unsigned, svc.Name) {
			continue
		}
		ref := set.ImageRef(svc)
		parsed, err := name.ParseReference(ref)
		if err != nil {
			return fmt.Errorf("service %s: %w", svc.Name, err)
		}
		host := parsed.Context().RegistryStr()
		var a *authn.AuthConfig
		if host == r.Registry {
			a = auth
		}
		c, err := cosignAt(base, host, a)
		if err != nil {
			return err
		}
		cmd := append(append(append([]string{"/ko-app/cosign", "verify", "--output", "json"}, args...), registryArgs(host)...), ref)
		if _, err := c.WithExec(cmd).Sync(ctx); err != nil {
			why := err.Error()
			var ee *dagger.ExecError
			if errors.As(err, &ee) {
				why = lastLines(ee.Stderr, 3)
			}
			failed = append(failed, fmt.Sprintf("%s (%s): %s", svc.Name, ref, why))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("service images: no signature from %s on:\n  %s\n"+
			"publish them through reusable-build.yml (it signs every image it pushes), or give the signer (with-service-trust --key / --certificate-identity-regexp), "+
			"or, for an image from elsewhere, with-service-trust --unsigned SERVICE", r.serviceTrust(), strings.Join(failed, "\n  "))
	}
	return nil
}

// lastLines is the last n non-empty lines of s, joined by " / ".
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}
