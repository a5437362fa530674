package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
)

// Installs an installer ISO onto a blank virtual disk, boots the installed system and runs the VM smoke checks on it.
//
// The ISO boots (its default entry's kernel and initrd, console=ttyS0) with
// its own user-data except `shutdown: poweroff` and a QA key for its admin;
// the install passes when the installer powers the machine off and the disk
// holds a partition table. Then the installed disk boots like qa-smoke
// --image (login as the admin with the QA key, the bundle's services checked
// inside and from outside). Real media only get that far: a stand-in ISO
// boots a probe, so its install fails with "nothing was installed". A
// public ISO must be personalized first.
//
// +cache="never"
func (q *Qa) Install(
	ctx context.Context,
	// The installer ISO (unattended: from baremetal-iso or personalize-iso).
	iso *dagger.File,
	// Accelerator (as qa vm --accel).
	// +optional
	// +default="auto"
	accel Accel,
	// Seconds the install may take; default: 1800 with KVM, 7200 with TCG.
	// +optional
	installTimeout int,
	// Guest memory in MiB (the live installer needs 3 GiB or more); default: 4096.
	// +optional
	memory int,
) (*QaReport, error) {
	m := q.Root
	if installTimeout < 0 || memory < 0 || memory > 0 && memory < 1024 {
		return nil, fmt.Errorf("install-timeout must be positive and memory at least 1024 (MiB)")
	}
	acc, err := m.qaAccel(ctx, or(string(accel), "auto"))
	if err != nil {
		return nil, err
	}
	kb, err := m.isoKernelBoot(ctx, iso)
	if err != nil {
		return nil, err
	}
	prep := runScript(m.tools().WithMountedFile("/in/installer.iso", iso).
		WithEnvVariable("BUNDLE_FILE", autoinstall.DefaultBundleFile).
		WithEnvVariable("KERNEL_PATH", kb.Kernel).WithEnvVariable("INITRD_PATH", kb.Initrd), "qa-install-prep.sh").Directory("/out")
	qaISO, user, err := m.qaInstallMedium(ctx, iso, prep)
	if err != nil {
		return nil, err
	}
	timeout := or(installTimeout, map[string]int{"kvm": 1800, "tcg": 7200}[acc.Name])
	run := m.qaTools().
		WithMountedFile("/in/qa.iso", qaISO).
		WithMountedFile("/in/vmlinuz", prep.File("vmlinuz")).
		WithMountedFile("/in/initrd", prep.File("initrd")).
		WithEnvVariable("KERNEL_ARGS", kb.Args).
		WithEnvVariable("ACCEL", acc.Name).
		WithEnvVariable("DISK_SIZE", "20G").
		WithEnvVariable("MEMORY", fmt.Sprint(or(memory, 4096))).
		WithEnvVariable("INSTALL_TIMEOUT", fmt.Sprint(timeout)).
		WithNewFile("/report/accel.txt", acc.String()+"\n")
	var installed *dagger.Container
	install, err := qaReport(ctx, "qa-install", run, func(c *dagger.Container) *dagger.Container {
		installed = acc.run(c, "qa-install.sh")
		return installed
	}, "serial-install.log")
	if err != nil || !install.Passed {
		return install, err
	}
	o := qaVMOptions{ReadyMarker: "login:", User: user}.withDefaults()
	booted, err := m.qaDisk(ctx, installed.File("/out/disk.qcow2"), prep.File("services.json"), nil, acc, o)
	if err != nil {
		return nil, err
	}
	return &QaReport{Passed: booted.Passed, Summary: install.Summary + booted.Summary,
		Report: booted.Report.WithDirectory("install", install.Report)}, nil
}

// qaInstallMedium is the ISO with the QA user-data (poweroff, QA key), and the admin's name.
func (m *UnisonPlatform) qaInstallMedium(ctx context.Context, iso *dagger.File, prep *dagger.Directory) (*dagger.File, string, error) {
	ud, err := prep.File("user-data").Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	volid, err := prep.File("volid").Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	_, pub, err := m.qaKey(ctx)
	if err != nil {
		return nil, "", err
	}
	variant, user, err := autoinstall.QAVariant(ud, pub)
	if err != nil {
		return nil, "", err
	}
	stage := dag.Directory().WithNewFile("nocloud/user-data", variant).WithNewFile("autoinstall.yaml", autoinstall.AutoinstallYAML(variant))
	qa := m.remaster(iso, stage, remasterOut{Name: "qa.iso", VolumeID: strings.TrimSpace(volid), Epoch: standinSDE}, payloadMaps(false)...)
	return qa.File("qa.iso"), user, nil
}
