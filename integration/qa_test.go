package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// standinVM builds a linux-vm image from the stand-in cloud image. Its
// docker stand-in serves the platform's endpoints when the platform unit
// runs `docker compose up`; modes other than "ok" break them on purpose
// (/etc/unison-smoke-standin.conf, the only extra file).
func standinVM(t *testing.T, dir, base, mode string) string {
	out := filepath.Join(dir, "vm-"+strings.NewReplacer("=", "-", ",", "-").Replace(mode))
	args := []string{"build", "--version", "v1.2.3", "--platform-version", "0.6.0", "--commit-time", "2026-11-20T10:00:00Z",
		"with-admin", "--ssh-authorized-keys", testKey,
		"vm", "--base-image", base, "--disk-size", "4G"}
	if mode != "ok" {
		extra := filepath.Join(dir, "extra-"+filepath.Base(out))
		require.NoError(t, os.MkdirAll(filepath.Join(extra, "etc"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(extra, "etc", "unison-smoke-standin.conf"), []byte(mode+"\n"), 0o644))
		args = append(args, "--extra-files", extra)
	}
	mustCall(t, 20*time.Minute, append(args, "export", "--path", out)...)
	return filepath.Join(out, "unisonos-linux-vm-v1.2.3.qcow2")
}

func TestQaSmoke(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	base := filepath.Join(dir, "cloud.qcow2")
	probe := filepath.Join(dir, "probe")
	mustCall(t, 20*time.Minute, "standin-cloud-image", "export", "--path", base)
	mustCall(t, 10*time.Minute, "probe-boot", "export", "--path", probe)

	qaArgs := func(image, report string, extra ...string) []string {
		a := append([]string{"qa-smoke", "--image", image, "--boot-files", probe, "--boot-timeout", "300", "--health-timeout", "45"}, extra...)
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
		img := standinVM(t, dir, base, "ok")
		report := filepath.Join(dir, "report-ok")
		// default accelerator (auto): KVM when a probe boot with it works, else TCG
		r := daggerCall(t, 20*time.Minute, qaArgs(img, report)...)
		require.NoError(t, r.Err, tail(r.Stderr, 40))
		summary, junit := readReport(report)
		t.Log("\n" + summary)
		assert.Contains(t, summary, "qa-smoke: PASSED (11 checks, 0 failed)")
		for _, c := range []string{"boot", "ssh", "auth health", "context health", "inference health", "orchestrator health", "inference inference",
			"auth not exposed", "context not exposed", "inference not exposed", "orchestrator not exposed"} {
			assert.Contains(t, junit, `<testcase name="`+c+`"`)
		}
		assert.Contains(t, summary, "in the guest: GET 127.0.0.1:8088/health -> 200")
		assert.Contains(t, summary, "port 8088 does not answer from outside the VM")
		assert.Contains(t, junit, `failures="0"`)
		run := readFile(t, filepath.Join(report, "run.txt"))
		assert.Regexp(t, `accel (tcg \(auto: .+\)|kvm \(a probe boot with KVM worked\))`, run)
		// the serial console and what ran in the guest are in every report
		assert.Contains(t, readFile(t, filepath.Join(report, "serial.log")), "UNISON-FIRSTBOOT: done")
		assert.Contains(t, readFile(t, filepath.Join(report, "guest.log")), "unison-platform.service")
		// the gate passes too
		ok := daggerCall(t, 10*time.Minute, "qa-smoke", "--image", img, "--boot-files", probe, "--boot-timeout", "300", "--health-timeout", "45", "--accel", "tcg", "check")
		require.NoError(t, ok.Err)

		// --accel kvm: runs with KVM where the engine can give it, else a clear error before any boot
		k := daggerCall(t, 20*time.Minute, qaArgs(img, filepath.Join(dir, "report-kvm"), "--accel", "kvm")...)
		if strings.Contains(run, "accel kvm") {
			require.NoError(t, k.Err, tail(k.Stderr, 40))
			assert.Contains(t, readFile(t, filepath.Join(dir, "report-kvm", "run.txt")), "accel kvm")
		} else {
			require.Error(t, k.Err)
			assert.Contains(t, k.Stderr, "accel kvm: KVM is not available to the engine's containers")
			assert.Contains(t, k.Stderr, "use --accel auto")
		}
	})

	for _, tc := range []struct {
		mode    string
		failing []string
		extra   []string
	}{
		// one image, three broken services: a stopped one, one on every address, a bad inference answer
		{"exposed=context,down=auth,bad-inference", []string{
			"FAIL auth health", "no HTTP 200 within 45s",
			"FAIL context not exposed", "GET :8081/health from outside the VM -> 200: the service listens beyond 127.0.0.1",
			"FAIL inference inference", "want 200 and a response or result field"}, nil},
		{"hang", []string{"FAIL boot", "timeout: no 'UNISON-FIRSTBOOT: done' on the serial console within 60s"},
			[]string{"--kernel-args", "probe=hang console=ttyS0", "--boot-timeout", "60"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			mode := tc.mode
			if mode == "hang" {
				mode = "ok"
			}
			img := standinVM(t, dir, base, mode)
			report := filepath.Join(dir, "report-"+strings.NewReplacer("=", "-", ",", "-").Replace(tc.mode))
			args := qaArgs(img, report, "--accel", "tcg")
			if tc.extra != nil {
				args = append(append([]string{"qa-smoke", "--image", img, "--boot-files", probe, "--health-timeout", "45", "--accel", "tcg"}, tc.extra...), "report", "export", "--path", report)
			}
			r := daggerCall(t, 20*time.Minute, args...)
			require.NoError(t, r.Err, tail(r.Stderr, 40))
			summary, junit := readReport(report)
			t.Log("\n" + summary)
			assert.Contains(t, summary, "qa-smoke: FAILED")
			for _, f := range tc.failing {
				assert.Contains(t, summary, f)
			}
			assert.Contains(t, junit, "<failure message=")
			serial, err := os.ReadFile(filepath.Join(report, "serial.log"))
			require.NoError(t, err, "the serial log comes with a failure")
			assert.NotEmpty(t, serial)
			// and the gate fails (non-zero)
			gate := append([]string{}, args[:len(args)-4]...)
			g := daggerCall(t, 20*time.Minute, append(gate, "check")...)
			require.Error(t, g.Err)
			assert.Contains(t, g.Stderr, "qa-smoke failed")
			assert.Contains(t, g.Stderr, tc.failing[0])
		})
	}
}
