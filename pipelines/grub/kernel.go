package grub

import (
	"fmt"
	"regexp"
	"strings"
)

// KernelBoot is what the default GRUB entry of an installer boots: kernel and
// initrd paths on the medium and the kernel arguments, for a QEMU direct
// kernel boot (-kernel, -initrd, -append) that shows the installer on a
// serial console.
type KernelBoot struct {
	Kernel, Initrd, Args string
	// Serial: the entry itself has console=ttyS0, so its boots through the
	// medium's own boot loader show on a serial console too (the stand-ins
	// do; Ubuntu's live-server ISOs do not).
	Serial bool
}

var initrdLine = regexp.MustCompile(`^\s*initrd(?:efi)?\s+(\S+)`)

// DefaultEntry reads the first menuentry with a kernel line of a GRUB config
// (the unattended entry of a baremetal-iso ISO) and adds console=ttyS0 to
// its arguments when they have no serial console. GRUB's double quotes
// around arguments are removed, as GRUB itself does.
func DefaultEntry(cfg string) (KernelBoot, error) {
	lines := strings.Split(cfg, "\n")
	start, end := firstKernelEntry(lines)
	if start < 0 {
		return KernelBoot{}, ErrNoMenuEntry
	}
	var kb KernelBoot
	for _, l := range lines[start : end+1] {
		if m := kernelLine.FindStringSubmatch(l); m != nil && kb.Kernel == "" {
			f := strings.Fields(m[3])
			if len(f) == 0 {
				return KernelBoot{}, fmt.Errorf("grub.cfg: %q has no kernel path", strings.TrimSpace(l))
			}
			kb.Kernel = f[0]
			var args []string
			for _, a := range f[1:] {
				args = append(args, strings.ReplaceAll(a, `"`, ""))
			}
			kb.Serial = hasToken(strings.Join(args, " "), "console=ttyS0")
			if !kb.Serial {
				args = append(args, "console=ttyS0")
			}
			kb.Args = strings.Join(args, " ")
		}
		if m := initrdLine.FindStringSubmatch(l); m != nil && kb.Initrd == "" {
			kb.Initrd = m[1]
		}
	}
	if kb.Initrd == "" {
		return KernelBoot{}, fmt.Errorf("grub.cfg: the entry booting %s has no initrd line", kb.Kernel)
	}
	for _, p := range []string{kb.Kernel, kb.Initrd} {
		if !strings.HasPrefix(p, "/") || strings.Contains(p, "..") || strings.ContainsAny(p, "$") {
			return KernelBoot{}, fmt.Errorf("grub.cfg: %q is not a plain path on the medium", p)
		}
	}
	return kb, nil
}
