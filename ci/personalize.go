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
// The ISO is checked against the release's SHA256SUMS first; the release's
// channel (its bundle's version) sets the rules, as in a build: a stable
// release needs an SSH key, password SSH stays off. The copy keeps
// the published boot setup (replayed), bundle, volume ID and late-commands;
// only /nocloud/user-data, /nocloud/meta-data and /autoinstall.yaml change:
// the admin user, SSH keys and host name instead of the installer's
// questions. Byte-reproducible: every timestamp is the published payload's.
//
//	dagger call build with-admin --ssh-authorized-keys-file k.pub --hostname edge-01 \
//	  personalize-iso --iso unisonos-baremetal-v0.6.0.iso --sha256sums SHA256SUMS-v0.6.0.txt export --path out/
func (b *Build) PersonalizeIso(
	ctx context.Context,
	// The public ISO of a release (unisonos-baremetal-<v>.iso).
	iso *dagger.File,
	// The release's SHA256SUMS-<v>.txt (verify its signature first: see the release notes).
	sha256Sums *dagger.File,
) (*dagger.Directory, error) {
	if b.Public || len(b.SshAuthorizedKeys) == 0 && b.PasswordHash == nil {
		return nil, fmt.Errorf("with-admin: give the admin's SSH keys (build with-admin --ssh-authorized-keys-file k.pub personalize-iso ...)")
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
