package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
)

// Sets whose signatures the release accepts on its service images (checked before their digests are pinned); default: keyless, by this project's reusable-build.yml.
//
// Every service image the compose file runs is verified with cosign before
// the release pins its digest: by default a keyless signature whose
// certificate names OWNER/unison-platform's reusable-build.yml (what service
// repositories publish through); --key for sites that sign with a key;
// --unsigned SERVICE for an image from elsewhere (PLAN.txt lists it).
func (r *Release) WithServiceTrust(
	ctx context.Context,
	// A cosign public key the service images are signed with (service ... with-signing-key), instead of keyless signatures.
	// +optional
	key *dagger.File,
	// Certificate identity of keyless signatures, a regular expression; default ^https://github\.com/OWNER/unison-platform/\.github/workflows/reusable-build\.yml@refs/.
	// +optional
	certificateIdentityRegexp string,
	// Services whose images are pinned without a signature check (images from elsewhere), e.g. orchestrator; the plan says so.
	// +optional
	unsigned []string,
) (*Release, error) {
	if key != nil && certificateIdentityRegexp != "" {
		return nil, fmt.Errorf("with-service-trust: give a key or a certificate identity, not both")
	}
	if certificateIdentityRegexp != "" {
		if _, err := regexp.Compile(certificateIdentityRegexp); err != nil {
			return nil, fmt.Errorf("certificate-identity-regexp %q: not a regular expression: %v", certificateIdentityRegexp, err)
		}
	}
	// the names are checked against the service set when the release resolves it (prepare)
	c := *r
	c.ServiceTrustKey, c.ServiceIdentity, c.UnsignedServices = key, certificateIdentityRegexp, unsigned
	return &c, nil
}

// checkUnsigned refuses a with-service-trust --unsigned name the set lacks.
func (r *Release) checkUnsigned(set *compat.Set) error {
	for _, u := range r.UnsignedServices {
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
	if r.ServiceTrustKey != nil {
		return "the key given to with-service-trust"
	}
	return "a keyless certificate matching " + r.serviceIdentity() + " (issuer " + githubIssuer + ")"
}

func (r *Release) serviceIdentity() string {
	if r.ServiceIdentity != "" {
		return r.ServiceIdentity
	}
	return `^https://github\.com/` + regexp.QuoteMeta(r.Owner) + `/unison-platform/\.github/workflows/reusable-build\.yml@refs/`
}

// verifyServices checks the signature of every pinned service image with
// cosign before the release ships its digest; images named unsigned are
// skipped. It builds nothing: refusals come before any build.
func (r *Release) verifyServices(ctx context.Context, set *compat.Set, auth *authn.AuthConfig) error {
	base := amd64().From(r.Build.Root.CosignImage).WithEnvVariable("HOME", "/tmp").WithEnvVariable("TUF_ROOT", "/tmp/sigstore")
	args := []string{"--certificate-identity-regexp", r.serviceIdentity(), "--certificate-oidc-issuer", githubIssuer}
	if r.ServiceTrustKey != nil {
		base = base.WithMountedFile("/in/trust.pub", r.ServiceTrustKey)
		args = []string{"--key", "/in/trust.pub", "--insecure-ignore-tlog"}
	}
	var failed []string
	for _, svc := range set.Services {
		if slices.Contains(r.UnsignedServices, svc.Name) {
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
