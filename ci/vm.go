package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/vm"
)

// defaultDiskSize is the VM disk's virtual size.
const defaultDiskSize = "32G"

// vmOptions are the VM disk's own inputs; zero values mean the defaults.
type vmOptions struct {
	Base       baseInput
	DiskSize   string
	Vmdk       bool
	ExtraFiles *dagger.Directory
	// Tree is the bundle tree when the caller rendered it already (a release).
	Tree *dagger.Directory
}

// Builds unisonos-linux-vm-<version>.qcow2 (and optionally .vmdk) from the Ubuntu cloud image, customized without KVM.
//
// A door into `build ... with-admin ... vm`: the pinned Ubuntu 24.04 cloud
// image (or --base-image), SHA-256 checked first; its root partition is
// found by label and the platform bundle, the first-boot unit, cloud-init
// defaults (admin with SSH keys, no password login, host name, growpart)
// are written with debugfs (no mount, loop device or appliance). The disk is
// resized (sparse) and written as a compressed qcow2, .sha256 for each output.
func (m *UnisonPlatform) LinuxVm(
	ctx context.Context,
	// Version label, e.g. v1.2.3; default 0.0.0-dev.
	// +optional
	version string,
	// Model flavor of the bundle; default: default.
	// +optional
	flavor string,
	// Commit SHA recorded in the bundle; default: HEAD of the module's git checkout.
	// +optional
	commit string,
	// Commit time, RFC 3339: SOURCE_DATE_EPOCH; default: HEAD's commit time.
	// +optional
	commitTime string,
	// SSH public keys of the admin user (ed25519 recommended); at least one, password login is off.
	// +optional
	sshAuthorizedKeys []string,
	// A file of SSH public keys, one per line.
	// +optional
	sshAuthorizedKeysFile *dagger.File,
	// Host name; default: unisonos.
	// +optional
	hostname string,
	// A build file (docs/examples/unison.yaml): version, flavor, admin (user, host name, keys); the flags given here override its values.
	// +optional
	config *dagger.File,
	// Virtual disk size (sparse), e.g. 32G; the root filesystem grows to it on first boot; default 32G.
	// +optional
	diskSize string,
	// Also write a streamOptimized .vmdk.
	// +optional
	vmdk bool,
	// Base cloud image (qcow2 or raw); default: the pinned Ubuntu 24.04 cloud image.
	// +optional
	baseImage *dagger.File,
	// Expected SHA-256 of --base-image (checked when given).
	// +optional
	baseImageSha256 string,
) (*dagger.Directory, error) {
	b, err := m.open(ctx, door{identity: identity{Version: version, Flavor: flavor, Commit: commit, CommitTime: commitTime},
		Keys: sshAuthorizedKeys, KeysFile: sshAuthorizedKeysFile, Hostname: hostname, Config: config})
	if err != nil {
		return nil, err
	}
	return b.vm(ctx, vmOptions{Base: baseInput{File: baseImage, SHA256: baseImageSha256}, DiskSize: diskSize, Vmdk: vmdk})
}

// Builds the VM disk of this build (unisonos-linux-vm-<version>.qcow2, optional .vmdk, .sha256 each) from the Ubuntu cloud image.
func (b *Build) Vm(
	ctx context.Context,
	// Base cloud image (qcow2 or raw); default: the pinned Ubuntu 24.04 cloud image.
	// +optional
	baseImage *dagger.File,
	// Expected SHA-256 of --base-image (checked when given).
	// +optional
	baseImageSha256 string,
	// Virtual disk size (sparse), e.g. 32G; default 32G.
	// +optional
	diskSize string,
	// Also write a streamOptimized .vmdk.
	// +optional
	vmdk bool,
	// Extra files copied into the root filesystem (paths relative to /).
	// +optional
	extraFiles *dagger.Directory,
) (*dagger.Directory, error) {
	return b.vm(ctx, vmOptions{Base: baseInput{File: baseImage, SHA256: baseImageSha256}, DiskSize: diskSize, Vmdk: vmdk, ExtraFiles: extraFiles})
}

// vm validates the inputs, finds the root partition and injects the stage.
func (b *Build) vm(ctx context.Context, o vmOptions) (*dagger.Directory, error) {
	if err := b.noKernelArgs("the VM disk", "it boots its cloud image's own command line"); err != nil {
		return nil, err
	}
	a, err := b.admin(ctx)
	if err != nil {
		return nil, err
	}
	cfg := vm.Config{Admin: a, Version: b.Version, Public: b.Public}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	size := or(o.DiskSize, defaultDiskSize)
	if err := vm.CheckSize(size); err != nil {
		return nil, err
	}
	tree, err := b.treeOr(ctx, o.Tree)
	if err != nil {
		return nil, err
	}
	o.Base.Pin, o.Base.Arg = "cloud_image", "base-image"
	base, err := b.Root.verified(ctx, o.Base)
	if err != nil {
		return nil, err
	}
	root, sector, err := b.Root.rootPartition(ctx, base)
	if err != nil {
		return nil, err
	}
	dir := strings.TrimPrefix(bundle.InstallDir, "/")
	stage := dag.Directory().
		WithDirectory(dir, tree).
		WithNewFile(dir+"/bin/unisonos-firstboot", vm.FirstbootScript, dagger.DirectoryWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("etc/systemd/system/unisonos-firstboot.service", vm.FirstbootUnit).
		WithNewFile("etc/cloud/cloud.cfg.d/99-unisonos.cfg", cfg.CloudInit()).
		WithNewFile("etc/ssh/sshd_config.d/90-unisonos.conf", vm.SSHDConfig).
		WithNewFile("etc/systemd/resolved.conf.d/90-unisonos.conf", vm.ResolvedConfig)
	if o.ExtraFiles != nil {
		stage = stage.WithDirectory(".", o.ExtraFiles)
	}
	c := b.Root.diskTools().
		WithEnvVariable("SOURCE_DATE_EPOCH", b.epoch()).
		WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector)).
		WithEnvVariable("QCOW", artifact.Name(artifact.Qcow2, b.Version)).
		WithEnvVariable("VMDK_OUT", vmdkName(o.Vmdk, b.Version)).
		WithEnvVariable("SIZE", size).
		WithMountedFile("/in/base.img", base).
		WithDirectory("/stage", stage).
		WithMountedDirectory("/out", dag.Directory()) // its own snapshot: no copy out of the root filesystem
	return runScript(mountScript(c, "vmdk-cid.sh", script("vmdk-cid.sh")), "vm-inject.sh").Directory("/out"), nil
}

// vmdkName is the .vmdk to write, or "" for none.
func vmdkName(want bool, version string) string {
	if !want {
		return ""
	}
	return artifact.Name(artifact.Vmdk, version)
}

// rootPartition finds the root partition of a disk image (qcow2 or raw): the
// one labelled cloudimg-rootfs, whatever its number; it returns the
// partition and the sector size.
func (m *UnisonPlatform) rootPartition(ctx context.Context, image *dagger.File) (vm.Partition, int64, error) {
	inspect := runScript(m.diskTools().WithMountedFile("/in/base.img", image), "vm-partitions.sh")
	partsJSON, err := inspect.File("/o/parts.json").Contents(ctx)
	if err != nil {
		return vm.Partition{}, 0, err
	}
	labels, err := inspect.File("/o/labels.txt").Contents(ctx)
	if err != nil {
		return vm.Partition{}, 0, err
	}
	parts, sector, err := vm.ParsePartitions([]byte(partsJSON))
	if err != nil {
		return vm.Partition{}, 0, err
	}
	vm.ApplyLabels(parts, labels)
	root, err := vm.FindRoot(parts)
	return root, sector, err
}
