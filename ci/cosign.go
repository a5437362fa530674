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

// cosignCfg is how something is signed, a release or a service image: with
// a key (and its password), or keyless (an identity token, or GitHub
// Actions' token request variables, with which cosign fetches a fresh token
// each time it signs). The secrets reach cosign as secrets, never a layer.
type cosignCfg struct {
	Image                                 string
	Key, Password                         *dagger.Secret
	Keyless                               bool
	IdentityToken, TokenURL, TokenRequest *dagger.Secret
}

// enabled reports whether there is anything to sign with.
func (c cosignCfg) enabled() bool { return c.Key != nil || c.Keyless }

// container is the cosign container with the signing material; nil
// without any.
func (c cosignCfg) container() *dagger.Container {
	if !c.enabled() {
		return nil
	}
	ctr := amd64().From(c.Image).
		WithEnvVariable("HOME", "/tmp").
		WithEnvVariable("TUF_ROOT", "/tmp/sigstore").
		WithDirectory("/release", dag.Directory())
	if c.Key != nil {
		password := c.Password
		if password == nil {
			password = dag.SetSecret("unison-empty-cosign-password", "")
		}
		ctr = ctr.WithSecretVariable("COSIGN_KEY", c.Key).WithSecretVariable("COSIGN_PASSWORD", password)
	}
	if c.IdentityToken != nil {
		ctr = ctr.WithMountedSecret("/run/secrets/id-token", c.IdentityToken)
	}
	if c.TokenURL != nil {
		// cosign asks GitHub for a fresh ID token (audience sigstore) each time it signs
		ctr = ctr.WithSecretVariable("ACTIONS_ID_TOKEN_REQUEST_URL", c.TokenURL).
			WithSecretVariable("ACTIONS_ID_TOKEN_REQUEST_TOKEN", c.TokenRequest)
	}
	return ctr
}

// keylessArgs point cosign at the identity token; with the Actions request
// variables cosign fetches the token itself.
func (c cosignCfg) keylessArgs() []string {
	if c.IdentityToken != nil {
		return []string{"--identity-token", "/run/secrets/id-token"}
	}
	return nil
}

// signArgs are cosign's signing flags: keyless (the identity token, the
// transparency log) or the key (no public log: air-gapped sites).
func (c cosignCfg) signArgs(host string) []string {
	var args []string
	if c.Keyless {
		args = append(args, c.keylessArgs()...)
	} else {
		args = append(args, "--key", "env://COSIGN_KEY", "--tlog-upload=false")
	}
	return append(args, registryArgs(host)...)
}

// registryArgs let cosign reach a plain-HTTP registry (loopback, private).
func registryArgs(host string) []string {
	if release.PlainHTTP(host) {
		return []string{"--allow-insecure-registry", "--allow-http-registry"}
	}
	return nil
}

// signImages signs pushed manifests by digest. cosign finds an identical
// signature already attached and does not add it twice, so reruns converge.
func (c cosignCfg) signImages(ctx context.Context, cosign *dagger.Container, refs []string, host string, auth *authn.AuthConfig) error {
	ctr, err := cosignAt(cosign, host, auth)
	if err != nil {
		return err
	}
	args := append(append([]string{"/ko-app/cosign", "sign", "--yes", "--recursive=false"}, c.signArgs(host)...), refs...)
	if _, err := ctr.WithExec(args).Sync(ctx); err != nil {
		return fmt.Errorf("sign %s: %w", strings.Join(refs, " "), err)
	}
	return nil
}

// attest attaches a signed in-toto attestation of one predicate type to a
// pushed manifest; --replace keeps one of each type on a rerun.
func (c cosignCfg) attest(ctx context.Context, cosign *dagger.Container, ref, typ, predicate, host string) error {
	args := append([]string{"/ko-app/cosign", "attest", "--yes", "--replace", "--type", typ, "--predicate", "/in/predicate.json"}, c.signArgs(host)...)
	if _, err := cosign.WithNewFile("/in/predicate.json", predicate).WithExec(append(args, ref)).Sync(ctx); err != nil {
		return fmt.Errorf("attest %s (%s): %w", ref, typ, err)
	}
	return nil
}

// cosignAt is the cosign container logged in to the registry; it is never
// served from the cache (it talks to the registry).
func cosignAt(cosign *dagger.Container, host string, auth *authn.AuthConfig) (*dagger.Container, error) {
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
