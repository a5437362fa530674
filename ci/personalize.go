package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Writes an unattended copy of a public release ISO for this build's admin (with-admin): only the payload changes.
//
// The release's SHA256SUMS is verified against its signature first (cosign:
// the .bundle of a keyless release, the project's, for the release
// workflow's identity; or a site's cosign.pub and .sig), then the ISO
// against SHA256SUMS; the release's
// channel (its bundle's version) sets the rules, as in a build: a stable
// release needs an SSH key, password SSH stays off. The copy keeps
// the published boot setup (replayed), bundle, volume ID and late-commands;
// only /nocloud/user-data, /nocloud/meta-data and /autoinstall.yaml change:
// the admin user, SSH keys and host name instead of the installer's
// questions. Byte-reproducible: every timestamp is the published payload's.
//
//	dagger call build with-admin --ssh-authorized-keys-file k.pub --hostname edge-01 \
//	  personalize-iso --iso unisonos-baremetal-v0.6.0.iso --sha256-sums SHA256SUMS-v0.6.0.txt \
//	  --sha256-sums-signature SHA256SUMS-v0.6.0.txt.bundle export --path out/
func (b *Build) PersonalizeIso(
	ctx context.Context,
	// The public ISO of a release (unisonos-baremetal-<v>.iso).
	iso *dagger.File,
	// The release's SHA256SUMS-<v>.txt.
	sha256Sums *dagger.File,
	// Its signature, checked before anything else: SHA256SUMS-<v>.txt.bundle of a keyless release (the project's), or the .sig of a release signed with a key (with --cosign-key).
	// +optional
	sha256SumsSignature *dagger.File,
	// The public key (cosign.pub) of a release signed with a key; default: keyless, the release workflow's identity (--certificate-identity-regexp).
	// +optional
	cosignKey *dagger.File,
	// The identity (a regexp) a keyless release's certificate must name: this project's release-jobs.yml at a release tag or a channel's branch.
	// +optional
	// +default="^https://github\\.com/project-unisonOS/unison-platform/\\.github/workflows/release-jobs\\.yml@refs/(tags/v|heads/)"
	certificateIdentityRegexp string,
) (*dagger.Directory, error) {
	if b.Public || len(b.SshAuthorizedKeys) == 0 && b.PasswordHash == nil {
		return nil, fmt.Errorf("with-admin: give the admin's SSH keys (build with-admin --ssh-authorized-keys-file k.pub personalize-iso ...)")
	}
	if err := b.Root.verifySums(ctx, sha256Sums, sha256SumsSignature, cosignKey, certificateIdentityRegexp); err != nil {
		return nil, err
	}
	name, err := iso.Name(ctx)
	if err != nil {
		return nil, err
	}
	sums, err := sha256Sums.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("sha256-sums: %w", err)
	}
	want, err := release.SumOf(sums, name)
	if err != nil {
		return nil, fmt.Errorf("sha256-sums: %w", err)
	}
	info := runScript(b.Root.isoTools().WithMountedFile("/in/public.iso", iso).
		WithEnvVariable("EXPECTED", want).WithEnvVariable("NAME", name).
		WithEnvVariable("BUNDLE", autoinstall.DefaultBundleFile), "personalize-info.sh").Directory("/out")
	published, err := info.File("user-data").Contents(ctx)
	if err != nil {
		return nil, err
	}
	meta, err := info.File("metadata.json").Contents(ctx)
	if err != nil {
		return nil, err
	}
	md, err := bundle.ParseMetadata([]byte(meta))
	if err != nil {
		return nil, fmt.Errorf("iso: the bundle's metadata.json: %w", err)
	}
	// the channel's rules, as its build applied them (stable: an SSH key required)
	userData, err := b.personalUserData(ctx, published, version.IsStable(md.Version))
	if err != nil {
		return nil, err
	}
	epoch, err := info.File("epoch").Contents(ctx)
	if err != nil {
		return nil, err
	}
	volid, err := info.File("volid").Contents(ctx)
	if err != nil {
		return nil, err
	}
	a, err := b.admin(ctx)
	if err != nil {
		return nil, err
	}
	out := strings.TrimSuffix(name, ".iso") + "-" + b.Hostname + ".iso"
	stage, err := b.stagePayload(dag.Directory(), a.PasswordHash,
		payloadFile{"nocloud/user-data", userData},
		payloadFile{"nocloud/meta-data", autoinstall.MetaData("unisonos-"+b.Hostname, b.Hostname)},
		payloadFile{"autoinstall.yaml", autoinstall.AutoinstallYAML(userData)})
	if err != nil {
		return nil, err
	}
	return b.Root.remaster(iso, stage, remasterOut{Name: out, VolumeID: strings.TrimSpace(volid), Epoch: strings.TrimSpace(epoch)}, payloadMaps(true)...), nil
}

// githubIssuer is the OIDC issuer of GitHub Actions' keyless signatures.
const githubIssuer = "https://token.actions.githubusercontent.com"

// verifySums checks a release's SHA256SUMS against its signature with cosign
// (the module's cosign image) before anything of it is trusted: key mode
// (the .sig, no transparency log, as a release with a signing key makes
// it) or keyless (the .bundle: a certificate for identity from GitHub).
func (m *UnisonPlatform) verifySums(ctx context.Context, sums, sig, key *dagger.File, identity string) error {
	if sig == nil {
		return fmt.Errorf("sha256-sums-signature: give the release's SHA256SUMS-<v>.txt.bundle (or its .sig with --cosign-key): a SHA256SUMS is trusted only with its signature")
	}
	c := amd64().From(m.CosignImage).WithEnvVariable("HOME", "/tmp").WithEnvVariable("TUF_ROOT", "/tmp/sigstore").
		WithMountedFile("/in/sums", sums).WithMountedFile("/in/sig", sig)
	args := []string{"/ko-app/cosign", "verify-blob"}
	how := "keyless, identity " + identity
	if key != nil {
		c = c.WithMountedFile("/in/cosign.pub", key)
		args = append(args, "--key", "/in/cosign.pub", "--signature", "/in/sig", "--insecure-ignore-tlog=true")
		how = "with --cosign-key"
	} else {
		args = append(args, "--bundle", "/in/sig", "--certificate-identity-regexp", identity, "--certificate-oidc-issuer", githubIssuer)
	}
	run := c.WithExec(append(args, "/in/sums"), dagger.ContainerWithExecOpts{Expect: dagger.ReturnTypeAny})
	code, err := run.ExitCode(ctx)
	if err != nil {
		return fmt.Errorf("sha256-sums-signature: %w", err)
	}
	if code != 0 {
		out, _ := run.Stderr(ctx)
		return fmt.Errorf("sha256-sums-signature: SHA256SUMS does not verify (%s): %s; use the SHA256SUMS and signature of the same release", how, lastLine(out))
	}
	return nil
}

// personalUserData is the published user-data with this build's admin.
func (b *Build) personalUserData(ctx context.Context, published string, stable bool) (string, error) {
	tmpl, err := b.Root.Images.File("autoinstall/user-data.yaml.tmpl").Contents(ctx)
	if err != nil {
		return "", err
	}
	a, err := b.admin(ctx)
	if err != nil {
		return "", err
	}
	return autoinstall.Personalize(tmpl, published, autoinstall.Config{Hostname: a.Hostname, Username: a.User,
		SSHAuthorizedKeys: a.Keys, PasswordHash: a.PasswordHash, Stable: stable})
}

// lastLine is the last non-empty line of a command's output.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
