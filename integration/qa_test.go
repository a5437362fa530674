package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkPlatformReport reads a passing qa-smoke report of a VM disk as it
// ships, online: real Docker and Compose v2 from the archive at first boot,
// the reference services pulled from the test registry, every check a user
// would make (health, an inference answer by the mounted model, compose's
// and Docker's own account of every container against the service
// contract, nothing listening beyond loopback but SSH, the platform back
// after a reboot). inferenceImage is a regexp of the image compose runs.
func checkPlatformReport(t *testing.T, report, inferenceImage string) {
	t.Helper()
	summary := readFile(t, filepath.Join(report, "summary.txt"))
	junit := readFile(t, filepath.Join(report, "junit.xml"))
	guest := readFile(t, filepath.Join(report, "guest.log"))
	t.Log("\n" + summary + "\n--- guest.log (tail)\n" + tail(guest, 30))
	assert.Regexp(t, `qa-smoke: PASSED \([0-9]+ checks, 0 failed\)`, summary)
	for _, c := range []string{"boot", "ssh", "auth health", "context health", "inference health", "orchestrator health", "inference inference",
		"auth not exposed", "context not exposed", "inference not exposed", "orchestrator not exposed",
		// what compose and Docker report, judged against the service contract
		"auth running healthy", "orchestrator running healthy", "inference not root", "context read-only root", "auth no capabilities",
		"orchestrator no new privileges", "inference loopback ports", "context bounded logs", "inference models /unison/models/models.json",
		"listeners", "reboot", "first boot once", "firewall", "unattended upgrades"} {
		assert.Contains(t, junit, `<testcase name="`+c+`"`)
	}
	assert.Contains(t, summary, "in the guest: GET 127.0.0.1:8088/health -> 200")
	assert.Contains(t, summary, "port 8088 does not answer from outside the VM")
	assert.Regexp(t, `answered by qwen2.5:[0-9.]+b of the models.json mounted in the inference container`, summary)
	assert.Contains(t, summary, "only SSH listens beyond loopback")
	assert.Contains(t, summary, "after a reboot: compose reports every container healthy again")
	assert.Contains(t, summary, "after a reboot: the first-boot unit was skipped")
	// the seed's hardening in the guest: the firewall on, SSH its only way in; unattended upgrades on
	assert.Contains(t, summary, "firewall (ufw) active: incoming denied but SSH")
	assert.Contains(t, summary, "unattended upgrades on")
	assert.Contains(t, junit, `failures="0"`)
	// default accelerator (auto): KVM when a probe boot with it works, else TCG
	assert.Regexp(t, `accel (tcg \(auto: .+\)|kvm \(a probe boot with KVM worked\))`, readFile(t, filepath.Join(report, "run.txt")))
	// the serial console and what ran in the guest are in every report: real Docker from the archive, compose up
	serial := readFile(t, filepath.Join(report, "serial.log"))
	assert.Contains(t, serial, "UNISON-FIRSTBOOT: installing docker.io docker-cli docker-compose apparmor")
	assert.Contains(t, serial, "UNISON-FIRSTBOOT: done")
	assert.Contains(t, guest, "unison-platform.service")
	assert.Regexp(t, `unison-platform-inference-1 +`+inferenceImage+` `, guest)
}

// checkQaSmokeItself checks qa-smoke's own behaviour on a VM disk linux-vm
// built (img; qa-smoke reads the services to check from its bundle). The
// platform's boot checks run in TestRelease's QA gate, on the VM disk a
// release publishes (checkPlatformReport); here: a boot that never finishes
// fails with the serial log; --accel kvm runs with KVM or is refused before
// any boot; a registry given as a URL is refused.
func checkQaSmokeItself(t *testing.T, dir, img, probe string) {
	hang := []string{"qa", "vm", "--image", img, "--boot-files", probe, "--health-timeout", "45",
		"--kernel-args", "probe=hang console=ttyS0", "--boot-timeout", "30"}

	// the default accelerator (auto) falls back to TCG with the reason
	report := filepath.Join(dir, "report-hang")
	r := daggerCall(t, 20*time.Minute, append(hang, "report", "export", "--path", report)...)
	require.NoError(t, r.Err, tail(r.Stderr, 40))
	summary := readFile(t, filepath.Join(report, "summary.txt"))
	serial := readFile(t, filepath.Join(report, "serial.log"))
	run := readFile(t, filepath.Join(report, "run.txt"))
	t.Logf("\n%s\nrun.txt:\n%s\nserial.log (its end):\n%s", summary, run, tail(serial, 15))
	assert.Contains(t, summary, "qa-smoke: FAILED")
	assert.Contains(t, summary, "FAIL boot")
	assert.Regexp(t, `timeout: no 'UNISON-FIRSTBOOT: done' on the serial console within 30s`, summary)
	assert.Contains(t, readFile(t, filepath.Join(report, "junit.xml")), "<failure message=")
	// the serial log comes with a failure: the kernel's first line (how far a
	// slow TCG host gets in 30 s differs; the kernel's banner is its first line)
	assert.Contains(t, serial, "Linux version", "the serial log comes with a failure")
	assert.Regexp(t, `accel (tcg \(auto: .+\)|kvm \(a probe boot with KVM worked\))`, run)
	// (the gate fails on it too: TestRelease's hung boot stops a release)

	// --accel kvm: runs with KVM where the engine can give it, else a clear error before any boot
	k := daggerCall(t, 20*time.Minute, append(hang, "--accel", "kvm", "report", "export", "--path", filepath.Join(dir, "report-kvm"))...)
	if strings.Contains(run, "accel kvm") {
		require.NoError(t, k.Err, tail(k.Stderr, 40))
		assert.Contains(t, readFile(t, filepath.Join(dir, "report-kvm", "run.txt")), "accel kvm")
	} else {
		require.Error(t, k.Err)
		assert.Contains(t, k.Stderr, "accel kvm: KVM is not available to the engine's containers")
		assert.Contains(t, k.Stderr, "use --accel auto")
		assertNothingBuilt(t, k)
	}
	// a registry given as a URL is refused before any boot
	const reg = "10.0.0.5:5000"
	bad := daggerCall(t, 5*time.Minute, "qa", "vm", "--image", img, "--boot-files", probe, "--insecure-registry", "http://"+reg, "check")
	require.Error(t, bad.Err)
	assert.Contains(t, bad.Stderr, `insecure-registry "http://`+reg+`": want a registry host[:port] with no scheme or path`)
}
