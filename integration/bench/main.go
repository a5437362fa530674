// Command bench measures what every artifact pipeline costs on the running
// engine: cold (engine cache pruned), warm (nothing changed) and
// incremental (one input changed: the user-data for the ISO, the bundle for
// the VM, WSL and bundle) wall times of `dagger call ... export`, each the
// median of several runs with min and max, next to host-native baselines
// measured in the same run (xorriso remaster of the same input, cp of a
// >= 1 GiB ISO, qemu-img conversion of the same disk). It prints ratios
// against the targets and, for the ISO, the steps the time went to.
//
//	go run ./integration/bench [-runs 3] [-cold-runs 3] [-artifacts iso,vm,wsl,bundle]
//	go run ./integration/bench -release-disk   # peak disk of each release.yml job
//	go run ./integration/bench -sizes small,1g,real   # ISO, VM disk, WSL at three input sizes vs host tools
//	go run ./integration/bench -release-disk -size real   # peak disk per job with real-size media
//
// Cold runs prune the whole engine cache first (the state of a new machine):
// everything cached before is rebuilt afterwards.
package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"dagger.io/dagger"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl unison-bench"

var (
	root, work string
	nonce      = time.Now().UTC().Format("0102150405")
)

func main() {
	runs := flag.Int("runs", 3, "runs per warm/incremental/baseline measurement")
	coldRuns := flag.Int("cold-runs", 3, "cold runs per artifact (each prunes the engine cache)")
	largeMiB := flag.Int("large-iso-mib", 1024, "size of the large stand-in base ISO")
	only := flag.String("artifacts", "iso,iso-chain,vm,wsl,bundle", "artifacts to measure")
	flag.StringVar(&work, "work", "/var/tmp/unison-bench", "scratch folder (outside the module source)")
	disk := flag.Bool("release-disk", false, "measure only the peak disk of each fanned-out release job (on the large stand-in ISO)")
	diskJobs := flag.String("release-jobs", "", "with -release-disk: only these artifact jobs (comma separated), no publish or GitHub Release job")
	diskPublish := flag.Bool("release-disk-publish", false, "with -release-disk: only the publish job, on the artifact jobs' outputs of an earlier run")
	sizes := flag.String("sizes", "", "measure only the ISO, VM disk and WSL at these input sizes (small,1g,real) against host tools")
	diskSize := flag.String("size", "", "with -release-disk: the stand-ins' size (small, 1g, real) instead of -large-iso-mib and the small cloud image")
	standins := flag.String("standins", "", "only write the stand-ins of these sizes (small,1g,real) into -work and print their paths")
	flag.Parse()
	log.SetFlags(0)
	jobs := pickDiskJobs(*diskJobs) // bad input refused before any stand-in is made
	var err error
	if root, err = os.Getwd(); err != nil || !exists(filepath.Join(root, "dagger.json")) {
		log.Fatal("run from the repository root (make bench)")
	}
	engineEnv()
	hostTools()
	must(os.MkdirAll(work, 0o755))

	// inputs (not timed)
	iso := filepath.Join(work, "standin-live-server.iso")
	cloud := filepath.Join(work, "standin-cloudimg.qcow2")
	big := filepath.Join(work, "standin-large.iso")
	if !exists(iso) {
		mustRun(call("lab", "standin-iso", "export", "--path", iso))
	}
	if !exists(cloud) {
		mustRun(call("lab", "standin-cloud-image", "export", "--path", cloud))
	}
	if !exists(big) && *sizes == "" && *diskSize == "" && *standins == "" {
		filler := filepath.Join(work, "filler.bin")
		sh(fmt.Sprintf("head -c %dM /dev/urandom > %s", *largeMiB, filler))
		sh(fmt.Sprintf("xorriso -indev %s -outdev %s -map %s /casper/bench-filler.bin -boot_image any replay 2>/dev/null", iso, big, filler))
		os.Remove(filler)
	}

	if *standins != "" {
		for _, n := range strings.Split(*standins, ",") {
			s := sizeByName(n)
			fmt.Printf("%s: ISO %s, cloud image %s, OS image %s\n", n, sizedISO(iso, s), sizedCloud(cloud, s), sizedOSImage(s))
		}
		return
	}
	if *sizes != "" {
		sizeBench(strings.Split(*sizes, ","), iso, cloud, *runs)
		return
	}
	if *disk {
		var wslImage string
		if *diskSize != "" {
			s := sizeByName(*diskSize)
			big, cloud, wslImage = sizedISO(iso, s), sizedCloud(cloud, s), sizedOSImage(s)
		}
		releaseDisk(big, cloud, wslImage, *diskPublish, jobs)
		return
	}

	arts, order := benchArtifacts(iso, cloud)
	o := &benchOut{arts: arts, order: order, results: map[string]*measured{}, largeMiB: *largeMiB, runs: *runs, coldRuns: *coldRuns}
	for _, k := range order {
		if !strings.Contains(","+*only+",", ","+k+",") {
			continue
		}
		o.results[k] = measure(arts[k], k, *coldRuns, *runs)
	}
	// the large ISO: remaster + export against cp, and host xorriso on both sizes
	o.measureLargeISO(big)
	o.measureBaselines(iso, big, cloud)
	o.report()
}

// benchOut is one bench run's measurements.
type benchOut struct {
	arts                                       map[string]artifact
	order                                      []string
	results                                    map[string]*measured
	large, remasterExec, remasterExport        Sample
	largeLog                                   string
	xSmall, xLarge, shaLarge, cp, cpSync, qimg Sample
	largeMiB, runs, coldRuns                   int
}

// benchArtifacts are the artifacts measured cold, warm and incrementally, in order.
func benchArtifacts(iso, cloud string) (map[string]artifact, []string) {
	arts := map[string]artifact{
		"iso": {"ISO (baremetal-iso)", "user-data (host name)", func(v string) []string {
			return []string{"baremetal-iso", "--version", "v0.6.0", "--base-iso", iso, "--ssh-authorized-keys", testKey,
				"--commit-time", "2026-11-20T10:00:00Z", "--hostname", "b" + v,
				"export", "--path", filepath.Join(work, "out-iso")}
		}},
		// the same ISO through the chain: two more module calls (build, with-admin) than the door
		"iso-chain": {"ISO (build … with-admin … iso)", "user-data (host name)", func(v string) []string {
			return []string{"build", "--version", "v0.6.0", "--commit-time", "2026-11-20T10:00:00Z",
				"with-admin", "--ssh-authorized-keys", testKey, "--hostname", "c" + v,
				"iso", "--base-iso", iso, "export", "--path", filepath.Join(work, "out-iso-chain")}
		}},
		"vm": {"qcow2 (linux-vm)", "bundle (commit)", func(v string) []string {
			return []string{"linux-vm", "--version", "v0.6.0", "--base-image", cloud, "--ssh-authorized-keys", testKey,
				"--disk-size", "4G", "--commit-time", "2026-11-20T10:00:00Z", "--commit", sha(v),
				"export", "--path", filepath.Join(work, "out-vm")}
		}},
		"wsl": {"WSL (wsl-bundle)", "bundle (commit)", func(v string) []string {
			return []string{"wsl-bundle", "--version", "v0.6.0",
				"--commit-time", "2026-11-20T10:00:00Z", "--commit", sha(v), "export", "--path", filepath.Join(work, "out-wsl")}
		}},
		"bundle": {"bundle", "commit", func(v string) []string {
			return []string{"build", "--version", "v0.6.0",
				"--commit-time", "2026-11-20T10:00:00Z", "--commit", sha(v), "bundle", "export", "--path", filepath.Join(work, "out-bundle.tar.gz")}
		}},
	}
	return arts, []string{"iso", "iso-chain", "vm", "wsl", "bundle"}
}

// measureLargeISO times the incremental ISO on the large base, and its remaster and export steps.
func (o *benchOut) measureLargeISO(big string) {
	largeISO := func(v string) []string {
		return []string{"baremetal-iso", "--version", "v0.6.0", "--base-iso", big, "--ssh-authorized-keys", testKey,
			"--commit-time", "2026-11-20T10:00:00Z", "--hostname", "l" + v,
			"export", "--path", filepath.Join(work, "out-iso-large")}
	}
	mustRun(call(largeISO("warmup" + nonce)...)) // the 1 GiB upload and the tools, not timed
	for i := 0; i < o.runs; i++ {
		r := mustRun(call(largeISO(fmt.Sprintf("i%d%s", i, nonce))...))
		o.large = append(o.large, r.took)
		o.largeLog = r.log
		must(os.WriteFile(filepath.Join(work, fmt.Sprintf("large-%d.log", i)), []byte(r.log), 0o644))
		steps := Steps(r.log)
		rx := ExecTook(steps, "withExec /tmp/unison/iso-remaster.sh")
		if rx == 0 { // not in the progress output: left out of the step targets, not counted as 0
			log.Printf("bench: no remaster step in large-%d.log", i)
			continue
		}
		o.remasterExec = append(o.remasterExec, rx)
		o.remasterExport = append(o.remasterExport, rx+StepTook(steps, "Directory.export"))
	}
}

// measureBaselines times the host-native tools on the same inputs.
func (o *benchOut) measureBaselines(iso, big, cloud string) {
	out := filepath.Join(work, "out-iso-large", "unisonos-baremetal-v0.6.0.iso")
	payload := filepath.Join(work, "payload")
	os.RemoveAll(payload)
	sh(fmt.Sprintf("mkdir -p %[1]s && xorriso -osirrox on -indev %[2]s -extract /nocloud %[1]s/nocloud -extract /autoinstall.yaml %[1]s/autoinstall.yaml -extract /boot/grub/grub.cfg %[1]s/grub.cfg 2>/dev/null", payload, out))
	remaster := func(base string) string {
		return fmt.Sprintf("rm -f %[1]s/native.iso; xorriso -indev %[2]s -outdev %[1]s/native.iso -volid 'UnisonOS v0.6.0 amd64' -map %[3]s/grub.cfg /boot/grub/grub.cfg -map %[3]s/nocloud /nocloud -map %[3]s/autoinstall.yaml /autoinstall.yaml -boot_image any replay 2>/dev/null", work, base, payload)
	}
	o.xSmall = timeN(o.runs, remaster(iso))
	o.xLarge = timeN(o.runs, remaster(big))
	o.shaLarge = timeN(o.runs, fmt.Sprintf("sha256sum %s >/dev/null", big))
	o.cp = timeN(o.runs, fmt.Sprintf("rm -f %[1]s/copy.iso; cp %[2]s %[1]s/copy.iso", work, big))
	o.cpSync = timeN(o.runs, fmt.Sprintf("rm -f %[1]s/copy.iso; cp %[2]s %[1]s/copy.iso && sync %[1]s/copy.iso", work, big))
	o.qimg = timeN(o.runs, fmt.Sprintf("rm -f %[1]s/raw.img %[1]s/q.qcow2; qemu-img convert -O raw %[2]s %[1]s/raw.img && qemu-img convert -c -O qcow2 %[1]s/raw.img %[1]s/q.qcow2", work, cloud))
	os.Remove(filepath.Join(work, "copy.iso"))
	os.Remove(filepath.Join(work, "native.iso"))
	os.Remove(filepath.Join(work, "raw.img"))
}

// issueTargets are issue 20's targets: cold times, the 15 MB ISO end to end,
// the 1 GiB ISO's remaster step against host xorriso (+ sha256sum), and WSL.
func issueTargets(results map[string]*measured, largeMiB int, remasterExec, remasterExport, xorrisoSha, xorriso Sample) []Target {
	var t []Target
	for _, c := range []struct {
		key, title string
		max        time.Duration
	}{{"iso", "cold ISO ≤ 60 s", time.Minute}, {"vm", "cold qcow2 ≤ 60 s", time.Minute}, {"bundle", "cold bundle ≤ 20 s", 20 * time.Second}} {
		if r := results[c.key]; r != nil && len(r.cold) > 0 {
			t = append(t, Within(c.title, r.cold, c.max))
		}
	}
	if r := results["iso"]; r != nil {
		t = append(t, Within("incremental ISO (15 MB stand-in) ≤ 3 s end to end", r.inc, 3*time.Second))
	}
	t = append(t,
		Target{Name: fmt.Sprintf("incremental ISO remaster exec (%d MiB) ≤ 1.5× host xorriso + sha256sum", largeMiB), Num: remasterExec, Den: xorrisoSha, Max: 1.5},
		Target{Name: fmt.Sprintf("incremental ISO remaster + export (%d MiB) ≤ 3× host xorriso", largeMiB), Num: remasterExport, Den: xorriso, Max: 3})
	if r := results["wsl"]; r != nil {
		t = append(t, Within("incremental WSL ≤ 12 s", r.inc, 12*time.Second))
	}
	return t
}

type artifact struct {
	title, changed string
	args           func(variant string) []string
}

type measured struct {
	cold, warm, inc Sample
	incLog          string
}

func measure(a artifact, key string, coldRuns, runs int) *measured {
	m := &measured{}
	last := "w" + nonce
	for i := 0; i < coldRuns; i++ {
		prune()
		last = fmt.Sprintf("c%d%s", i, nonce)
		r := mustRun(call(a.args(last)...))
		m.cold = append(m.cold, r.took)
		log.Printf("bench %s cold %d: %s", key, i+1, secs(r.took))
	}
	if coldRuns == 0 {
		mustRun(call(a.args(last)...))
	}
	for i := 0; i < runs; i++ {
		r := mustRun(call(a.args(last)...))
		m.warm = append(m.warm, r.took)
		log.Printf("bench %s warm %d: %s", key, i+1, secs(r.took))
	}
	for i := 0; i < runs; i++ {
		r := mustRun(call(a.args(fmt.Sprintf("i%d%s", i, nonce))...))
		m.inc = append(m.inc, r.took)
		m.incLog = r.log
		log.Printf("bench %s incremental %d: %s", key, i+1, secs(r.took))
	}
	return m
}

type result struct {
	took time.Duration
	log  string
	err  error
}

// osImage, when set, is the module's --os-image (the size bench's WSL images);
// imagesDir, when set, its --images (-release-disk's pinned media).
var osImage, imagesDir string

func moduleArgs() []string {
	if os.Getenv("UNISON_SHARED_REGISTRY") == "" {
		return nil
	}
	// the mirror's debian:bookworm (tools) and debian:trixie (the OS: Compose v2) by digest (airgap.sh env)
	debian := os.Getenv("UNISON_DEBIAN_IMAGE")
	if debian == "" {
		debian = "debian:bookworm"
	}
	img := os.Getenv("UNISON_DEBIAN13_IMAGE")
	if img == "" {
		img = "debian:trixie"
	}
	if osImage != "" {
		img = osImage
	}
	args := []string{"--tools-image=" + debian, "--os-image=" + img, "--apt-pins=airgap/apt.yaml"}
	if imagesDir != "" {
		args = append(args, "--images="+imagesDir)
	}
	return args
}

// commitOf is the checkout's commit (with +dirty when it has changes).
func commitOf() string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty=+dirty", "--abbrev=12").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func cpus() int { return runtime.NumCPU() }

// call times one `dagger call` (CLI start, module load, build, export).
func call(args ...string) result {
	// -vv: the plain log then gives each exec's own span (withExec ... DONE [time]), which the
	// step tables read; at the default verbosity an exec's time hides in the span that needed it
	full := append(append([]string{"call", "-vv", "--progress=plain"}, moduleArgs()...), args...)
	cmd := exec.Command(filepath.Join(root, "airgap", "dagger"), full...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	return result{time.Since(start), out.String(), err}
}

func mustRun(r result) result {
	if r.err != nil {
		lines := strings.Split(strings.TrimSpace(r.log), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		log.Fatalf("dagger call failed: %v\n%s", r.err, strings.Join(lines, "\n"))
	}
	return r
}

// prune empties the engine's cache (a new machine's state).
func prune() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(io.Discard))
	must(err)
	defer c.Close()
	must(c.Engine().LocalCache().Prune(ctx))
}

func timeN(n int, script string) Sample {
	var s Sample
	for i := 0; i < n; i++ {
		start := time.Now()
		sh(script)
		s = append(s, time.Since(start))
	}
	return s
}

func sh(script string) {
	cmd := exec.Command("sh", "-c", script)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("%s: %v", script, err)
	}
}

// hostTools installs the host-native baselines' tools when missing.
func hostTools() {
	var need []string
	for tool, pkg := range map[string]string{"xorriso": "xorriso", "qemu-img": "qemu-utils", "mksquashfs": "squashfs-tools", "sfdisk": "fdisk", "pigz": "pigz", "openssl": "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			need = append(need, pkg)
		}
	}
	if len(need) == 0 {
		return
	}
	if os.Getuid() != 0 {
		log.Fatalf("the baselines need %s on the host: apt-get install %s", strings.Join(need, " "), strings.Join(need, " "))
	}
	sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " + strings.Join(need, " ") + " >/dev/null")
}

// engineEnv points the CLI and the Go SDK at the air-gapped engine when it runs.
func engineEnv() {
	if os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") != "" {
		return
	}
	a := filepath.Join(root, "airgap", "airgap.sh")
	if exec.Command(a, "status").Run() != nil {
		return
	}
	out, err := exec.Command(a, "env").Output()
	must(err)
	for _, line := range strings.Split(string(out), "\n") {
		for _, kv := range strings.Fields(strings.TrimPrefix(line, "export ")) {
			if k, v, ok := strings.Cut(kv, "="); ok {
				os.Setenv(k, v)
			}
		}
	}
}

func sha(v string) string {
	h := sha1.Sum([]byte(v))
	return hex.EncodeToString(h[:])
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "? GiB"
	}
	var kb int64
	fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%d", &kb)
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// report prints the tables and writes them to report.md.
func (o *benchOut) report() {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s (%d cores, %s), %d run(s) per cell (cold: %d), medians (min–max):\n\n",
		time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), memTotal(), o.runs, o.coldRuns)
	b.WriteString("| artifact | cold (cache pruned) | warm (no change) | incremental (changed input) | warm / cold |\n|---|---|---|---|---|\n")
	var targets []Target
	for _, k := range o.order {
		r := o.results[k]
		if r == nil {
			continue
		}
		t := Target{Name: "warm ≤ 5% of cold: " + o.arts[k].title, Num: r.warm, Den: r.cold, Max: 0.05}
		targets = append(targets, t)
		fmt.Fprintf(&b, "| %s | %s | %s | %s: %s | %.1f%% |\n", o.arts[k].title, r.cold.Cell(), r.warm.Cell(), o.arts[k].changed, r.inc.Cell(), 100*t.Ratio())
	}
	fmt.Fprintf(&b, "| ISO on a %d MiB base (remaster + export) | | | user-data: %s | |\n", o.largeMiB, o.large.Cell())
	b.WriteString("\nBaselines (host-native, same inputs, same run):\n\n| baseline | time |\n|---|---|\n")
	fmt.Fprintf(&b, "| xorriso remaster of the 15 MB stand-in, same payload | %s |\n", o.xSmall.Cell())
	fmt.Fprintf(&b, "| xorriso remaster of the %d MiB stand-in, same payload | %s |\n", o.largeMiB, o.xLarge.Cell())
	fmt.Fprintf(&b, "| sha256sum of the %d MiB ISO | %s |\n", o.largeMiB, o.shaLarge.Cell())
	fmt.Fprintf(&b, "| cp of the %d MiB ISO (source in the page cache) | %s |\n", o.largeMiB, o.cp.Cell())
	fmt.Fprintf(&b, "| cp + sync of the %d MiB ISO (copy on disk) | %s |\n", o.largeMiB, o.cpSync.Cell())
	fmt.Fprintf(&b, "| qemu-img convert (qcow2 → raw → compressed qcow2) of the stand-in cloud image | %s |\n", o.qimg.Cell())
	targets = append(targets, issueTargets(o.results, o.largeMiB, o.remasterExec, o.remasterExport,
		Sample{o.xLarge.Median() + o.shaLarge.Median()}, o.xLarge)...)
	if r, c := o.results["iso"], o.results["iso-chain"]; r != nil && c != nil {
		// each chain step is one more module call: what the two extra steps cost
		targets = append(targets, Target{Name: "ISO through the chain vs the door, warm (no target)", Num: c.warm, Den: r.warm, Max: 1e9},
			Target{Name: "ISO through the chain vs the door, incremental (no target)", Num: c.inc, Den: r.inc, Max: 1e9})
	}
	targets = append(targets,
		Target{Name: fmt.Sprintf("incremental ISO end to end vs cp (%d MiB; no target)", o.largeMiB), Num: o.large, Den: o.cp, Max: 1e9})
	if r := o.results["vm"]; r != nil {
		targets = append(targets, Target{Name: "incremental qcow2 vs host qemu-img conversions (no target)", Num: r.inc, Den: o.qimg, Max: 1e9})
	}
	b.WriteString("\n| target | ratio | verdict |\n|---|---|---|\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "| %s | %.3g | %s |\n", t.Name, t.Ratio(), t.Verdict())
	}
	where := func(title, logText string) {
		fmt.Fprintf(&b, "\nWhere the time goes, %s (longest steps of the last run; spans nest):\n\n| step | time |\n|---|---|\n", title)
		for _, s := range Longest(Steps(logText), 8) {
			fmt.Fprintf(&b, "| %s | %s |\n", Short(s.Desc, 90), secs(s.Took))
		}
	}
	if r := o.results["iso"]; r != nil {
		where("incremental ISO (15 MB)", r.incLog)
	}
	where(fmt.Sprintf("incremental ISO (%d MiB)", o.largeMiB), o.largeLog)
	fmt.Print(b.String())
	must(os.WriteFile(filepath.Join(work, "report.md"), []byte(b.String()), 0o644))
	fmt.Printf("\n(report also in %s)\n", filepath.Join(work, "report.md"))
}
