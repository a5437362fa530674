package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// signer is the signing container: the cosign image with the key (or the
// identity token) as secrets, never written to a layer; nil without signing material.
func (r *Release) signer() *dagger.Container {
	if r.SigningKey == nil && !r.Keyless {
		return nil
	}
	c := amd64().From(r.Build.Root.CosignImage).
		WithEnvVariable("HOME", "/tmp").
		WithEnvVariable("TUF_ROOT", "/tmp/sigstore").
		WithDirectory("/release", dag.Directory())
	if r.SigningKey != nil {
		password := r.SigningPassword
		if password == nil {
			password = dag.SetSecret("unison-empty-cosign-password", "")
		}
		c = c.WithSecretVariable("COSIGN_KEY", r.SigningKey).WithSecretVariable("COSIGN_PASSWORD", password)
	}
	if r.IdentityToken != nil {
		c = c.WithMountedSecret("/run/secrets/id-token", r.IdentityToken)
	}
	if r.TokenRequestUrl != nil {
		// cosign asks GitHub for a fresh ID token (audience sigstore) each time it signs
		c = c.WithSecretVariable("ACTIONS_ID_TOKEN_REQUEST_URL", r.TokenRequestUrl).
			WithSecretVariable("ACTIONS_ID_TOKEN_REQUEST_TOKEN", r.TokenRequestToken)
	}
	return c
}

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
		c = c.WithExec(append(append([]string{"/ko-app/cosign", "sign-blob", "--yes"}, r.keylessArgs()...),
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

// keylessArgs point cosign at the identity token; with the Actions request
// variables cosign fetches the token itself.
func (r *Release) keylessArgs() []string {
	if r.IdentityToken != nil {
		return []string{"--identity-token", "/run/secrets/id-token"}
	}
	return nil
}

// signImages signs pushed manifests by digest. cosign finds an identical
// signature already attached and does not add it twice, so reruns converge.
func (r *Release) signImages(ctx context.Context, cosign *dagger.Container, refs []string, host string, auth *authn.AuthConfig) error {
	c, err := r.cosignAt(cosign, host, auth)
	if err != nil {
		return err
	}
	args := append(append([]string{"/ko-app/cosign", "sign", "--yes", "--recursive=false"}, r.signArgs(host)...), refs...)
	if _, err := c.WithExec(args).Sync(ctx); err != nil {
		return fmt.Errorf("sign %s: %w", strings.Join(refs, " "), err)
	}
	return nil
}

// signArgs are cosign's signing flags: keyless (the identity token, the
// transparency log) or the key (no public log: air-gapped sites).
func (r *Release) signArgs(host string) []string {
	var args []string
	if r.Keyless {
		args = append(args, r.keylessArgs()...)
	} else {
		args = append(args, "--key", "env://COSIGN_KEY", "--tlog-upload=false")
	}
	if release.PlainHTTP(host) {
		args = append(args, "--allow-insecure-registry", "--allow-http-registry")
	}
	return args
}

// cosignAt is the cosign container logged in to the registry; it is never
// served from the cache (it talks to the registry).
func (r *Release) cosignAt(cosign *dagger.Container, host string, auth *authn.AuthConfig) (*dagger.Container, error) {
	c := cosign
	if auth != nil {
		cfg, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{
			"auth": base64.StdEncoding.EncodeToString([]byte(auth.Username + ":" + auth.Password))}}})
		if err != nil {
			return nil, err
		}
		c = c.WithMountedSecret("/tmp/docker/config.json", dag.SetSecret("unison-release-registry-auth", string(cfg))).
			WithEnvVariable("DOCKER_CONFIG", "/tmp/docker")
	}
	return c.WithEnvVariable("UNISON_SIGNED_AT", time.Now().UTC().Format(time.RFC3339Nano)), nil
}
