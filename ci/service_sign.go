package main

import (
	"context"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// serviceBuildType names the service image recipe in provenance statements.
const serviceBuildType = "https://github.com/project-unisonOS/unison-platform/service-build/v1"

// Signs the pushed image with a cosign key pair, and attests its SBOM and provenance with it (air-gapped sites; key and password as Dagger secrets).
func (s *ServiceImage) WithSigningKey(
	// cosign private key, e.g. env:COSIGN_KEY.
	key *dagger.Secret,
	// Password of the key, e.g. env:COSIGN_PASSWORD.
	// +optional
	password *dagger.Secret,
) (*ServiceImage, error) {
	signer, err := s.Signer.withKey("image", key, password)
	if err != nil {
		return nil, err
	}
	c := *s
	c.Signer = signer
	return &c, nil
}

// Signs the pushed image keyless with Sigstore and attests its SBOM and provenance (reusable-build.yml: the certificate names that workflow).
func (s *ServiceImage) WithKeyless(
	// GitHub Actions (permissions: id-token: write): env:ACTIONS_ID_TOKEN_REQUEST_URL.
	// +optional
	tokenRequestUrl *dagger.Secret,
	// GitHub Actions: env:ACTIONS_ID_TOKEN_REQUEST_TOKEN (with token-request-url).
	// +optional
	tokenRequestToken *dagger.Secret,
	// Outside GitHub Actions: an OIDC identity token (audience sigstore), e.g. env:SIGSTORE_ID_TOKEN.
	// +optional
	identityToken *dagger.Secret,
) (*ServiceImage, error) {
	signer, err := s.Signer.withKeyless("image", identityToken, tokenRequestUrl, tokenRequestToken)
	if err != nil {
		return nil, err
	}
	c := *s
	c.Signer = signer
	return &c, nil
}

// Names the builder in the image's provenance attestation (reusable-build.yml: the workflow and run URLs).
func (s *ServiceImage) WithProvenance(
	// SLSA builder.id, e.g. the reusable workflow's URL at its ref.
	builderId string,
	// The run, e.g. ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}/attempts/${{ github.run_attempt }}.
	// +optional
	invocationId string,
) (*ServiceImage, error) {
	signer, err := s.Signer.withProvenance(builderId, invocationId)
	if err != nil {
		return nil, err
	}
	c := *s
	c.Signer = signer
	return &c, nil
}

// cosign is how the image is signed: its key, or keyless.
func (s *ServiceImage) cosign() cosignCfg { return s.Signer.cosign(s.CosignImage) }

// signAndAttest signs the pushed digest and attaches its SPDX SBOM (the
// packages of the image's dpkg database, when it has one) and its SLSA
// provenance as signed attestations. Without signing material: nothing.
func (s *ServiceImage) signAndAttest(ctx context.Context, p *version.Plan, digest string, variant *dagger.Container) error {
	cfg := s.cosign()
	if !cfg.enabled() {
		return nil
	}
	sbomDoc, pred, err := s.evidence(ctx, p, digest, variant)
	if err != nil {
		return err
	}
	auth, _, err := s.Auth.read(ctx)
	if err != nil {
		return err
	}
	c, err := cosignAt(cfg.container(), p.Host(), auth)
	if err != nil {
		return err
	}
	ref := p.Repository + "@" + digest
	if err := cfg.signImages(ctx, c, []string{ref}, p.Host(), auth); err != nil {
		return err
	}
	for _, att := range [][2]string{{"spdxjson", string(sbomDoc)}, {"slsaprovenance1", string(pred)}} {
		if err := cfg.attest(ctx, c, ref, att[0], att[1], p.Host()); err != nil {
			return err
		}
	}
	return nil
}

// evidence is the image's SBOM and provenance predicate.
func (s *ServiceImage) evidence(ctx context.Context, p *version.Plan, digest string, variant *dagger.Container) ([]byte, []byte, error) {
	pkgs, from, err := imagePackages(ctx, variant)
	if err != nil {
		return nil, nil, err
	}
	hexDigest := strings.TrimPrefix(digest, "sha256:")
	doc, err := sbom.JSON(sbom.Input{Artifact: s.ImageName, Version: p.Version, Created: p.Labels["org.opencontainers.image.created"],
		Files: []sbom.File{{Name: p.Repository + "@" + digest, SHA256: hexDigest, Purpose: "CONTAINER"}}, Packages: pkgs, PackagesFrom: from})
	if err != nil {
		return nil, nil, err
	}
	engine, err := dag.Version(ctx)
	if err != nil {
		return nil, nil, err
	}
	pred, err := provenance.Statement(provenance.Input{Files: map[string]string{p.Repository: hexDigest}, Ref: s.Ref, Commit: s.Sha, Version: p.Version,
		Source: "git+" + p.Labels["org.opencontainers.image.source"], BuildType: serviceBuildType,
		Params:    map[string]any{"dockerfile": s.Dockerfile, "target": s.Target, "platforms": s.Platforms, "buildArgs": s.BuildArgs},
		BuilderID: or(s.Signer.BuilderId, defaultBuilderID), InvocationID: s.Signer.InvocationId, Dagger: engine})
	if err != nil {
		return nil, nil, err
	}
	pred, err = provenance.PredicateOf(pred)
	return doc, pred, err
}

// imagePackages reads the Debian packages of an image's root file system
// (/var/lib/dpkg/status, or distroless' status.d); none in a scratch image.
func imagePackages(ctx context.Context, c *dagger.Container) ([]sbom.Package, string, error) {
	root := c.Rootfs()
	var files []string
	for _, pattern := range []string{"var/lib/dpkg/status", "var/lib/dpkg/status.d/*"} {
		m, err := root.Glob(ctx, pattern)
		if err != nil {
			return nil, "", err
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		return nil, "the image (no package database: /var/lib/dpkg)", nil
	}
	var data strings.Builder
	for _, f := range files {
		text, err := root.File(f).Contents(ctx)
		if err != nil {
			return nil, "", err
		}
		data.WriteString(strings.TrimSpace(text) + "\n\n")
	}
	distro := ""
	if rel, err := root.Glob(ctx, "usr/lib/os-release"); err == nil && len(rel) > 0 {
		if text, err := root.File(rel[0]).Contents(ctx); err == nil {
			distro = sbom.Distro(text)
		}
	}
	pkgs, err := sbom.ParseDpkgStatus(data.String(), distro)
	if err != nil {
		return nil, "", err
	}
	return pkgs, "the image's /var/lib/dpkg", nil
}
