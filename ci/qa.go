package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/bundle"
	"github.com/project-unisonOS/unison-platform/pipelines/grub"
	"github.com/project-unisonOS/unison-platform/pipelines/qa"
)

// QaReport is the outcome of a qa-smoke run.
type QaReport struct {
	// Whether every check passed.
	Passed bool
	// Human summary, one line per check.
	Summary string
	// The report: junit.xml, summary.txt, results.tsv, run.txt (start time and accelerator), and the serial log(s) when a check failed.
	Report *dagger.Directory
}

// Fails with the summary when a check failed (use it to gate a pipeline), else returns the summary.
func (r *QaReport) Check() (string, error) {
	if !r.Passed {
		return "", fmt.Errorf("qa-smoke failed:\n%s", r.Summary)
	}
	return r.Summary, nil
}

// Boots a built VM disk in QEMU and runs the health and inference smoke tests (make qa-smoke); returns a report.
//
// The disk boots as a throwaway overlay with a NoCloud seed that gives the
// image's default user (ubuntu) a key made for the run. After the
// serial-console ready marker it logs in over SSH and, inside the guest,
// checks every service's health endpoint and the inference endpoint (POST,
// HTTP 200 with a response or result field) on 127.0.0.1; from outside, every
// service port must not answer (services bind loopback only). The services
// come from the bundle's services.json in the image. KVM is used when the
// engine can give it (see --accel). Returns a report; `qa vm ... check`
// fails when a check failed. A failed run is never replayed from a cache.
//
// +cache="never"
func (q *Qa) Vm(
	ctx context.Context,
	// The VM disk (qcow2), e.g. from linux-vm.
	image *dagger.File,
	// Kernel and initrd to boot with (vmlinuz, initrd.gz), for images without a bootloader such as the stand-ins; default: the disk's own bootloader.
	// +optional
	bootFiles *dagger.Directory,
	// Kernel command line (with --boot-files); default: probe=disk console=ttyS0 (the stand-in probe initrd).
	// +optional
	kernelArgs string,
	// Seconds to wait for the ready marker; default: 300 with KVM, 1200 with TCG.
	// +optional
	bootTimeout int,
	// Seconds to wait for SSH and the health endpoints after boot; default: 180.
	// +optional
	healthTimeout int,
	// Guest memory in MiB; default: 2048.
	// +optional
	memory int,
	// Accelerator: KVM when the engine can give it (auto), KVM or fail (kvm), or TCG. KVM needs the insecure root capability, asked for only after a probe boot with KVM worked.
	// +optional
	// +default="auto"
	accel Accel,
	// services.json to check against; default: the one of the bundle in the image.
	// +optional
	services *dagger.File,
	// Cut the guest off any network (QEMU user networking with restrict=on; SSH and the port checks still reach it through the forwarded ports): what an offline site sees.
	// +optional
	isolated bool,
	// A registry (host:port) the guest's Docker may pull the service images from over plain HTTP, such as a lab or site mirror without TLS: the run's NoCloud seed writes it to the guest's /etc/docker/daemon.json; the image carries none. Repeatable.
	// +optional
	insecureRegistry []string,
) (*QaReport, error) {
	m := q.Root
	o := qaVMOptions{KernelArgs: kernelArgs, BootTimeout: bootTimeout, HealthTimeout: healthTimeout, Memory: memory,
		Isolated: isolated, InsecureRegistries: insecureRegistry}.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	acc, err := m.qaAccel(ctx, string(accel))
	if err != nil {
		return nil, err
	}
	return m.qaDisk(ctx, image, services, bootFiles, acc, o)
}

// Boots an installer ISO (e.g. from baremetal-iso) as far as its installer environment and checks its serial console; returns a report.
//
// Four boots side by side: BIOS, UEFI and UEFI with Secure Boot enforced
// (OVMF with Microsoft's keys: only a signed chain boots) through the ISO's
// own boot loader, and its default entry's kernel and initrd directly with
// console=ttyS0 (how real media reach the serial console); each must show
// every --markers text. `qa iso ... check` fails when a check failed.
//
// +cache="never"
func (q *Qa) Iso(
	ctx context.Context,
	// The installer ISO.
	iso *dagger.File,
	// Serial console texts every boot must show (default: the autoinstall kernel arguments and the NoCloud user-data; the stand-in ISO prints both).
	// +optional
	// +default=["autoinstall ds=nocloud;s=/cdrom/nocloud/", "#cloud-config"]
	markers []string,
	// Seconds to wait for the markers; default: 600.
	// +optional
	bootTimeout int,
	// Guest memory in MiB of each of the four boots; default: 2048.
	// +optional
	memory int,
) (*QaReport, error) {
	o := qaVMOptions{BootTimeout: bootTimeout, Memory: memory}.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	return q.Root.qaISO(ctx, iso, markers, or(bootTimeout, isoBootTimeout), o.Memory)
}

// qaDisk boots a VM disk with scripts/qa-vm.sh (settings as its environment)
// and checks the services of services.json (default: the image's own).
func (m *UnisonPlatform) qaDisk(ctx context.Context, image, services *dagger.File, bootFiles *dagger.Directory, acc qaAccel, o qaVMOptions) (*QaReport, error) {
	env := o.env(acc)
	if services == nil {
		root, sector, err := m.rootPartition(ctx, image)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		services = runScript(m.tools().WithMountedFile("/in/image.qcow2", image).
			WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector)).
			WithEnvVariable("BUNDLE_DIR", bundle.InstallDir), "qa-services.sh").
			File("/services.json")
	}
	sj, err := services.Contents(ctx)
	if err != nil {
		return nil, err
	}
	checks, err := qa.Plan([]byte(sj))
	if err != nil {
		return nil, err
	}
	var ports []string
	for _, p := range qa.Ports(checks) {
		ports = append(ports, fmt.Sprint(p))
	}
	key, seed, err := m.qaSeed(ctx, o.InsecureRegistries)
	if err != nil {
		return nil, err
	}
	run := m.qaTools().
		WithMountedFile("/in/image.qcow2", image).
		WithMountedFile("/in/seed.iso", seed).
		WithMountedFile("/in/qa-key", key).
		WithNewFile("/in/plan.tsv", qa.PlanTSV(checks)).
		WithNewFile("/in/hardening.sh", qa.HardeningScript+"\n").
		WithEnvVariable("PORTS", strings.Join(ports, " ")).
		WithEnvVariable("ACCEL", acc.Name).
		WithNewFile("/report/accel.txt", acc.String()+isolatedNote(env)+"\n")
	for _, k := range slices.Sorted(maps.Keys(env)) {
		run = run.WithEnvVariable(k, env[k])
	}
	if bootFiles != nil {
		run = run.WithMountedDirectory("/boot-files", bootFiles)
	}
	return qaReportJudged(ctx, "qa-smoke", run, func(c *dagger.Container) *dagger.Container { return acc.run(c, "qa-vm.sh") },
		platformJudge(sj), "+serial.log", "+guest.log", "serial-reboot.log")
}

// qaJudge turns what a QA run collected into results (nil: nothing to judge).
type qaJudge func(ctx context.Context, run *dagger.Container) ([]qa.Result, error)

// platformJudge judges what the guest reported of the running platform:
// compose ps and docker inspect against the service contract
// (qa.Containers), and the listening sockets (qa.Listeners). A run that
// collected nothing (no boot, no SSH) has failed already.
func platformJudge(servicesJSON string) qaJudge {
	return func(ctx context.Context, run *dagger.Container) ([]qa.Result, error) {
		read := func(name string) (string, error) { return run.File("/report/" + name).Contents(ctx) }
		ps, err := read("up-ps.json")
		if err != nil || strings.TrimSpace(ps) == "" {
			return nil, nil //nolint:nilerr // not collected: the boot or SSH result says why
		}
		insp, err := read("up-inspect.json")
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(insp) == "" {
			insp = "[]"
		}
		out, err := qa.Containers([]byte(servicesJSON), []byte(ps), []byte(insp))
		if err != nil {
			return nil, err
		}
		ss, err := read("listeners.txt")
		if err != nil {
			return nil, err
		}
		l, err := qa.Listeners(ss)
		if err != nil {
			return nil, err
		}
		hard, err := read("hardening.txt")
		if err != nil {
			return nil, err
		}
		return append(append(out, l), qa.Hardening(hard)...), nil
	}
}

// isolatedNote tells run.txt that the guest had no network.
func isolatedNote(env map[string]string) string {
	if env["ISOLATED"] == "1" {
		return "; network isolated (QEMU restrict=on)"
	}
	return ""
}

// qaReport runs the checks and builds the report; the serial logs are
// attached when a check failed. A failed result is never replayed from the
// engine's cache: when the run that failed started before this call, it runs
// again (a nonce makes it a new exec) and that result is reported. A passing
// result may come from the cache.
func qaReport(ctx context.Context, suite string, setup *dagger.Container, runner dagger.WithContainerFunc, logs ...string) (*QaReport, error) {
	return qaReportJudged(ctx, suite, setup, runner, nil, logs...)
}

// qaReportJudged is qaReport with a judge of what the run collected.
func qaReportJudged(ctx context.Context, suite string, setup *dagger.Container, runner dagger.WithContainerFunc, judge qaJudge, logs ...string) (*QaReport, error) {
	called := time.Now().Unix()
	r, err := qaRun(ctx, suite, setup.With(runner), judge, logs)
	if err == nil && !r.Passed && r.started < called {
		r, err = qaRun(ctx, suite, setup.WithEnvVariable("UNISON_QA_RERUN", fmt.Sprint(time.Now().UnixNano())).With(runner), judge, logs)
	}
	if err != nil {
		return nil, err
	}
	return &r.QaReport, nil
}

type qaResult struct {
	QaReport
	started int64
}

// qaRun reads one run's results.
func qaRun(ctx context.Context, suite string, run *dagger.Container, judge qaJudge, logs []string) (*qaResult, error) {
	raw, err := run.File("/report/results.tsv").Contents(ctx)
	if err != nil {
		return nil, err
	}
	st, err := run.File("/report/started").Contents(ctx)
	if err != nil {
		return nil, err
	}
	accel, err := run.File("/report/accel.txt").Contents(ctx)
	if err != nil {
		return nil, err
	}
	started, err := strconv.ParseInt(strings.TrimSpace(st), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("qa runner: start time %q: %w", st, err)
	}
	results, err := qa.ParseResults(raw)
	if err != nil {
		return nil, err
	}
	if judge != nil {
		judged, err := judge(ctx, run)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", suite, err)
		}
		results = append(results, judged...)
		raw += qa.ResultsTSV(judged)
	}
	passed := qa.Passed(results)
	summary := qa.Summary(suite, results)
	report := dag.Directory().
		WithNewFile("junit.xml", string(qa.JUnit(suite, results))).
		WithNewFile("summary.txt", summary).
		WithNewFile("results.tsv", raw).
		WithNewFile("run.txt", fmt.Sprintf("started %d\naccel %s", started, accel))
	for _, l := range logs {
		// +name: attached always; others only when a check failed
		if always := strings.HasPrefix(l, "+"); always || !passed {
			l = strings.TrimPrefix(l, "+")
			report = report.WithFile(l, run.File("/report/"+l))
		}
	}
	return &qaResult{QaReport{Passed: passed, Summary: summary, Report: report}, started}, nil
}

func (m *UnisonPlatform) qaISO(ctx context.Context, iso *dagger.File, markers []string, bootTimeout, memory int) (*QaReport, error) {
	if len(markers) == 0 {
		return nil, fmt.Errorf("markers: give at least one serial console text to wait for")
	}
	kb, err := m.isoKernelBoot(ctx, iso)
	if err != nil {
		return nil, err
	}
	run := m.tools().
		WithMountedFile("/in/installer.iso", iso).
		WithNewFile("/in/markers.txt", strings.Join(markers, "\n")+"\n").
		WithEnvVariable("KERNEL_PATH", kb.Kernel).
		WithEnvVariable("INITRD_PATH", kb.Initrd).
		WithEnvVariable("KERNEL_ARGS", kb.Args).
		WithEnvVariable("ELTORITO_SERIAL", map[bool]string{true: "1", false: "0"}[kb.Serial]).
		WithEnvVariable("BOOT_TIMEOUT", fmt.Sprint(bootTimeout)).
		WithEnvVariable("MEMORY", fmt.Sprint(memory)).
		WithNewFile("/report/accel.txt", "tcg (installer boots: firmware and installer kernel under TCG)\n")
	return qaReport(ctx, "qa-smoke-iso", run, func(c *dagger.Container) *dagger.Container { return runScript(c, "qa-iso.sh") },
		"serial-bios.log", "serial-uefi.log", "serial-uefi-sb.log", "serial-kernel.log")
}

// isoKernelBoot reads the default entry of an installer ISO's GRUB config.
func (m *UnisonPlatform) isoKernelBoot(ctx context.Context, iso *dagger.File) (grub.KernelBoot, error) {
	cfg, err := m.isoFile(iso, "/boot/grub/grub.cfg").Contents(ctx)
	if err != nil {
		return grub.KernelBoot{}, fmt.Errorf("iso: no /boot/grub/grub.cfg (not an Ubuntu live-server ISO?): %w", err)
	}
	kb, err := grub.DefaultEntry(cfg)
	if err != nil {
		return grub.KernelBoot{}, fmt.Errorf("iso: %w", err)
	}
	return kb, nil
}
