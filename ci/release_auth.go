package main

import (
	"fmt"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Sets the registry credentials the release pushes with (a Dagger secret, e.g. env:GHCR_TOKEN).
func (r *Release) WithRegistryAuth(
	// Registry user name.
	username string,
	// Registry password or token.
	secret *dagger.Secret,
) (*Release, error) {
	if err := checkRegistryAuth(username); err != nil {
		return nil, err
	}
	c := *r
	c.Username, c.Password = username, secret
	return &c, nil
}

// checkRegistryAuth is with-registry-auth's check, for releases and service images alike.
func checkRegistryAuth(username string) error {
	if username == "" {
		return fmt.Errorf("username: give the registry user name (GitHub Actions: ${{ github.actor }})")
	}
	return nil
}

// Signs the release with a cosign key pair (cosign generate-key-pair): key and password as Dagger secrets.
func (r *Release) WithSigningKey(
	// cosign private key, e.g. env:COSIGN_KEY.
	key *dagger.Secret,
	// Password of the key, e.g. env:COSIGN_PASSWORD.
	// +optional
	password *dagger.Secret,
) (*Release, error) {
	if r.Keyless {
		return nil, fmt.Errorf("with-signing-key: this release is already signed keyless: choose one of with-signing-key and with-keyless")
	}
	c := *r
	c.SigningKey, c.SigningPassword = key, password
	return &c, nil
}

// Signs the release keyless with Sigstore (Fulcio certificate, Rekor transparency log); in GitHub Actions cosign fetches a fresh OIDC token when it signs.
func (r *Release) WithKeyless(
	// GitHub Actions (permissions: id-token: write): env:ACTIONS_ID_TOKEN_REQUEST_URL. cosign requests a token when it signs, so a long build cannot outlive it.
	// +optional
	tokenRequestUrl *dagger.Secret,
	// GitHub Actions: env:ACTIONS_ID_TOKEN_REQUEST_TOKEN (with token-request-url).
	// +optional
	tokenRequestToken *dagger.Secret,
	// Outside GitHub Actions: an OIDC identity token (audience sigstore), e.g. env:SIGSTORE_ID_TOKEN; it must still be valid when the release signs.
	// +optional
	identityToken *dagger.Secret,
	// Expected certificate identity of the signatures (printed in the verify instructions), e.g. https://github.com/OWNER/REPO/.github/workflows/release-jobs.yml@refs/tags/v1.2.3 (a reusable workflow signs as itself).
	// +optional
	certificateIdentity string,
) (*Release, error) {
	if r.SigningKey != nil {
		return nil, fmt.Errorf("with-keyless: this release is already signed with a key: choose one of with-signing-key and with-keyless")
	}
	if (tokenRequestUrl == nil) != (tokenRequestToken == nil) {
		return nil, fmt.Errorf("with-keyless: give both token-request-url and token-request-token (env:ACTIONS_ID_TOKEN_REQUEST_URL, env:ACTIONS_ID_TOKEN_REQUEST_TOKEN)")
	}
	if tokenRequestUrl == nil && identityToken == nil {
		return nil, fmt.Errorf("with-keyless: no identity token source: in GitHub Actions (permissions: id-token: write) add --token-request-url env:ACTIONS_ID_TOKEN_REQUEST_URL --token-request-token env:ACTIONS_ID_TOKEN_REQUEST_TOKEN; elsewhere --identity-token env:SIGSTORE_ID_TOKEN")
	}
	c := *r
	c.Keyless, c.IdentityToken, c.CertificateIdentity = true, identityToken, certificateIdentity
	c.TokenRequestUrl, c.TokenRequestToken = tokenRequestUrl, tokenRequestToken
	return &c, nil
}

// checkPublish fails, before anything is built, when publishing would fail
// for want of credentials or a signer.
func (r *Release) checkPublish(host string, dryRun bool) error {
	if !dryRun && r.Password == nil && version.NeedsCredentials(host) {
		return fmt.Errorf("password: pushing to %s needs credentials: add with-registry-auth --username USER --secret env:REGISTRY_TOKEN (a Dagger secret)", host)
	}
	if !dryRun && r.SigningKey == nil && !r.Keyless {
		return fmt.Errorf("signing-key: a release is signed: add with-signing-key --key env:COSIGN_KEY --password env:COSIGN_PASSWORD, or with-keyless in GitHub Actions")
	}
	if !r.Build.Public && len(r.Build.SshAuthorizedKeys) == 0 {
		return fmt.Errorf("ssh-authorized-keys: a private release (with-admin) needs at least one admin SSH key")
	}
	return nil
}
