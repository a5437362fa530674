package main

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// cosign is how the release signs: its key, or keyless.
func (r *Release) cosign() cosignCfg {
	return cosignCfg{Image: r.Build.Root.CosignImage, Key: r.SigningKey, Password: r.SigningPassword, Keyless: r.Keyless,
		IdentityToken: r.IdentityToken, TokenURL: r.TokenRequestUrl, TokenRequest: r.TokenRequestToken}
}

// signer is the signing container: the cosign image with the key (or the
// identity token) as secrets, never written to a layer; nil without signing material.
func (r *Release) signer() *dagger.Container { return r.cosign().container() }

// signing describes how the release is signed (PLAN.txt, release.json).
func (r *Release) signing() string {
	switch {
	case r.Keyless:
		return "cosign keyless (Sigstore)"
	case r.SigningKey != nil:
		return "cosign key (cosign.pub)"
	}
	return "none (dry run without a key)"
}

// signBlob signs a file: key mode writes NAME.sig and cosign.pub; keyless
// writes NAME.sig, NAME.pem and NAME.bundle.
func (r *Release) signBlob(ctx context.Context, cosign *dagger.Container, f *dagger.File, fname string) (*dagger.Directory, error) {
	c := cosign.WithMountedFile("/in/"+fname, f)
	if r.Keyless {
		c = c.WithExec(append(append([]string{"/ko-app/cosign", "sign-blob", "--yes"}, r.cosign().keylessArgs()...),
			"--output-signature", "/release/"+fname+".sig", "--output-certificate", "/release/"+fname+".pem",
			"--bundle", "/release/"+fname+".bundle", "/in/"+fname))
	} else {
		c = c.WithExec([]string{"/ko-app/cosign", "sign-blob", "--yes", "--key", "env://COSIGN_KEY", "--tlog-upload=false",
			"--output-signature", "/release/" + fname + ".sig", "/in/" + fname}).
			WithExec([]string{"/ko-app/cosign", "public-key", "--key", "env://COSIGN_KEY", "--outfile", "/release/cosign.pub"})
	}
	d, err := c.Directory("/release").Sync(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", fname, err)
	}
	return d, nil
}

// signImages signs pushed manifests by digest (cosignCfg.signImages).
func (r *Release) signImages(ctx context.Context, cosign *dagger.Container, refs []string, host string, auth *authn.AuthConfig) error {
	return r.cosign().signImages(ctx, cosign, refs, host, auth)
}
