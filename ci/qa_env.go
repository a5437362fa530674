package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/nocloud"
)

// qaUser is the default user of Ubuntu cloud images (and of the stand-in):
// qa-smoke's NoCloud seed gives it the run's SSH key.
const qaUser = "ubuntu"

// Boot timeouts when none is given: a first boot that installs Docker takes
// minutes with KVM and several times longer with TCG; an installer ISO boot
// only runs as far as its installer environment.
const (
	kvmBootTimeout = 300
	tcgBootTimeout = 1200
	isoBootTimeout = 600
)

// qaVMOptions are the settings of a VM disk's QA run; zero values are the defaults.
type qaVMOptions struct {
	KernelArgs, ReadyMarker            string
	BootTimeout, HealthTimeout, Memory int
	// Isolated: the guest's network reaches nothing (SSH and the port checks still go through QEMU's forwards).
	Isolated bool
	// InsecureRegistries: registries (host:port) the guest's Docker may pull from over plain HTTP (the seed's daemon.json).
	InsecureRegistries []string
	// User logs in over SSH; default: the cloud image's default user (qaUser).
	User string
}

func (o qaVMOptions) withDefaults() qaVMOptions {
	o.KernelArgs = or(o.KernelArgs, "probe=disk console=ttyS0")
	o.ReadyMarker = or(o.ReadyMarker, "UNISON-FIRSTBOOT: done")
	o.HealthTimeout = or(o.HealthTimeout, 180)
	o.Memory = or(o.Memory, 2048)
	o.User = or(o.User, qaUser)
	return o
}

func (o qaVMOptions) check() error {
	if o.BootTimeout < 0 || o.HealthTimeout < 1 || o.Memory < 256 {
		return fmt.Errorf("boot-timeout and health-timeout must be positive, memory at least 256 (MiB)")
	}
	return nil
}

// env is the runner's environment (scripts/qa-vm.sh); the boot timeout
// defaults by accelerator.
func (o qaVMOptions) env(acc qaAccel) map[string]string {
	return map[string]string{
		"KERNEL_ARGS": o.KernelArgs, "READY_MARKER": o.ReadyMarker, "BOOT_TIMEOUT": fmt.Sprint(or(o.BootTimeout, acc.bootTimeout())),
		"HEALTH_TIMEOUT": fmt.Sprint(o.HealthTimeout), "MEMORY": fmt.Sprint(o.Memory),
		"ISOLATED": map[bool]string{true: "1", false: "0"}[o.Isolated], "QA_USER": o.User,
	}
}

// qaAccel is the accelerator a qa-smoke run uses, and why.
type qaAccel struct {
	Name   string // kvm | tcg
	Reason string
}

func (a qaAccel) String() string { return a.Name + " (" + a.Reason + ")" }

func (a qaAccel) bootTimeout() int {
	if a.Name == "kvm" {
		return kvmBootTimeout
	}
	return tcgBootTimeout
}

// run runs a QA script; only a KVM run asks for the insecure root capability
// (it is what gives a container the engine host's /dev/kvm).
func (a qaAccel) run(c *dagger.Container, name string) *dagger.Container {
	return runScriptWith(c, name, dagger.ContainerWithExecOpts{InsecureRootCapabilities: a.Name == "kvm"})
}

// qaAccel decides the accelerator. For auto and kvm, a probe container with
// the insecure root capability boots a kernel with KVM for up to 20 s (a
// /dev/kvm that opens can still never run a guest); it runs on every call
// (a nonce), as KVM can come and go with the engine's host.
// Accel is the QEMU accelerator of a QA boot.
type Accel string

const (
	// KVM when the engine can give it (a probe boot decides), else TCG.
	AccelAuto Accel = "auto"
	// KVM, or fail saying why the engine cannot give it.
	AccelKvm Accel = "kvm"
	// TCG: software emulation, slower, works on every engine.
	AccelTcg Accel = "tcg"
)

// checkAccel: the engine refuses other --accel values; the Go API can still pass any.
func checkAccel(mode string) error {
	if mode != "auto" && mode != "kvm" && mode != "tcg" {
		return fmt.Errorf("accel %q: want auto, kvm or tcg", mode)
	}
	return nil
}

func (m *UnisonPlatform) qaAccel(ctx context.Context, mode string) (qaAccel, error) {
	if err := checkAccel(mode); err != nil {
		return qaAccel{}, err
	}
	if mode == "tcg" {
		return qaAccel{"tcg", "asked for"}, nil
	}
	out, err := runScriptWith(m.tools().WithEnvVariable("UNISON_QA_PROBE", fmt.Sprint(time.Now().UnixNano())),
		"kvm-probe.sh", dagger.ContainerWithExecOpts{InsecureRootCapabilities: true}).Stdout(ctx)
	out = strings.TrimSpace(out)
	if out == "kvm" && err == nil {
		return qaAccel{"kvm", "a probe boot with KVM worked"}, nil
	}
	reason := strings.TrimPrefix(out, "tcg: ")
	switch {
	case err != nil:
		reason = "the KVM probe could not run: " + err.Error()
	case !strings.HasPrefix(out, "tcg: ") || reason == "":
		reason = fmt.Sprintf("the KVM probe gave no answer (%q)", out)
	}
	if mode == "kvm" {
		return qaAccel{}, fmt.Errorf("accel kvm: KVM is not available to the engine's containers: %s; use --accel auto (TCG when there is no KVM) or --accel tcg", reason)
	}
	return qaAccel{"tcg", "auto: " + reason}, nil
}

// qaTools is the tools container with an SSH client, for the in-guest checks.
func (m *UnisonPlatform) qaTools() *dagger.Container {
	return m.tools().WithExec([]string{"sh", "-c",
		"apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends openssh-client >/dev/null && rm -rf /var/lib/apt/lists/*"})
}

// qaSeed returns the private key qa-smoke logs in with and the NoCloud seed
// that gives its public half to the guest's default user (and, when given,
// lets the guest's Docker pull from plain-HTTP registries). The key only
// opens throwaway QA overlays; the engine caches it like any build step.
func (m *UnisonPlatform) qaSeed(ctx context.Context, insecureRegistries []string) (*dagger.File, *dagger.File, error) {
	key, pub, err := m.qaKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	ud, err := nocloud.DefaultUserKeys([]string{pub})
	if err != nil {
		return nil, nil, err
	}
	regs, err := nocloud.InsecureRegistries(insecureRegistries)
	if err != nil {
		return nil, nil, err
	}
	ud += regs
	meta, err := nocloud.MetaData("unison-qa", "unison-qa")
	if err != nil {
		return nil, nil, err
	}
	return key, m.nocloudSeed(ud, meta, standinSDE), nil
}

// qaKey is the key pair qa-smoke and qa-install log in with: the private
// key file and the public key line (one cached step, so both see one key).
func (m *UnisonPlatform) qaKey(ctx context.Context) (*dagger.File, string, error) {
	keys := m.qaTools().WithExec([]string{"sh", "-c", "mkdir -p /out && ssh-keygen -q -t ed25519 -N '' -C unison-qa -f /out/id"}).Directory("/out")
	pub, err := keys.File("id.pub").Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	return keys.File("id"), strings.TrimSpace(pub), nil
}
