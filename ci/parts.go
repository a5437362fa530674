package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
)

// The parts a release is made of, each set by one with-* step; the
// registry credentials and the signer are the same parts for a service
// image, with the same steps and checks.

// RegistryAuth is the push credentials (with-registry-auth).
type RegistryAuth struct {
	// +private
	Username string
	// +private
	Secret *dagger.Secret
}

// newRegistryAuth is with-registry-auth's check, for releases and service images alike.
func newRegistryAuth(username string, secret *dagger.Secret) (RegistryAuth, error) {
	if username == "" {
		return RegistryAuth{}, fmt.Errorf("username: give the registry user name (GitHub Actions: ${{ github.actor }})")
	}
	return RegistryAuth{Username: username, Secret: secret}, nil
}

// read is the credentials (nil: anonymous) and the options
// go-containerregistry pushes and reads with.
func (a RegistryAuth) read(ctx context.Context) (*authn.AuthConfig, []remote.Option, error) {
	if a.Secret == nil {
		return nil, []remote.Option{remote.WithAuth(authn.Anonymous)}, nil
	}
	pw, err := a.Secret.Plaintext(ctx)
	if err != nil {
		return nil, nil, err
	}
	auth := &authn.AuthConfig{Username: a.Username, Password: pw}
	return auth, []remote.Option{remote.WithAuth(authn.FromConfig(*auth))}, nil
}

// Signer is how a release or a service image is signed: a cosign key pair,
// or keyless (an identity token, or GitHub Actions' token request
// variables), and who built it (provenance).
type Signer struct {
	// +private
	Key *dagger.Secret
	// +private
	Password *dagger.Secret
	// +private
	Keyless bool
	// +private
	IdentityToken *dagger.Secret
	// +private
	TokenRequestUrl *dagger.Secret
	// +private
	TokenRequestToken *dagger.Secret
	// +private
	BuilderId string
	// +private
	InvocationId string
}

// withKey is with-signing-key's check and result; what is signed names the error.
func (s Signer) withKey(what string, key, password *dagger.Secret) (Signer, error) {
	if s.Keyless {
		return s, fmt.Errorf("with-signing-key: this %s is already signed keyless: choose one of with-signing-key and with-keyless", what)
	}
	s.Key, s.Password = key, password
	return s, nil
}

// withKeyless is with-keyless's check and result: an identity token, or
// both of GitHub Actions' token request variables.
func (s Signer) withKeyless(what string, token, url, request *dagger.Secret) (Signer, error) {
	if s.Key != nil {
		return s, fmt.Errorf("with-keyless: this %s is already signed with a key: choose one of with-signing-key and with-keyless", what)
	}
	if (url == nil) != (request == nil) {
		return s, fmt.Errorf("with-keyless: give both token-request-url and token-request-token (env:ACTIONS_ID_TOKEN_REQUEST_URL, env:ACTIONS_ID_TOKEN_REQUEST_TOKEN)")
	}
	if token == nil && url == nil {
		return s, fmt.Errorf("with-keyless: no identity token source: in GitHub Actions (permissions: id-token: write) add --token-request-url env:ACTIONS_ID_TOKEN_REQUEST_URL --token-request-token env:ACTIONS_ID_TOKEN_REQUEST_TOKEN; elsewhere --identity-token env:SIGSTORE_ID_TOKEN")
	}
	s.Keyless, s.IdentityToken, s.TokenRequestUrl, s.TokenRequestToken = true, token, url, request
	return s, nil
}

// withProvenance is with-provenance's check and result: the builder is a URI.
func (s Signer) withProvenance(builderID, invocationID string) (Signer, error) {
	if !strings.Contains(builderID, "://") {
		return s, fmt.Errorf("builder-id %q: want a URI (GitHub Actions: ${{ github.server_url }}/${{ github.workflow_ref }})", builderID)
	}
	s.BuilderId, s.InvocationId = builderID, invocationID
	return s, nil
}

// cosign is the signing configuration of this signer with a cosign image.
func (s Signer) cosign(image string) cosignCfg {
	return cosignCfg{Image: image, Key: s.Key, Password: s.Password, Keyless: s.Keyless,
		IdentityToken: s.IdentityToken, TokenURL: s.TokenRequestUrl, TokenRequest: s.TokenRequestToken}
}

// ReleaseMedia is the base media a release builds from and how its assets are cut.
type ReleaseMedia struct {
	// +private
	BaseIso *dagger.File
	// +private
	BaseImage *dagger.File
	// +private
	BaseIsoSha256 string
	// +private
	BaseImageSha256 string
	// +private
	Vmdk bool
	// +private
	AssetLimitMib int
	// +private
	PartSizeMib int
}

// QaGate is how a release boots what it would publish before signing it (with-qa, --skip-qa).
type QaGate struct {
	// +private
	Skip bool
	// +private
	BootFiles *dagger.Directory
	// +private
	KernelArgs string
	// +private
	BootTimeout int
	// +private
	Accel string
	// +private
	InsecureRegistries []string
	// +private
	HealthTimeout int
}

// ReleaseOffline is the offline ISO of a release (with-offline-iso).
type ReleaseOffline struct {
	// +private
	Iso bool
	// +private
	Models *dagger.Directory
	// +private
	ModelsDigest string
	// +private
	MaxMib int
}

// ServiceTrust is who must have signed the service images a release pins (with-service-trust).
type ServiceTrust struct {
	// +private
	Key *dagger.File
	// +private
	Identity string
	// +private
	Unsigned []string
}
