package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/qa"
)

// QaReport is the outcome of a qa-smoke run.
type QaReport struct {
	// Whether every check passed.
	Passed bool
	// Human summary, one line per check.
	Summary string
	// The report: junit.xml, summary.txt, results.tsv, and serial.log when a check failed.
	Report *dagger.Directory
}

// Fails with the summary when a check failed (use it to gate a pipeline).
func (r *QaReport) Check() (string, error) {
	if !r.Passed {
		return "", fmt.Errorf("qa-smoke failed:\n%s", r.Summary)
	}
	return r.Summary, nil
}

const qaRunner = `set -u
mkdir -p /report /w; : > /report/results.tsv; : > /report/serial.log
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
ACCEL=tcg
if [ "$ACCEL_MODE" = kvm ] || { [ "$ACCEL_MODE" = auto ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; }; then ACCEL=kvm; fi
FWD=""; for p in $PORTS; do FWD="$FWD,hostfwd=tcp:127.0.0.1:$p-:$p"; done
set -- -accel "$ACCEL" -machine pc -m "$MEMORY" -smp 2 \
  -drive file=/in/image.qcow2,if=virtio,format=qcow2,snapshot=on \
  -netdev "user,id=n0$FWD" -device virtio-net-pci,netdev=n0 \
  -display none -monitor none -serial file:/report/serial.log -no-reboot
if [ -f /boot-files/vmlinuz ]; then set -- "$@" -kernel /boot-files/vmlinuz -initrd /boot-files/initrd.gz -append "$KERNEL_ARGS"; fi
echo "qa-smoke: qemu $ACCEL, ports $PORTS"
T0=$(now)
qemu-system-x86_64 "$@" > /w/qemu.log 2>&1 &
QPID=$!
booted=0; end=$(( $(date +%s) + BOOT_TIMEOUT ))
while [ "$(date +%s)" -lt "$end" ]; do
  if grep -qF "$READY_MARKER" /report/serial.log; then booted=1; break; fi
  kill -0 $QPID 2>/dev/null || break
  sleep 1
done
if [ $booted = 1 ]; then
  record boot pass "$(since "$T0")" "serial marker after $(since "$T0")s ($ACCEL)"
elif ! kill -0 $QPID 2>/dev/null; then
  record boot fail "$(since "$T0")" "the VM stopped before printing '$READY_MARKER' ($(tail -1 /w/qemu.log))"
else
  record boot fail "$(since "$T0")" "timeout: no '$READY_MARKER' on the serial console within ${BOOT_TIMEOUT}s"
fi
hend=$(( $(date +%s) + HEALTH_TIMEOUT ))
while IFS="$(printf '\t')" read -r kind port path name; do
  [ -n "$kind" ] || continue
  T1=$(now)
  if [ $booted != 1 ]; then record "$name" fail 0 "not run: the VM did not boot"; continue; fi
  if [ "$kind" = health ]; then
    code=000
    while :; do
      code=$(curl -s -m 5 -o /w/body -w '%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null); code=${code:-000}
      [ "$code" = 200 ] && break
      [ "$(date +%s)" -ge "$hend" ] && break
      sleep 2
    done
    if [ "$code" = 200 ]; then record "$name" pass "$(since "$T1")" "GET :$port$path -> 200"
    else record "$name" fail "$(since "$T1")" "GET :$port$path -> $code, no HTTP 200 within ${HEALTH_TIMEOUT}s (service down?)"; fi
  else
    code=$(curl -s -m 60 -o /w/body -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
      -d '{"prompt":"Say hello.","max_tokens":8}' "http://127.0.0.1:$port$path" 2>/dev/null); code=${code:-000}
    body=$(head -c 200 /w/body 2>/dev/null | tr '\n\t' '  ')
    if [ "$code" = 200 ] && jq -e 'type == "object" and (has("response") or has("result"))' /w/body >/dev/null 2>&1; then
      record "$name" pass "$(since "$T1")" "POST :$port$path -> 200 with a response"
    else
      record "$name" fail "$(since "$T1")" "POST :$port$path -> $code, want 200 and a response or result field; body: $body"
    fi
  fi
done < /in/plan.tsv
kill $QPID 2>/dev/null; wait $QPID 2>/dev/null
exit 0`

// Boots a built VM image in QEMU (KVM when usable, else TCG) with user-mode
// networking and port forwards, waits for the serial-console ready marker,
// then checks the health endpoint of every service and the inference
// endpoint (POST, HTTP 200 with a response or result field), all with
// bounded timeouts. The services, ports and endpoints come from the bundle's
// services.json in the image. Returns a report; `qa-smoke ... check` fails
// when a check failed.
func (m *UnisonPlatform) QaSmoke(
	ctx context.Context,
	// The VM disk (qcow2), e.g. from linux-vm.
	// +optional
	image *dagger.File,
	// An installer ISO (e.g. from baremetal-iso) to boot instead, BIOS and UEFI, as far as its installer environment: checks --iso-markers on the serial console.
	// +optional
	iso *dagger.File,
	// Serial console texts an ISO boot must show (default: the autoinstall kernel arguments and the NoCloud user-data; the stand-in ISO prints both).
	// +optional
	// +default=["autoinstall ds=nocloud;s=/cdrom/nocloud/", "#cloud-config"]
	isoMarkers []string,
	// Kernel and initrd to boot with (vmlinuz, initrd.gz), for images without a bootloader such as the stand-ins; default: the disk's own bootloader.
	// +optional
	bootFiles *dagger.Directory,
	// Kernel command line (with --boot-files).
	// +optional
	// +default="probe=disk console=ttyS0"
	kernelArgs string,
	// Serial console text that marks a finished boot.
	// +optional
	// +default="UNISON-FIRSTBOOT: done"
	readyMarker string,
	// Seconds to wait for the ready marker.
	// +optional
	// +default=600
	bootTimeout int,
	// Seconds to wait for the health endpoints after boot.
	// +optional
	// +default=180
	healthTimeout int,
	// Guest memory in MiB.
	// +optional
	// +default=2048
	memory int,
	// Accelerator: auto (KVM when /dev/kvm is usable, else TCG), kvm or tcg.
	// +optional
	// +default="auto"
	accel string,
	// services.json to check against; default: the one of the bundle in the image.
	// +optional
	services *dagger.File,
) (*QaReport, error) {
	if accel != "auto" && accel != "kvm" && accel != "tcg" {
		return nil, fmt.Errorf("accel %q: want auto, kvm or tcg", accel)
	}
	if bootTimeout < 1 || healthTimeout < 1 || memory < 256 {
		return nil, fmt.Errorf("boot-timeout and health-timeout must be positive, memory at least 256")
	}
	if (image == nil) == (iso == nil) {
		return nil, fmt.Errorf("image/iso: give exactly one: --image disk.qcow2 or --iso installer.iso")
	}
	if iso != nil {
		return m.qaISO(ctx, iso, isoMarkers, bootTimeout, memory)
	}
	if services == nil {
		root, sector, err := m.rootPartition(ctx, image)
		if err != nil {
			return nil, fmt.Errorf("image: %w", err)
		}
		services = m.tools().WithMountedFile("/in/image.qcow2", image).
			WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector)).
			WithExec([]string{"sh", "-c", `set -e
qemu-img convert -O raw /in/image.qcow2 /w.raw
debugfs -R 'cat /opt/unison-platform/services.json' "/w.raw?offset=$OFFSET" > /services.json 2>/dev/null
rm -f /w.raw
[ -s /services.json ] || { echo "image: no /opt/unison-platform/services.json (not built by linux-vm?); pass --services" >&2; exit 1; }`}).
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
	run := m.tools().
		WithMountedFile("/in/image.qcow2", image).
		WithNewFile("/in/plan.tsv", qa.PlanTSV(checks)).
		WithEnvVariable("PORTS", strings.Join(ports, " ")).
		WithEnvVariable("KERNEL_ARGS", kernelArgs).
		WithEnvVariable("READY_MARKER", readyMarker).
		WithEnvVariable("BOOT_TIMEOUT", fmt.Sprint(bootTimeout)).
		WithEnvVariable("HEALTH_TIMEOUT", fmt.Sprint(healthTimeout)).
		WithEnvVariable("MEMORY", fmt.Sprint(memory)).
		WithEnvVariable("ACCEL_MODE", accel)
	if bootFiles != nil {
		run = run.WithMountedDirectory("/boot-files", bootFiles)
	}
	run = run.WithExec([]string{"bash", "-c", qaRunner})
	return qaReport(ctx, "qa-smoke", run, "serial.log")
}

// qaReport reads the runner's results and builds the report; the serial
// logs are attached when a check failed.
func qaReport(ctx context.Context, suite string, run *dagger.Container, logs ...string) (*QaReport, error) {
	raw, err := run.File("/report/results.tsv").Contents(ctx)
	if err != nil {
		return nil, err
	}
	results, err := qa.ParseResults(raw)
	if err != nil {
		return nil, err
	}
	passed := qa.Passed(results)
	summary := qa.Summary(suite, results)
	report := dag.Directory().
		WithNewFile("junit.xml", string(qa.JUnit(suite, results))).
		WithNewFile("summary.txt", summary).
		WithNewFile("results.tsv", raw)
	if !passed {
		for _, l := range logs {
			report = report.WithFile(l, run.File("/report/"+l))
		}
	}
	return &QaReport{Passed: passed, Summary: summary, Report: report}, nil
}

const qaISORunner = `set -u
mkdir -p /report /w; : > /report/results.tsv
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> /report/results.tsv; }
for fw in bios uefi; do
  LOG=/report/serial-$fw.log; : > "$LOG"
  set -- -accel tcg -machine pc -m "$MEMORY" -smp 1 -cdrom /in/installer.iso -boot d \
    -display none -monitor none -serial "file:$LOG" -no-reboot -net none
  if [ $fw = uefi ]; then
    cp /usr/share/OVMF/OVMF_VARS_4M.fd /w/vars.fd
    set -- "$@" -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=/w/vars.fd
  fi
  T0=$(now)
  timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "$@" > /w/qemu-$fw.log 2>&1
  rc=$?
  while IFS= read -r marker; do
    [ -n "$marker" ] || continue
    if grep -qF -- "$marker" "$LOG"; then record "$fw: $marker" pass "$(since "$T0")" "seen on the serial console"
    elif [ $rc = 124 ]; then record "$fw: $marker" fail "$(since "$T0")" "timeout after ${BOOT_TIMEOUT}s without it on the serial console"
    else record "$fw: $marker" fail "$(since "$T0")" "not on the serial console (qemu exit $rc)"; fi
  done < /in/markers.txt
done
exit 0`

func (m *UnisonPlatform) qaISO(ctx context.Context, iso *dagger.File, markers []string, bootTimeout, memory int) (*QaReport, error) {
	if len(markers) == 0 {
		return nil, fmt.Errorf("iso-markers: give at least one serial console text to wait for")
	}
	run := m.tools().
		WithMountedFile("/in/installer.iso", iso).
		WithNewFile("/in/markers.txt", strings.Join(markers, "\n")+"\n").
		WithEnvVariable("BOOT_TIMEOUT", fmt.Sprint(bootTimeout)).
		WithEnvVariable("MEMORY", fmt.Sprint(memory)).
		WithExec([]string{"bash", "-c", qaISORunner})
	return qaReport(ctx, "qa-smoke-iso", run, "serial-bios.log", "serial-uefi.log")
}
