package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
)

// Runs the autoinstall late-commands of an installer ISO for real, against a target root, and checks what they leave.
//
// The contract test of the install's last step: /cdrom/nocloud comes from the
// ISO, /target is the root filesystem of --target-image (a cloud image:
// standin-cloud-image in tests, Ubuntu's cloud image for the real thing),
// and `curtin in-target` is a shim that chroots into /target. The commands
// run in order and stop at the first failure, like the installer; then the
// checks: bundle installed, platform and Docker units enabled,
// platform.env written, firewall on with SSH allowed, unattended upgrades
// on. What the commands are responsible for is undone in the target first
// (package defaults may have done some of it), so each check proves the
// commands did it. Returns a report (late-commands.log when something failed).
//
// +cache="never"
func (q *Qa) LateCommands(
	ctx context.Context,
	// The installer ISO (from baremetal-iso).
	iso *dagger.File,
	// A disk image whose cloudimg-rootfs stands for the installed system (needs docker, ufw and unattended-upgrades, as subiquity installs them before late-commands).
	targetImage *dagger.File,
	// User-data whose late-commands to run instead of the ISO's /nocloud/user-data.
	// +optional
	userData *dagger.File,
) (*QaReport, error) {
	m := q.Root
	if userData == nil {
		userData = m.isoFile(iso, "/nocloud/user-data")
	}
	ud, err := userData.Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("iso: no /nocloud/user-data (not built by baremetal-iso?): %w", err)
	}
	cmds, err := autoinstall.LateCommands(ud)
	if err != nil {
		return nil, err
	}
	root, sector, err := m.rootPartition(ctx, targetImage)
	if err != nil {
		return nil, fmt.Errorf("target-image: %w", err)
	}
	run := m.tools().
		WithMountedFile("/in/installer.iso", iso).
		WithMountedFile("/in/target.qcow2", targetImage).
		WithNewFile("/in/late-commands.txt", strings.Join(cmds, "\n")+"\n").
		WithNewFile("/usr/local/bin/curtin", script("curtin-shim.sh"), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector)).
		WithNewFile("/report/accel.txt", "none (no VM: the commands run in a container, chrooted into the target)\n")
	return qaReport(ctx, "qa-late-commands", run, func(c *dagger.Container) *dagger.Container { return runScript(c, "qa-late.sh") }, "late-commands.log")
}
