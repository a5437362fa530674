package main

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// releaseDisk measures each job of the fanned-out release (release.yml:
// `release ... artifact --name X` per artifact, then `with-artifacts ...`)
// the way a fresh runner meets it: the engine cache pruned before each job,
// the file system's used bytes sampled every half second while it runs
// (engine cache, the job's exported output, and for the publish job the
// downloaded artifacts it starts from, served on loopback as release-jobs.yml
// does: with-artifacts --server, a dry run, since the registry here writes
// to this disk and GHCR does not), then the github-release job's layout
// (release-assets.sh on copies of the publish job's and the jobs' outputs).
// It prints the peak growth per job, the output sizes and the base inputs.
//
// With publishOnly, the artifact jobs' outputs of an earlier run are reused
// (the same commit, read from their records) and only the publish job runs.
//
// wslImage, when set, is the OS image of the WSL job only (a larger root
// filesystem; the other jobs read the OS image's os-release and would pull it).
func releaseDisk(iso, cloud, wslImage string, publishOnly bool) {
	reg := os.Getenv("UNISON_SHARED_REGISTRY")
	if reg == "" {
		log.Fatal("-release-disk needs the air-gapped engine's registry (eval \"$(./airgap/airgap.sh env)\")")
	}
	built, dist := filepath.Join(work, "disk-built"), filepath.Join(work, "disk-dist")
	commit := sha("disk" + nonce)
	if publishOnly {
		data, err := os.ReadFile(filepath.Join(built, "built-bundle.json"))
		must(err)
		var rec struct{ Commit string }
		must(json.Unmarshal(data, &rec))
		commit = rec.Commit
	} else {
		os.RemoveAll(built)
	}
	os.RemoveAll(dist)
	// no QA gate (--skip-qa): the placeholder digests have no images for a booted VM
	// to run (the gate's own disk is its overlay: what the guest writes, on top)
	release := []string{"release", "--skip-qa", "--ref", "refs/tags/v0.6.0", "--sha", commit, "--commit-time", "2026-11-20T10:00:00Z",
		"--registry", reg, "--owner", "disk" + nonce, "--platform-version", "0.6.0", "--existing-tags", "v0.5.0",
		// with their SHA-256, as release-jobs.yml's pinned media come: a job that
		// does not build from a medium then has no reason to read it into the engine
		"with-base-iso", "--file", iso, "--sha256", sha256File(iso), "with-base-image", "--file", cloud, "--sha256", sha256File(cloud),
		"with-service-digests"}
	for i, svc := range []string{"orchestrator", "inference", "auth", "context"} {
		release = append(release, "--digests", fmt.Sprintf("%s=sha256:%s", svc, strings.Repeat(fmt.Sprint(i+1), 64)))
	}
	// placeholder digests, no images behind them: nothing to verify a signature of
	release = append(release, "with-service-trust")
	for _, svc := range []string{"orchestrator", "inference", "auth", "context"} {
		release = append(release, "--unsigned", svc)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Peak disk per release job (%s; engine cache pruned before each job; stand-ins: base ISO %s, cloud image %s):\n\n",
		time.Now().UTC().Format("2006-01-02"), mib(size(iso)), mib(size(cloud)))
	b.WriteString("| job | peak disk | output | wall time |\n|---|---|---|---|\n")
	for _, job := range []string{"linux-vm", "baremetal-iso", "wsl-bundle", "bundle"} {
		if publishOnly {
			break
		}
		before := dirSize(built)
		osImage = ""
		if job == "wsl-bundle" {
			osImage = wslImage
		}
		prune()
		var r result
		peak := peakDuring(work, func() { r = mustRun(call(append(release, "artifact", "--name", job, "export", "--path", built)...)) })
		fmt.Fprintf(&b, "| artifact --name %s | %s | %s | %.0fs |\n", job, mib(peak), mib(dirSize(built)-before), r.took.Seconds())
	}
	osImage = ""
	prune()
	// the publish job as release-jobs.yml runs it: the downloaded folder served on loopback
	srv := exec.Command("python3", "-m", "http.server", "8765", "--bind", "127.0.0.1", "--directory", built)
	must(srv.Start())
	time.Sleep(time.Second)
	var r result
	peak := peakDuring(work, func() {
		r = mustRun(call(append(release, "with-artifacts", "--server", "tcp://127.0.0.1:8765", "dry-run", "export", "--path", dist)...))
	})
	srv.Process.Kill()
	srv.Wait()
	// the publish job's runner also holds the downloaded artifacts it starts from
	fmt.Fprintf(&b, "| with-artifacts --server … (publish job) | %s + %s downloaded | %s | %.0fs |\n", mib(peak), mib(dirSize(built)), mib(dirSize(dist)), r.took.Seconds())
	// the github-release job: dist and the jobs' files downloaded (copies here), laid out by release-assets.sh
	gh, ghBuilt := filepath.Join(work, "gh-dist"), filepath.Join(work, "gh-built")
	os.RemoveAll(gh)
	os.RemoveAll(ghBuilt)
	start := time.Now()
	peak = peakDuring(work, func() {
		sh(fmt.Sprintf("cp -r %s %s && cp -r %s %s && bash %s/.github/scripts/release-assets.sh %s %s >/dev/null", dist, gh, built, ghBuilt, root, gh, ghBuilt))
	})
	fmt.Fprintf(&b, "| github-release (release-assets.sh; no engine) | %s | %s | %.0fs |\n", mib(peak), mib(dirSize(gh)), time.Since(start).Seconds())
	os.RemoveAll(gh)
	os.RemoveAll(ghBuilt)
	fmt.Print(b.String())
	must(os.WriteFile(filepath.Join(work, "disk.md"), []byte(b.String()), 0o644))
}

// peakDuring is the largest growth of the used bytes of path's file system while f runs.
func peakDuring(path string, f func()) int64 {
	used := func() int64 {
		var s syscall.Statfs_t
		must(syscall.Statfs(path, &s))
		return int64(s.Blocks-s.Bfree) * s.Bsize
	}
	base := used()
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		peak := base
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			if u := used(); u > peak {
				peak = u
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	return <-done - base
}

func size(p string) int64 {
	st, err := os.Stat(p)
	must(err)
	return st.Size()
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// sha256File is the SHA-256 of a file, hex.
func sha256File(path string) string {
	out, err := exec.Command("sha256sum", path).Output()
	must(err)
	return strings.Fields(string(out))[0]
}
