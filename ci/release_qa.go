package main

import (
	"context"
	"fmt"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/grub"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// Sets how the release's QA gate boots the VM disk (the ISO boots are not configurable).
//
// Before anything is signed or pushed, the release boots its VM disk
// (qa-smoke: SSH through a NoCloud seed, health and inference inside the
// guest, no service port reachable from outside) and its ISO (qa-smoke
// --iso: El Torito where the medium prints to a serial console, and the
// default entry's kernel directly). A failed check stops the release.
func (r *Release) WithQa(
	// Kernel and initrd for disks without a boot loader (the stand-ins: probe-boot); default: the disk's own.
	// +optional
	bootFiles *dagger.Directory,
	// Kernel command line with --boot-files; default: probe=disk console=ttyS0.
	// +optional
	kernelArgs string,
	// auto, kvm or tcg (as qa-smoke --accel); default: auto.
	// +optional
	accel string,
	// Seconds to wait for the first boot; default: 300 with KVM, 1200 with TCG.
	// +optional
	bootTimeout int,
) (*Release, error) {
	if accel != "" && accel != "auto" && accel != "kvm" && accel != "tcg" {
		return nil, fmt.Errorf("accel %q: want auto, kvm or tcg", accel)
	}
	if bootTimeout < 0 {
		return nil, fmt.Errorf("boot-timeout %d: want a positive number of seconds", bootTimeout)
	}
	c := *r
	c.QaBootFiles, c.QaKernelArgs, c.QaAccel, c.QaBootTimeout = bootFiles, kernelArgs, accel, bootTimeout
	return &c, nil
}

// qaGate boots the built VM disk and ISO of the given jobs (release.Jobs)
// and fails when a check failed; it returns what PLAN.txt and the notes
// say about it.
func (r *Release) qaGate(ctx context.Context, files *dagger.Directory, jobs []string) (release.QA, error) {
	if r.SkipQa {
		return release.QA{Skipped: true}, nil
	}
	m, v := r.Build.Root, r.Build.Version
	o := qaVMOptions{KernelArgs: r.QaKernelArgs, BootTimeout: r.QaBootTimeout}.withDefaults()
	var boots []func(context.Context) (*QaReport, error)
	if slices.Contains(jobs, "linux-vm") {
		boots = append(boots, func(ctx context.Context) (*QaReport, error) {
			acc, err := m.qaAccel(ctx, or(r.QaAccel, "auto"))
			if err != nil {
				return nil, err
			}
			return m.qaDisk(ctx, files.File(artifact.Name(artifact.Qcow2, v)), nil, r.QaBootFiles, acc, o.env(acc))
		})
	}
	if slices.Contains(jobs, "baremetal-iso") {
		boots = append(boots, func(ctx context.Context) (*QaReport, error) {
			// the kernel prints its command line: the one marker real media and stand-ins both show
			return m.qaISO(ctx, files.File(artifact.Name(artifact.ISO, v)), []string{"autoinstall " + grub.DefaultDatasource}, isoBootTimeout, o.Memory)
		})
	}
	reports := make([]*QaReport, len(boots))
	g, gctx := errgroup.WithContext(ctx)
	for i, boot := range boots {
		g.Go(func() (err error) {
			reports[i], err = boot(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return release.QA{}, fmt.Errorf("qa: %w", err)
	}
	var q release.QA
	for _, rep := range reports {
		if !rep.Passed {
			return release.QA{}, fmt.Errorf("qa: the release failed its boot checks; nothing was signed or pushed (rerun with --skip-qa only knowingly):\n%s", rep.Summary)
		}
		q.Suites = append(q.Suites, release.Headline(rep.Summary))
	}
	return q, nil
}
