package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

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
	// Accelerator (as qa vm --accel).
	// +optional
	// +default="auto"
	accel Accel,
	// Seconds to wait for the first boot; default: 300 with KVM, 1200 with TCG.
	// +optional
	bootTimeout int,
	// A registry (host:port) the guest's Docker may pull from over plain HTTP (as qa-smoke --insecure-registry). Repeatable.
	// +optional
	insecureRegistry []string,
	// Seconds to wait for every service to report healthy once booted; default: 180.
	// +optional
	healthTimeout int,
) (*Release, error) {
	if accel != "" {
		if err := checkAccel(string(accel)); err != nil {
			return nil, err
		}
	}
	if bootTimeout < 0 {
		return nil, fmt.Errorf("boot-timeout %d: want a positive number of seconds", bootTimeout)
	}
	if healthTimeout < 0 {
		return nil, fmt.Errorf("health-timeout %d: want a positive number of seconds", healthTimeout)
	}
	c := *r
	c.QaBootFiles, c.QaKernelArgs, c.QaAccel, c.QaBootTimeout, c.QaInsecureRegistries = bootFiles, kernelArgs, string(accel), bootTimeout, insecureRegistry
	c.QaHealthTimeout = healthTimeout
	return &c, nil
}

// qaBoot is one boot check of the QA gate; label names what it booted when
// the suite's own name does not (the offline ISO next to the ISO).
type qaBoot struct {
	label string
	run   func(context.Context) (*QaReport, error)
}

// qaGate boots the built VM disk and ISOs of the given jobs (release.JobsFor)
// and fails when a check failed; it returns what PLAN.txt and the notes
// say about it.
func (r *Release) qaGate(ctx context.Context, files *dagger.Directory, jobs []string) (release.QA, error) {
	if r.SkipQa {
		return release.QA{Skipped: true}, nil
	}
	suites, reports, err := r.qaBoots(ctx, files, jobs)
	if err != nil {
		return release.QA{}, err
	}
	var q release.QA
	for i, rep := range reports {
		if !rep.Passed {
			return release.QA{}, fmt.Errorf("qa: the release failed its boot checks; nothing was signed or pushed (rerun with --skip-qa only knowingly):\n%s", rep.Summary)
		}
		line := release.Headline(rep.Summary)
		if suites[i] != suiteOf(rep) {
			line = suites[i] + " " + line
		}
		q.Suites = append(q.Suites, line)
	}
	return q, nil
}

// Boots what the release would publish, as its QA gate does, and returns every report: one folder per suite.
//
// The folders are qa-smoke (the VM disk), qa-smoke-iso (the ISO) and, with
// with-offline-iso, baremetal-iso-offline; each holds summary.txt,
// junit.xml, run.txt, the guest's log and the serial console. Passing or
// not, the reports come back (a failed gate's serial logs are here). After
// a dry run or publish that passed the gate, the boots come from the
// engine's cache. It builds every artifact of the release, as a dry run does.
func (r *Release) QaReports(ctx context.Context) (*dagger.Directory, error) {
	p, err := r.prepare(ctx, true, false)
	if err != nil {
		return nil, err
	}
	r = p.Release
	built, err := r.buildAll(ctx, p)
	if err != nil {
		return nil, err
	}
	suites, reports, err := r.qaBoots(ctx, built.Files, r.jobs())
	if err != nil {
		return nil, err
	}
	dir := dag.Directory()
	for i, rep := range reports {
		dir = dir.WithDirectory(suites[i], rep.Report)
	}
	return dir, nil
}

// suiteOf is a report's suite name, the first word of its headline ("qa-smoke", "qa-smoke-iso").
func suiteOf(rep *QaReport) string {
	name, _, _ := strings.Cut(release.Headline(rep.Summary), ":")
	return name
}

// qaBoots boots the built VM disk and ISOs of the given jobs, concurrently,
// and returns each report with its suite's name (the offline ISO's is the job's).
func (r *Release) qaBoots(ctx context.Context, files *dagger.Directory, jobs []string) ([]string, []*QaReport, error) {
	m, v := r.Build.Root, r.Build.Version
	o := qaVMOptions{KernelArgs: r.QaKernelArgs, BootTimeout: r.QaBootTimeout, HealthTimeout: r.QaHealthTimeout,
		InsecureRegistries: r.QaInsecureRegistries}.withDefaults()
	var boots []qaBoot
	if slices.Contains(jobs, "linux-vm") {
		boots = append(boots, qaBoot{run: func(ctx context.Context) (*QaReport, error) {
			acc, err := m.qaAccel(ctx, or(r.QaAccel, "auto"))
			if err != nil {
				return nil, err
			}
			return m.qaDisk(ctx, files.File(artifact.Name(artifact.Qcow2, v)), nil, r.QaBootFiles, acc, o)
		}})
	}
	// the online ISO's suite name says what it booted; the offline one is labelled
	for _, iso := range []struct {
		job, label string
		kind       artifact.Kind
	}{{"baremetal-iso", "", artifact.ISO}, {release.OfflineJob, release.OfflineJob, artifact.ISOOffline}} {
		if !slices.Contains(jobs, iso.job) {
			continue
		}
		file := files.File(artifact.Name(iso.kind, v))
		boots = append(boots, qaBoot{label: iso.label, run: func(ctx context.Context) (*QaReport, error) {
			// the kernel prints its command line: the one marker real media and stand-ins both show
			return m.qaISO(ctx, file, []string{"autoinstall " + grub.DefaultDatasource}, isoBootTimeout, o.Memory)
		}})
	}
	reports := make([]*QaReport, len(boots))
	g, gctx := errgroup.WithContext(ctx)
	for i, boot := range boots {
		g.Go(func() (err error) {
			reports[i], err = boot.run(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("qa: %w", err)
	}
	suites := make([]string, len(boots))
	for i, rep := range reports {
		suites[i] = suiteOf(rep)
		if boots[i].label != "" {
			suites[i] = boots[i].label
		}
	}
	return suites, reports, nil
}
