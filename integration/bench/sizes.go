package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The size bench (-sizes small,1g,real): how the cost of the ISO remaster,
// the VM disk and the WSL root filesystem grows with the input, each next to
// the host-native tool doing the same work on the same input in the same
// run, as ratios and as seconds per GiB of input.

// sized is one artifact's measurements at one size.
type sized struct {
	size     benchSize
	inputGiB float64
	first    Sample // the first build on this input (the upload, new base), warm tools
	inc      Sample // one input changed (user-data / bundle), end to end
	step     Sample // the step doing the size-dependent work (remaster, inject+convert, base tarball)
	export   Sample // the step handing the result back to the host
	host     Sample // host-native tool on the same input
	hostSha  Sample // the ISO's host SHA-256 (sha256sum of the output)
	outMiB   int64
}

// sizeBench runs the three artifacts at each size and prints the tables.
func sizeBench(names []string, small, smallCloud string, runs int) {
	var iso, vm, wsl []*sized
	// the tools and the module, built once on the small inputs (not timed): a
	// size's first build then costs what its input costs
	for _, a := range [][]string{
		{"baremetal-iso", "--version", "v0.6.0", "--base-iso", small, "--ssh-authorized-keys", testKey, "--commit-time", "2026-11-20T10:00:00Z", "export", "--path", filepath.Join(work, "out-warm")},
		{"linux-vm", "--version", "v0.6.0", "--base-image", smallCloud, "--ssh-authorized-keys", testKey, "--disk-size", "8G", "--commit-time", "2026-11-20T10:00:00Z", "--commit", sha("warm"), "export", "--path", filepath.Join(work, "out-warm")},
		{"wsl-bundle", "--version", "v0.6.0", "--commit-time", "2026-11-20T10:00:00Z", "--commit", sha("warm"), "export", "--path", filepath.Join(work, "out-warm")},
	} {
		timed("warm-"+a[0], a)
	}
	os.RemoveAll(filepath.Join(work, "out-warm"))
	for _, n := range names {
		s := sizeByName(n)
		iso = append(iso, benchISOSize(s, sizedISO(small, s), runs))
		vm = append(vm, benchVMSize(s, sizedCloud(smallCloud, s), runs))
		wsl = append(wsl, benchWSLSize(s, sizedOSImage(s), runs))
	}
	reportSizes(iso, vm, wsl, runs)
}

func gib(n int64) float64 { return float64(n) / (1 << 30) }

// timed is one call's wall time, its log kept in work.
func timed(name string, args []string) result {
	r := mustRun(call(args...))
	must(os.WriteFile(filepath.Join(work, name+".log"), []byte(r.log), 0o644))
	log.Printf("bench %s: %s", name, secs(r.took))
	return r
}

func benchISOSize(s benchSize, base string, runs int) *sized {
	m := &sized{size: s, inputGiB: gib(size(base))}
	out := filepath.Join(work, "out-iso-"+s.Name)
	args := func(v string) []string {
		return []string{"baremetal-iso", "--version", "v0.6.0", "--base-iso", base, "--ssh-authorized-keys", testKey,
			"--commit-time", "2026-11-20T10:00:00Z", "--hostname", "s" + v, "export", "--path", out}
	}
	m.first = Sample{timed("iso-"+s.Name+"-first", args("f"+s.Name+nonce)).took}
	for i := 0; i < runs; i++ {
		r := timed(fmt.Sprintf("iso-%s-inc-%d", s.Name, i), args(fmt.Sprintf("i%d%s%s", i, s.Name, nonce)))
		m.inc = append(m.inc, r.took)
		steps := Steps(r.log)
		if rx := ExecTook(steps, "withExec /tmp/unison/iso-remaster.sh"); rx > 0 {
			m.step = append(m.step, rx)
			m.export = append(m.export, StepTook(steps, "Directory.export"))
		} else {
			log.Printf("bench: no remaster step in iso-%s-inc-%d.log", s.Name, i)
		}
	}
	built := filepath.Join(out, "unisonos-baremetal-v0.6.0.iso")
	m.outMiB = size(built) >> 20
	payload := filepath.Join(work, "payload-"+s.Name)
	os.RemoveAll(payload)
	sh(fmt.Sprintf("mkdir -p %[1]s && xorriso -osirrox on -indev %[2]s -extract /nocloud %[1]s/nocloud -extract /autoinstall.yaml %[1]s/autoinstall.yaml -extract /boot/grub/grub.cfg %[1]s/grub.cfg 2>/dev/null", payload, built))
	native := filepath.Join(work, "native.iso")
	m.host = timeN(runs, fmt.Sprintf("rm -f %[1]s; xorriso -indev %[2]s -outdev %[1]s -volid 'UnisonOS v0.6.0 amd64' -map %[3]s/grub.cfg /boot/grub/grub.cfg -map %[3]s/nocloud /nocloud -map %[3]s/autoinstall.yaml /autoinstall.yaml -boot_image any replay 2>/dev/null", native, base, payload))
	m.hostSha = timeN(runs, "sha256sum "+native+" >/dev/null")
	os.Remove(native)
	os.RemoveAll(payload)
	return m
}

func benchVMSize(s benchSize, base string, runs int) *sized {
	m := &sized{size: s, inputGiB: gib(size(base))}
	out := filepath.Join(work, "out-vm-"+s.Name)
	args := func(v string) []string {
		return []string{"linux-vm", "--version", "v0.6.0", "--base-image", base, "--ssh-authorized-keys", testKey,
			"--disk-size", "8G", "--commit-time", "2026-11-20T10:00:00Z", "--commit", sha(v),
			"export", "--path", out}
	}
	m.first = Sample{timed("vm-"+s.Name+"-first", args("f"+s.Name+nonce)).took}
	for i := 0; i < runs; i++ {
		r := timed(fmt.Sprintf("vm-%s-inc-%d", s.Name, i), args(fmt.Sprintf("i%d%s%s", i, s.Name, nonce)))
		m.inc = append(m.inc, r.took)
		steps := Steps(r.log)
		if rx := ExecTook(steps, "withExec /tmp/unison/vm-inject.sh"); rx > 0 {
			m.step = append(m.step, rx)
			m.export = append(m.export, StepTook(steps, "Directory.export"))
		}
	}
	m.outMiB = size(filepath.Join(out, "unisonos-linux-vm-v0.6.0.qcow2")) >> 20
	m.host = timeN(runs, fmt.Sprintf("rm -f %[1]s/raw.img %[1]s/q.qcow2; qemu-img convert -O raw %[2]s %[1]s/raw.img && qemu-img convert -c -O qcow2 %[1]s/raw.img %[1]s/q.qcow2", work, base))
	os.Remove(filepath.Join(work, "raw.img"))
	os.Remove(filepath.Join(work, "q.qcow2"))
	return m
}

func benchWSLSize(s benchSize, image string, runs int) *sized {
	osImage = image
	defer func() { osImage = "" }()
	m := &sized{size: s}
	out := filepath.Join(work, "out-wsl-"+s.Name)
	args := func(v string) []string {
		return []string{"wsl-bundle", "--version", "v0.6.0",
			"--commit-time", "2026-11-20T10:00:00Z", "--commit", sha(v), "export", "--path", out}
	}
	// the first build on this OS image: the root filesystem and its base tarball (wsl-base.sh)
	r := timed("wsl-"+s.Name+"-first", args("f"+s.Name+nonce))
	m.first = Sample{r.took}
	if st := ExecTook(Steps(r.log), "withExec /tmp/unison/wsl-base.sh"); st > 0 {
		m.step = Sample{st}
	}
	for i := 0; i < runs; i++ {
		r := timed(fmt.Sprintf("wsl-%s-inc-%d", s.Name, i), args(fmt.Sprintf("i%d%s%s", i, s.Name, nonce)))
		m.inc = append(m.inc, r.took)
		m.export = append(m.export, StepTook(Steps(r.log), "Directory.export"))
	}
	// the host baseline: the same root filesystem (the built tarball, unpacked) packed with tar and pigz
	tarball := filepath.Join(out, "unisonos-wsl-rootfs-v0.6.0.tar.gz")
	m.outMiB = size(tarball) >> 20
	root := filepath.Join(work, "wsl-root")
	os.RemoveAll(root)
	sh(fmt.Sprintf("mkdir -p %[1]s && tar -xzf %[2]s -C %[1]s --numeric-owner && du -sb %[1]s | cut -f1 > %[1]s.size", root, tarball))
	b, err := os.ReadFile(root + ".size")
	must(err)
	var n int64
	fmt.Sscan(strings.TrimSpace(string(b)), &n)
	m.inputGiB = gib(n)
	m.host = timeN(runs, fmt.Sprintf("tar --sort=name --numeric-owner --mtime=@1700000000 -cf - -C %[1]s . | pigz -n > %[2]s/host.tar.gz", root, work))
	os.RemoveAll(root)
	os.Remove(root + ".size")
	os.Remove(filepath.Join(work, "host.tar.gz"))
	return m
}

func reportSizes(iso, vm, wsl []*sized, runs int) {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Size bench, %s on %s, commit %s (%d cores, %s), %d run(s) per cell, medians (min–max); s/GiB = seconds per GiB of input:\n\n",
		time.Now().UTC().Format("2006-01-02"), host, commitOf(), cpus(), memTotal(), runs)
	b.WriteString("ISO (baremetal-iso, user-data changed; remaster = the iso-remaster.sh step: xorriso + SHA-256):\n\n")
	b.WriteString("| size | base ISO | first build | incremental | s/GiB | remaster | host xorriso + sha256sum | ratio (≤ 1.5) | remaster + export | host xorriso | ratio (≤ 2.5 real) |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range iso {
		xs := Sample{m.host.Median() + m.hostSha.Median()}
		re := Sample{m.step.Median() + m.export.Median()}
		fmt.Fprintf(&b, "| %s | %.2f GiB | %s | %s | %.1f | %s | %s | %s | %s | %s | %s |\n", m.size.Name, m.inputGiB,
			secs(m.first.Median()), m.inc.Cell(), m.inc.Median().Seconds()/m.inputGiB, m.step.Cell(), secs(xs.Median()),
			ratio(m.step, xs, 1.5), secs(re.Median()), m.host.Cell(), ratio(re, m.host, 2.5))
	}
	b.WriteString("\nVM disk (linux-vm, bundle changed; inject = the vm-inject.sh step: raw, debugfs, e2fsck, compressed qcow2, SHA-256):\n\n")
	b.WriteString("| size | base image (qcow2) | first build | incremental | s/GiB | inject | export | host qemu-img convert (raw, compressed qcow2) | incremental / host (≤ 1.5 real) | qcow2 out |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range vm {
		fmt.Fprintf(&b, "| %s | %.2f GiB | %s | %s | %.1f | %s | %s | %s | %s | %d MiB |\n", m.size.Name, m.inputGiB,
			secs(m.first.Median()), m.inc.Cell(), m.inc.Median().Seconds()/m.inputGiB, m.step.Cell(), m.export.Cell(), m.host.Cell(),
			ratio(m.inc, m.host, 1.5), m.outMiB)
	}
	b.WriteString("\nWSL root filesystem (wsl-bundle; first build = a new OS image: apt, root filesystem, base tarball; bundle changed = incremental):\n\n")
	b.WriteString("| size | root filesystem | first build | base tarball (wsl-base.sh) | host tar + pigz | ratio | incremental | export | tarball out |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, m := range wsl {
		fmt.Fprintf(&b, "| %s | %.2f GiB | %s | %s | %s | %s | %s | %s | %d MiB |\n", m.size.Name, m.inputGiB,
			secs(m.first.Median()), m.step.Cell(), m.host.Cell(), ratio(m.step, m.host, 0), m.inc.Cell(), m.export.Cell(), m.outMiB)
	}
	fmt.Print(b.String())
	must(os.WriteFile(filepath.Join(work, "sizes.md"), []byte(b.String()), 0o644))
	fmt.Printf("\n(report also in %s)\n", filepath.Join(work, "sizes.md"))
}

// ratio renders num/den of the medians, and against max when max > 0.
func ratio(num, den Sample, max float64) string {
	t := Target{Num: num, Den: den, Max: max}
	if len(num) == 0 || len(den) == 0 || den.Median() == 0 {
		return "–"
	}
	if max == 0 {
		return fmt.Sprintf("%.2f×", t.Ratio())
	}
	v := "met"
	if t.Ratio() > max {
		v = "**missed**"
	}
	return fmt.Sprintf("%.2f× %s", t.Ratio(), v)
}
