package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/project-unisonOS/unison-platform/pipelines/pins"
)

// releaseDisk measures each job of the fanned-out release (release.yml:
// `release ... artifact --name X` per artifact, then `with-artifacts ...`)
// the way a fresh runner meets it: the engine cache pruned before each job,
// the file system's used bytes sampled every half second while it runs
// (engine cache with the pinned base media the engine downloads, as
// release-jobs.yml's jobs get Ubuntu's (pinMedia), the job's exported
// output, and for the publish job the
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
//
// jobs, when not empty, names the artifact jobs to measure (the others, the
// publish and the GitHub Release jobs are skipped: a quick rerun of one job).
func releaseDisk(iso, cloud, wslImage string, publishOnly bool, jobs []string) {
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
	// the media pinned and downloaded by the engine, as release-jobs.yml's jobs
	// get Ubuntu's: a job reads only the medium it builds from
	stopMedia := pinMedia(iso, cloud)
	defer stopMedia()
	release := diskRelease(reg, commit)

	var b strings.Builder
	fmt.Fprintf(&b, "Peak disk per release job (%s; engine cache pruned before each job; the media pinned and downloaded by the engine: base ISO %s, cloud image %s):\n\n",
		time.Now().UTC().Format("2006-01-02"), mib(size(iso)), mib(size(cloud)))
	b.WriteString("| job | peak disk | output | wall time |\n|---|---|---|---|\n")
	for _, job := range diskJobs {
		if publishOnly {
			break
		}
		if len(jobs) > 0 && !slices.Contains(jobs, job) {
			continue
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
	if len(jobs) > 0 {
		fmt.Print(b.String())
		return
	}
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
	githubReleaseDisk(&b, dist, built)
	fmt.Print(b.String())
	must(os.WriteFile(filepath.Join(work, "disk.md"), []byte(b.String()), 0o644))
}

// diskJobs are the artifact jobs -release-disk measures, in order.
var diskJobs = []string{"linux-vm", "baremetal-iso", "wsl-bundle", "bundle"}

// pickDiskJobs reads -release-jobs (empty: every job), refusing a name it does not measure.
func pickDiskJobs(list string) []string {
	if list == "" {
		return nil
	}
	jobs := strings.Split(list, ",")
	for _, j := range jobs {
		if !slices.Contains(diskJobs, j) {
			log.Fatalf("-release-jobs: %q is not one of the measured jobs (%s)", j, strings.Join(diskJobs, ","))
		}
	}
	return jobs
}

// diskRelease is the release the jobs make: placeholder service digests
// (no images behind them: nothing to verify a signature of), no QA gate
// (--skip-qa: no images for a booted VM to run; the gate's own disk is its
// overlay, what the guest writes, on top).
func diskRelease(reg, commit string) []string {
	release := []string{"release", "--skip-qa", "--ref", "refs/tags/v0.6.0", "--sha", commit, "--commit-time", "2026-11-20T10:00:00Z",
		"--registry", reg, "--owner", "disk" + nonce, "--platform-version", "0.6.0", "--existing-tags", "v0.5.0",
		"with-service-digests"}
	for i, svc := range []string{"orchestrator", "inference", "auth", "context"} {
		release = append(release, "--digests", fmt.Sprintf("%s=sha256:%s", svc, strings.Repeat(fmt.Sprint(i+1), 64)))
	}
	release = append(release, "with-service-trust")
	for _, svc := range []string{"orchestrator", "inference", "auth", "context"} {
		release = append(release, "--unsigned", svc)
	}
	return release
}

// githubReleaseDisk measures the github-release job: dist and the jobs'
// files downloaded (copies here), laid out by release-assets.sh.
func githubReleaseDisk(b *strings.Builder, dist, built string) {
	gh, ghBuilt := filepath.Join(work, "gh-dist"), filepath.Join(work, "gh-built")
	os.RemoveAll(gh)
	os.RemoveAll(ghBuilt)
	start := time.Now()
	peak := peakDuring(work, func() {
		sh(fmt.Sprintf("cp -r %s %s && cp -r %s %s && bash %s/.github/scripts/release-assets.sh %s %s >/dev/null", dist, gh, built, ghBuilt, root, gh, ghBuilt))
	})
	fmt.Fprintf(b, "| github-release (release-assets.sh; no engine) | %s | %s | %.0fs |\n", mib(peak), mib(dirSize(gh)), time.Since(start).Seconds())
	os.RemoveAll(gh)
	os.RemoveAll(ghBuilt)
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

// pinMedia serves iso and cloud over HTTP where the engine's containers
// reach them (in the air-gapped engine's network namespace, on the shared
// registry's address) and points the module at a copy of images/ whose
// ubuntu.yaml pins them there (imagesDir, the module's --images). It returns
// what stops the server.
func pinMedia(iso, cloud string) func() {
	ns := os.Getenv("UNISON_AIRGAP_NETNS")
	if ns == "" {
		log.Fatal("-release-disk serves the media in the air-gapped engine's network: eval \"$(./airgap/airgap.sh env)\"")
	}
	host, _, err := net.SplitHostPort(os.Getenv("UNISON_SHARED_REGISTRY"))
	must(err)
	served, images := filepath.Join(work, "disk-media"), filepath.Join(work, "disk-images")
	must(os.RemoveAll(served))
	must(os.RemoveAll(images))
	must(os.MkdirAll(served, 0o755))
	must(os.Symlink(iso, filepath.Join(served, "live-server.iso")))
	must(os.Symlink(cloud, filepath.Join(served, "cloudimg.img")))
	must(os.CopyFS(images, os.DirFS(filepath.Join(root, "images"))))
	const port = "8766"
	url := "http://" + net.JoinHostPort(host, port)
	// the pins' URLs and SHA-256 replaced as `pins update` does (the rest of the file kept)
	yml := filepath.Join(images, "ubuntu.yaml")
	data, err := os.ReadFile(yml)
	must(err)
	for _, p := range []pins.Pin{{Name: "live_server_iso", URLs: []string{url + "/live-server.iso"}, SHA256: sha256File(iso)},
		{Name: "cloud_image", URLs: []string{url + "/cloudimg.img"}, SHA256: sha256File(cloud)}} {
		data, err = pins.Rewrite(data, p)
		must(err)
	}
	must(os.WriteFile(yml, data, 0o644))
	srv := exec.Command("nsenter", "--net="+ns, "python3", "-m", "http.server", port, "--bind", host, "--directory", served)
	srv.Stderr = io.Discard
	must(srv.Start())
	for i := 0; ; i++ {
		if exec.Command("nsenter", "--net="+ns, "curl", "-sfI", "-o", "/dev/null", url+"/cloudimg.img").Run() == nil {
			break
		}
		if i == 50 {
			log.Fatalf("the media server at %s did not answer", url)
		}
		time.Sleep(200 * time.Millisecond)
	}
	imagesDir = images
	return func() {
		imagesDir = ""
		srv.Process.Kill()
		srv.Wait()
	}
}

// sha256File is the SHA-256 of a file, hex.
func sha256File(path string) string {
	out, err := exec.Command("sha256sum", path).Output()
	must(err)
	return strings.Fields(string(out))[0]
}
