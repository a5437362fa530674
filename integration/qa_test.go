package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// standinVM builds a linux-vm image from the stand-in cloud image whose
// bundle runs the reference services of images (a copy of images/ naming
// the test registry); first boot installs Docker and Compose v2 from the
// archive and compose pulls them.
func standinVM(t *testing.T, dir, base, images string) string {
	out := filepath.Join(dir, "vm")
	mustCall(t, 20*time.Minute, "--images", images, "build", "--version", "v1.2.3", "--platform-version", "0.6.0", "--commit-time", "2026-11-20T10:00:00Z",
		"with-admin", "--ssh-authorized-keys", testKey,
		"vm", "--base-image", base, "--disk-size", "4G", "export", "--path", out)
	return filepath.Join(out, "unisonos-linux-vm-v1.2.3.qcow2")
}

// qa-smoke of the VM as it ships, online: real Docker and Compose v2 from
// the archive at first boot, the reference services pulled from the test
// registry, every check a user would make (health, an inference answer by
// the mounted model, compose's and Docker's own account of every container
// against the service contract, nothing listening beyond loopback but SSH,
// the platform back after a reboot), and a boot that never finishes.
func TestQaSmoke(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	reg := sharedRegistry(t)
	prefix, _ := referencePlatform(t)
	base := filepath.Join(dir, "cloud.qcow2")
	probe := filepath.Join(dir, "probe")
	mustCall(t, 20*time.Minute, "standin-cloud-image", "export", "--path", base)
	mustCall(t, 10*time.Minute, "probe-boot", "export", "--path", probe)
	img := standinVM(t, dir, base, imagesFor(t, prefix))

	// the lab registry serves plain HTTP: the QA seed lets the guest's Docker pull from it
	qaArgs := func(report string, extra ...string) []string {
		a := append([]string{"qa-smoke", "--image", img, "--boot-files", probe, "--insecure-registry", reg, "--health-timeout", "300"}, extra...)
		return append(a, "report", "export", "--path", report)
	}
	readReport := func(report string) (summary, junit string) {
		s, err := os.ReadFile(filepath.Join(report, "summary.txt"))
		require.NoError(t, err)
		j, err := os.ReadFile(filepath.Join(report, "junit.xml"))
		require.NoError(t, err)
		return string(s), string(j)
	}

	t.Run("passing", func(t *testing.T) {
		report := filepath.Join(dir, "report-ok")
		// default accelerator (auto): KVM when a probe boot with it works, else TCG
		r := daggerCall(t, 40*time.Minute, qaArgs(report)...)
		require.NoError(t, r.Err, tail(r.Stderr, 40))
		summary, junit := readReport(report)
		guest := readFile(t, filepath.Join(report, "guest.log"))
		t.Log("\n" + summary + "\n--- guest.log (tail)\n" + tail(guest, 30))
		assert.Regexp(t, `qa-smoke: PASSED \([0-9]+ checks, 0 failed\)`, summary)
		for _, c := range []string{"boot", "ssh", "auth health", "context health", "inference health", "orchestrator health", "inference inference",
			"auth not exposed", "context not exposed", "inference not exposed", "orchestrator not exposed",
			// what compose and Docker report, judged against the service contract
			"auth running healthy", "orchestrator running healthy", "inference not root", "context read-only root", "auth no capabilities",
			"orchestrator no new privileges", "inference loopback ports", "context bounded logs", "inference models /unison/models/models.json",
			"listeners", "reboot"} {
			assert.Contains(t, junit, `<testcase name="`+c+`"`)
		}
		assert.Contains(t, summary, "in the guest: GET 127.0.0.1:8088/health -> 200")
		assert.Contains(t, summary, "port 8088 does not answer from outside the VM")
		assert.Regexp(t, `answered by qwen2.5:[0-9.]+b of the models.json mounted in the inference container`, summary)
		assert.Contains(t, summary, "only SSH listens beyond loopback")
		assert.Contains(t, summary, "after a reboot: compose reports every container healthy again")
		assert.Contains(t, junit, `failures="0"`)
		run := readFile(t, filepath.Join(report, "run.txt"))
		assert.Regexp(t, `accel (tcg \(auto: .+\)|kvm \(a probe boot with KVM worked\))`, run)
		// the serial console and what ran in the guest are in every report: real Docker from the archive, compose up
		serial := readFile(t, filepath.Join(report, "serial.log"))
		assert.Contains(t, serial, "UNISON-FIRSTBOOT: installing docker.io docker-cli docker-compose apparmor")
		assert.Contains(t, serial, "UNISON-FIRSTBOOT: done")
		assert.Contains(t, guest, "unison-platform.service")
		assert.Regexp(t, `unison-platform-inference-1 +`+regexp.QuoteMeta(prefix)+`/unison-inference:v0.6.1 `, guest)
		// the gate passes too (the same run, from the engine's cache)
		ok := daggerCall(t, 10*time.Minute, "qa-smoke", "--image", img, "--boot-files", probe, "--insecure-registry", reg, "--health-timeout", "300", "check")
		require.NoError(t, ok.Err)

		// --accel kvm: runs with KVM where the engine can give it, else a clear error before any boot
		k := daggerCall(t, 40*time.Minute, qaArgs(filepath.Join(dir, "report-kvm"), "--accel", "kvm")...)
		if strings.Contains(run, "accel kvm") {
			require.NoError(t, k.Err, tail(k.Stderr, 40))
			assert.Contains(t, readFile(t, filepath.Join(dir, "report-kvm", "run.txt")), "accel kvm")
		} else {
			require.Error(t, k.Err)
			assert.Contains(t, k.Stderr, "accel kvm: KVM is not available to the engine's containers")
			assert.Contains(t, k.Stderr, "use --accel auto")
		}
		// a registry given as a URL is refused before any boot
		bad := daggerCall(t, 5*time.Minute, "qa-smoke", "--image", img, "--boot-files", probe, "--insecure-registry", "http://"+reg, "check")
		require.Error(t, bad.Err)
		assert.Contains(t, bad.Stderr, `insecure-registry "http://`+reg+`": want a registry host[:port] with no scheme or path`)
	})

	t.Run("hang", func(t *testing.T) {
		report := filepath.Join(dir, "report-hang")
		args := []string{"qa-smoke", "--image", img, "--boot-files", probe, "--health-timeout", "45", "--accel", "tcg",
			"--kernel-args", "probe=hang console=ttyS0", "--boot-timeout", "60"}
		r := daggerCall(t, 20*time.Minute, append(args, "report", "export", "--path", report)...)
		require.NoError(t, r.Err, tail(r.Stderr, 40))
		summary, junit := readReport(report)
		t.Log("\n" + summary)
		assert.Contains(t, summary, "qa-smoke: FAILED")
		assert.Contains(t, summary, "FAIL boot")
		assert.Contains(t, summary, "timeout: no 'UNISON-FIRSTBOOT: done' on the serial console within 60s")
		assert.Contains(t, junit, "<failure message=")
		serial, err := os.ReadFile(filepath.Join(report, "serial.log"))
		require.NoError(t, err, "the serial log comes with a failure")
		assert.Contains(t, string(serial), "PROBE-HANG")
		// the gate fails on it too (check: TestRelease's hung boot stops a release)
	})
}
