package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
	"github.com/project-unisonOS/unison-platform/pipelines/grub"
	"github.com/project-unisonOS/unison-platform/pipelines/ident"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// isoOptions are the ISO's own inputs; zero values mean the defaults.
type isoOptions struct {
	Base                       baseInput
	Packages, KernelArgs       []string
	Locale, Keyboard, Timezone string
	VolumeID                   string
	// Tree is the bundle tree when the caller rendered it already (a release).
	Tree *dagger.Directory
}

// Builds unisonos-baremetal-<version>.iso: the Ubuntu Server ISO remastered with the autoinstall payload embedded.
//
// A door into `build ... with-admin ... iso`: the pinned Ubuntu 24.04
// live-server ISO (or --base-iso), SHA-256 checked first, remastered with
// xorriso: NoCloud user-data/meta-data, the platform bundle and models.json
// under /nocloud, autoinstall.yaml at the root, every GRUB kernel line
// patched to start the unattended install. Inputs are validated before any
// download or build; dates come from the commit time (byte-reproducible).
// Returns a directory with the ISO and its .sha256.
func (m *UnisonPlatform) BaremetalIso(
	ctx context.Context,
	// Version, e.g. v1.2.3: names the ISO and derives the volume ID; default 0.0.0-dev.
	// +optional
	version string,
	// Model flavor of the bundle (images/models.yaml); default: default.
	// +optional
	flavor string,
	// Commit SHA recorded in the bundle; default: HEAD of the module's git checkout.
	// +optional
	commit string,
	// Commit time, RFC 3339: SOURCE_DATE_EPOCH; default: HEAD's commit time.
	// +optional
	commitTime string,
	// SSH public keys of the admin user (ed25519 recommended); required for stable versions (vX.Y.Z).
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line (added to --ssh-authorized-keys).
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// crypt(3) hash of the admin password ($6$/$y$, mkpasswd -m sha-512) as a secret; never a plain password.
	// +optional
	passwordHash *dagger.Secret,
	// Host name of the installed system; default: unisonos.
	// +optional
	hostname string,
	// Admin user name; default: unison.
	// +optional
	adminUser string,
	// A build file (docs/examples/unison.yaml): version, flavor, admin, locale, keyboard, time zone, packages; the flags given here override its values.
	// +optional
	config *dagger.File,
	// Base ISO file (a local copy or a stand-in); default: the pinned Ubuntu 24.04 live-server download.
	// +optional
	baseIso *dagger.File,
	// Expected SHA-256 of --base-iso (checked when given).
	// +optional
	baseIsoSha256 string,
) (*dagger.Directory, error) {
	b, err := m.open(ctx, door{identity: identity{Version: version, Flavor: flavor, Commit: commit, CommitTime: commitTime},
		Keys: sshAuthorizedKeys, KeysFile: sshAuthorizedKeysFile, Hash: passwordHash, User: adminUser, Hostname: hostname, Config: config})
	if err != nil {
		return nil, err
	}
	return b.iso(ctx, isoOptions{Base: baseInput{File: baseIso, SHA256: baseIsoSha256}, Packages: b.Packages,
		Locale: b.Locale, Keyboard: b.Keyboard, Timezone: b.Timezone, KernelArgs: b.KernelArgs})
}

// Builds the installer ISO of this build (unisonos-baremetal-<version>.iso and .sha256) from the Ubuntu Server ISO.
//
// An offline build (with-offline) writes unisonos-baremetal-offline-<version>.iso
// and, next to it, .payload.json: every file the medium carries, with its
// size and SHA-256.
func (b *Build) Iso(
	ctx context.Context,
	// Base ISO file; default: the pinned Ubuntu 24.04 live-server download.
	// +optional
	baseIso *dagger.File,
	// Expected SHA-256 of --base-iso (checked when given).
	// +optional
	baseIsoSha256 string,
	// Extra Ubuntu packages to install.
	// +optional
	packages []string,
	// Locale; default: en_US.UTF-8.
	// +optional
	locale string,
	// Keyboard layout; default: us.
	// +optional
	keyboard string,
	// Time zone; default: Etc/UTC.
	// +optional
	timezone string,
	// Volume ID; default: "UnisonOS <version> amd64" (at most 32 characters).
	// +optional
	volumeId string,
	// Kernel arguments of the installed system, after its distribution's own (e.g. iommu=pt); default: the build file's.
	// +optional
	kernelArguments []string,
) (*dagger.Directory, error) {
	return b.iso(ctx, isoOptions{Base: baseInput{File: baseIso, SHA256: baseIsoSha256}, Packages: orList(packages, b.Packages),
		Locale: or(locale, b.Locale), Keyboard: or(keyboard, b.Keyboard), Timezone: or(timezone, b.Timezone), VolumeID: volumeId,
		KernelArgs: orList(kernelArguments, b.KernelArgs)})
}

// iso validates every input, then verifies the base, patches GRUB and remasters.
func (b *Build) iso(ctx context.Context, o isoOptions) (*dagger.Directory, error) {
	volid := o.VolumeID
	if volid == "" {
		var err error
		if volid, err = iso.VolumeID(b.Version); err != nil {
			return nil, err
		}
	} else if err := iso.CheckVolumeID(volid); err != nil {
		return nil, err
	}
	a, err := b.admin(ctx)
	if err != nil {
		return nil, err
	}
	userData, err := b.userData(ctx, a, o)
	if err != nil {
		return nil, err
	}
	tree, err := b.treeOr(ctx, o.Tree)
	if err != nil {
		return nil, err
	}
	o.Base.Pin, o.Base.Arg = "live_server_iso", "base-iso"
	base, err := b.Root.verified(ctx, o.Base)
	if err != nil {
		return nil, err
	}
	stage, maps, err := b.Root.patchedGrub(ctx, base)
	if err != nil {
		return nil, err
	}
	stage, err = b.stagePayload(stage, a.PasswordHash,
		payloadFile{"nocloud/user-data", userData},
		payloadFile{"nocloud/meta-data", autoinstall.MetaData("unisonos-"+b.Version, a.Hostname)},
		payloadFile{"autoinstall.yaml", autoinstall.AutoinstallYAML(userData)})
	if err != nil {
		return nil, err
	}
	stage = stage.WithFile("nocloud/models.json", tree.File("models.json")).
		WithFile("nocloud/"+autoinstall.DefaultBundleFile, b.bundleTar(tree))
	maps = append(maps, "-map", "/stage/nocloud", "/nocloud", "-map", "/stage/autoinstall.yaml", "/autoinstall.yaml")
	kind := artifact.ISO
	if b.Offline {
		kind = artifact.ISOOffline
	}
	out := b.Root.remaster(base, stage, remasterOut{Name: artifact.Name(kind, b.Version), VolumeID: volid, Epoch: b.epoch()}, maps...)
	if b.Offline {
		// what the medium carries, listed next to it: every file's size and SHA-256
		out = out.WithFile(artifact.Name(artifact.Payload, b.Version), tree.File(offline.Dir+"/manifest.json"))
	}
	return out, nil
}

// remasterOut names a remastered ISO: file name, volume ID, SOURCE_DATE_EPOCH.
type remasterOut struct{ Name, VolumeID, Epoch string }

// remaster writes base with the staged files mapped in (-map pairs, paths
// under /stage) and its boot setup replayed: /Name and /Name.sha256 in the
// returned directory (scripts/iso-remaster.sh).
func (m *UnisonPlatform) remaster(base *dagger.File, stage *dagger.Directory, out remasterOut, maps ...string) *dagger.Directory {
	c := m.isoTools().
		WithEnvVariable("SOURCE_DATE_EPOCH", out.Epoch).
		WithEnvVariable("OUT", out.Name).
		WithEnvVariable("VOLID", out.VolumeID).
		WithMountedFile("/in/base.iso", base).
		WithDirectory("/stage", stage).
		// a mounted output is its own snapshot: no copy of the ISO out of the container's root filesystem
		WithMountedDirectory("/out", dag.Directory())
	return runScript(c, "iso-remaster.sh", maps...).Directory("/out")
}

// hashPlaceholder stands where the admin's password hash goes in staged
// payload texts until seal-hash.sh puts the hash there from its secret.
const hashPlaceholder = "UNISON-PASSWORD-HASH-FROM-DAGGER-SECRET"

// payloadFile is one staged text of an installer payload.
type payloadFile struct{ Path, Text string }

// stagePayload adds the payload texts to stage. The admin's password hash
// (hash: the value the checks read) stays a Dagger secret: the texts are
// written with hashPlaceholder where it stands, and seal-hash.sh puts it
// back inside a container from the mounted secret, so no call argument,
// cache key or trace holds it. A hash no text holds verbatim (a renderer
// that escaped it) is an error, never written.
func (b *Build) stagePayload(stage *dagger.Directory, hash string, files ...payloadFile) (*dagger.Directory, error) {
	if b.PasswordHash == nil || hash == "" {
		for _, f := range files {
			stage = stage.WithNewFile(f.Path, f.Text)
		}
		return stage, nil
	}
	sealed := []string{}
	for _, f := range files {
		text := strings.ReplaceAll(f.Text, hash, hashPlaceholder)
		stage = stage.WithNewFile(f.Path, text)
		if text != f.Text {
			sealed = append(sealed, f.Path)
		}
	}
	if len(sealed) == 0 {
		return nil, fmt.Errorf("password-hash: the rendered payload does not hold it verbatim (nothing written)")
	}
	c := b.Root.archiver().WithMountedSecret("/run/secrets/hash", b.PasswordHash).
		WithEnvVariable("PLACEHOLDER", hashPlaceholder).
		WithDirectory("/stage", stage)
	return runScript(c, "seal-hash.sh", sealed...).Directory("/stage"), nil
}

// payloadMaps are the -map pairs of a staged nocloud/user-data, nocloud/meta-data (when
// given) and autoinstall.yaml: the payload files personalize-iso and qa-install replace.
func payloadMaps(metaData bool) []string {
	maps := []string{"-map", "/stage/nocloud/user-data", "/nocloud/user-data", "-map", "/stage/autoinstall.yaml", "/autoinstall.yaml"}
	if metaData {
		maps = append(maps, "-map", "/stage/nocloud/meta-data", "/nocloud/meta-data")
	}
	return maps
}

// isoFile reads one file of an ISO (xorriso, no mount).
func (m *UnisonPlatform) isoFile(iso *dagger.File, path string) *dagger.File {
	return m.isoTools().WithMountedFile("/in/image.iso", iso).
		WithExec([]string{"xorriso", "-osirrox", "on", "-indev", "/in/image.iso", "-extract", path, "/extracted"}).
		File("/extracted")
}

// userData renders and validates the autoinstall user-data of the build.
func (b *Build) userData(ctx context.Context, a ident.Admin, o isoOptions) (string, error) {
	tmpl, err := b.Root.Images.File("autoinstall/user-data.yaml.tmpl").Contents(ctx)
	if err != nil {
		return "", fmt.Errorf("images/autoinstall/user-data.yaml.tmpl: %w", err)
	}
	return autoinstall.Render(tmpl, autoinstall.Config{
		Hostname: a.Hostname, Username: a.User, SSHAuthorizedKeys: a.Keys, PasswordHash: a.PasswordHash,
		ExtraPackages: o.Packages, Locale: o.Locale, KeyboardLayout: o.Keyboard, Timezone: o.Timezone, KernelArgs: o.KernelArgs,
		Stable: version.IsStable(b.Version), BundleFile: autoinstall.DefaultBundleFile, Public: b.Public, Offline: b.Offline,
	})
}

// patchedGrub extracts the base's GRUB configs, makes the default entry the
// unattended install and adds an interactive one (in Go, grub.Installer), and
// returns them staged, with the xorriso -map arguments that replace them.
func (m *UnisonPlatform) patchedGrub(ctx context.Context, base *dagger.File) (*dagger.Directory, []string, error) {
	cfgs := runScript(m.isoTools().WithMountedFile("/in/base.iso", base), "iso-grub.sh").Directory("/cfg/grub")
	stage, maps := dag.Directory(), []string{}
	for _, name := range []string{"grub.cfg", "loopback.cfg"} {
		entries, err := cfgs.Glob(ctx, name)
		if err != nil {
			return nil, nil, err
		}
		if len(entries) == 0 {
			continue // grub.cfg is there: iso-grub.sh checked it
		}
		orig, err := cfgs.File(name).Contents(ctx)
		if err != nil {
			return nil, nil, err
		}
		patched, err := grub.Installer(orig, "")
		if err != nil {
			return nil, nil, fmt.Errorf("base-iso /boot/grub/%s: %w", name, err)
		}
		stage = stage.WithNewFile("boot/grub/"+name, patched)
		maps = append(maps, "-map", "/stage/boot/grub/"+name, "/boot/grub/"+name)
	}
	return stage, maps, nil
}
