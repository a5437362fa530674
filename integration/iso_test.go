package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl unison-test"

// testHash is a crypt(3) hash of no well-known password, for --password-hash.
const testHash = "$6$Qm4y7Zk1rT2pW9xL$3wV5n8mJ0kH2fG4dS6aQ8zX1cV3bN5mL7kJ9hG1fD3sA5pO7iU9yT1rE3wQ5zX7cV9bN1mL3kJ5hG7fD9sA1."

// verifier is an independent container with the tools a user would check an
// ISO with: xorriso, QEMU and OVMF (not the module's own tools container).
func verifier(c *dagger.Client) *dagger.Container {
	return c.Container().From(baseImage()).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends xorriso qemu-system-x86 ovmf qemu-utils e2fsprogs fdisk >/dev/null"})
}

const bootISO = `set -u
FW=$1; ISO=$2; LOG=/out/serial-$FW.log; mkdir -p /out
ARGS=""
if [ "$FW" = uefi ]; then
  cp /usr/share/OVMF/OVMF_VARS_4M.fd /out/vars.fd
  ARGS="-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=/out/vars.fd"
fi
timeout 240 qemu-system-x86_64 -accel tcg -machine pc -m 512 -smp 1 $ARGS -cdrom "$ISO" -boot d \
  -display none -monitor none -serial file:$LOG -no-reboot -net none
echo "qemu rc=$?" >> $LOG`

// elToritoNormalized is the El Torito report without the LBA column.
const elTorito = `xorriso -indev "$1" -report_el_torito plain 2>/dev/null | grep -E '^El Torito (boot img|img path|img opts|cat path)' | sed -E 's/[[:space:]]+[0-9]+[[:space:]]*$//; s/ +/ /g'`

func TestBaremetalIso(t *testing.T) {
	c, ctx := connect(t)
	dir := outDir(t)
	base := filepath.Join(dir, "base.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)

	// the chained form: one build identity, one admin identity, the ISO's own inputs
	isoArgs := func(out string, admin ...string) []string {
		a := []string{"build", "--version", "v1.2.3-beta.4", "--commit-time", "2026-11-20T10:00:00Z", "--commit", "0123456",
			"--platform-version", "0.6.0", "with-admin", "--ssh-authorized-keys", testKey}
		return append(append(a, admin...), "iso", "--base-iso", base, "--timezone", "Europe/Berlin", "export", "--path", out)
	}
	out1 := filepath.Join(dir, "out1")
	r1 := daggerCall(t, 20*time.Minute, isoArgs(out1)...)
	require.NoError(t, r1.Err, tail(r1.Stderr, 60))
	name := "unisonos-baremetal-v1.2.3-beta.4.iso"
	iso1 := filepath.Join(out1, name)
	sumFile, err := os.ReadFile(iso1 + ".sha256")
	require.NoError(t, err)
	assert.Equal(t, fileSHA(t, iso1)+"  "+name+"\n", string(sumFile), "the .sha256 matches the ISO")

	// identical inputs: no work, same bytes
	out2 := filepath.Join(dir, "out2")
	r2 := daggerCall(t, 10*time.Minute, isoArgs(out2)...)
	require.NoError(t, r2.Err)
	assert.Equal(t, fileSHA(t, iso1), fileSHA(t, filepath.Join(out2, name)))
	t.Logf("cache: first build %.1fs, identical rerun %.1fs", r1.Took.Seconds(), r2.Took.Seconds())
	// rebuilt with the cache defeated: the same bytes (reproducible, not replayed)
	outN := filepath.Join(dir, "out-nonce")
	rn := daggerCall(t, 20*time.Minute, append([]string{freshNonce()}, isoArgs(outN)...)...)
	require.NoError(t, rn.Err, tail(rn.Stderr, 40))
	assert.Equal(t, fileSHA(t, iso1), fileSHA(t, filepath.Join(outN, name)), "rebuilt: same bytes")
	t.Logf("rebuilt with the cache defeated: %.1fs", rn.Took.Seconds())

	// changing only the user-data (host name): only the remaster step runs again
	out3 := filepath.Join(dir, "out3")
	r3 := daggerCall(t, 10*time.Minute, isoArgs(out3, "--hostname", "unison-b")...)
	require.NoError(t, r3.Err)
	assert.NotEqual(t, fileSHA(t, iso1), fileSHA(t, filepath.Join(out3, name)))
	t.Logf("cache: user-data change %.1fs", r3.Took.Seconds())

	checkBuildFile(ctx, t, c, dir, base, name)

	v := verifier(c).
		WithMountedFile("/in/base.iso", c.Host().File(base)).
		WithMountedFile("/in/out.iso", c.Host().File(iso1))

	// El Torito boot entries are replayed from the base (LBAs aside)
	et, err := v.WithExec([]string{"sh", "-c", "set -e; f() { " + elTorito + "; }; f /in/base.iso > /b.txt; f /in/out.iso > /o.txt; cat /b.txt; echo ===; diff /b.txt /o.txt && echo SAME"}).Stdout(ctx)
	require.NoError(t, err)
	assert.Contains(t, et, "SAME", et)
	assert.Contains(t, et, "El Torito img path")

	checkIsoPayload(ctx, t, v)

	// boot it, BIOS and UEFI (side by side, one vCPU each): the kernel gets
	// the autoinstall arguments and reads the NoCloud user-data from the CD
	t.Run("boot", func(t *testing.T) {
		for _, fw := range []string{"bios", "uefi"} {
			t.Run(fw, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				log, err := v.WithExec([]string{"sh", "-c", bootISO, "boot", fw, "/in/out.iso"}).File("/out/serial-" + fw + ".log").Contents(ctx)
				require.NoError(t, err)
				t.Logf("%s boot %.1fs", fw, time.Since(start).Seconds())
				assert.Regexp(t, regexp.MustCompile(`PROBE-CMDLINE: BOOT_IMAGE=/casper/vmlinuz autoinstall ds=nocloud;s=/cdrom/nocloud/ --- console=ttyS0`), log)
				assert.Contains(t, log, "PROBE-USERDATA-BEGIN")
				assert.Contains(t, log, "#cloud-config")
				assert.Contains(t, log, testKey)
				assert.Contains(t, log, "allow-pw: false")
				assert.Contains(t, log, "PROBE-AUTOINSTALL-YAML-PRESENT")
				assert.Contains(t, log, "PROBE-NOCLOUD-FILE: unison-platform-bundle.tar.gz")
				assert.Contains(t, log, "qemu rc=0")
			})
		}
	})
}

// qa-smoke boots the ISO as far as its installer environment, BIOS and UEFI.
func TestQaSmokeIso(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	base := filepath.Join(dir, "base.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)
	out := filepath.Join(dir, "iso")
	// the door, as the README shows it: commit and commit time from the checkout, the
	// compatibility set from the version (0.6.0)
	keys := filepath.Join(dir, "id_ed25519.pub")
	require.NoError(t, os.WriteFile(keys, []byte("# the admin's keys\n"+testKey+"\n"), 0o644))
	mustCall(t, 20*time.Minute, "baremetal-iso", "--version", "v0.6.0-beta.4", "--base-iso", base,
		"--ssh-authorized-keys-file", keys, "export", "--path", out)
	iso := filepath.Join(out, "unisonos-baremetal-v0.6.0-beta.4.iso")
	report := filepath.Join(dir, "report")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", iso, "report", "export", "--path", report)
	summary, err := os.ReadFile(filepath.Join(report, "summary.txt"))
	require.NoError(t, err)
	t.Log("\n" + string(summary))
	assert.Contains(t, string(summary), "qa-smoke-iso: PASSED (9 checks, 0 failed)")
	assert.Contains(t, string(summary), "uefi: autoinstall ds=nocloud;s=/cdrom/nocloud/")
	// the remastered ISO keeps the signed chain (shim, GRUB, kernel): it boots with Secure Boot enforced
	assert.Contains(t, string(summary), "uefi-sb: autoinstall ds=nocloud;s=/cdrom/nocloud/")
	assert.Contains(t, string(summary), "uefi-sb: Secure Boot enforced")
	// the installer's own kernel and initrd, booted directly with console=ttyS0 (how real media reach the serial console)
	assert.Contains(t, string(summary), "kernel: autoinstall ds=nocloud;s=/cdrom/nocloud/")
	assert.Contains(t, string(summary), "kernel: #cloud-config")

	// the base ISO has no autoinstall: the same check fails, with the serial logs
	bad := filepath.Join(dir, "report-base")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", base, "--boot-timeout", "120", "report", "export", "--path", bad)
	summary, err = os.ReadFile(filepath.Join(bad, "summary.txt"))
	require.NoError(t, err)
	// (its signed chain boots: the Secure Boot line alone passes)
	assert.Contains(t, string(summary), "qa-smoke-iso: FAILED (9 checks, 8 failed)")
	_, err = os.Stat(filepath.Join(bad, "serial-kernel.log"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(bad, "serial-uefi.log"))
	require.NoError(t, err)
	// (check on a failed report, the same QaReport.check: the late-commands contract below)

	// a failed run is never replayed: the same call boots again; a passing one may be served from the cache
	again := filepath.Join(dir, "report-base-again")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", base, "--boot-timeout", "120", "report", "export", "--path", again)
	assert.NotEqual(t, readFile(t, filepath.Join(bad, "run.txt")), readFile(t, filepath.Join(again, "run.txt")), "the failed run was replayed")
	passAgain := filepath.Join(dir, "report-again")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", iso, "report", "export", "--path", passAgain)
	assert.Equal(t, readFile(t, filepath.Join(report, "run.txt")), readFile(t, filepath.Join(passAgain, "run.txt")), "a passing run may come from the cache")

	t.Run("secure boot refuses a broken signature", func(t *testing.T) { brokenSignature(t, dir, base) })
	t.Run("late-commands", func(t *testing.T) { lateCommandsContract(t, dir, iso) })
}

// An ISO whose shim no longer matches its signatures (a byte of its DOS stub
// changed) still boots UEFI without Secure Boot, and not with it: the
// uefi-sb rows fail.
func brokenSignature(t *testing.T, dir, base string) {
	c, ctx := connect(t)
	broken := filepath.Join(dir, "broken-sig.iso")
	_, err := verifier(c).WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends mtools jq >/dev/null"}).
		WithMountedFile("/in/base.iso", c.Host().File(base)).
		WithExec([]string{"sh", "-c", `set -eu
cp /in/base.iso /w.iso
# the EFI system partition appended to the ISO (GPT), where El Torito's UEFI entry points
start=$(sfdisk -J /w.iso | jq '.partitiontable.partitions[] | select(.type == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B") | .start')
off=$((start * 512))
mcopy -i "/w.iso@@$off" ::/EFI/BOOT/BOOTX64.EFI /shim.efi
# a byte of the DOS stub's message: covered by the Authenticode hash (shim
# carries two signatures, both break), never run by UEFI firmware
grep -q "This program cannot be run in DOS mode" /shim.efi
b=$(od -An -tu1 -j100 -N1 /shim.efi | tr -d ' ')
printf "\\$(printf %o $((b ^ 255)))" | dd of=/shim.efi bs=1 seek=100 conv=notrunc 2>/dev/null
mcopy -o -i "/w.iso@@$off" /shim.efi ::/EFI/BOOT/BOOTX64.EFI
! cmp -s /in/base.iso /w.iso`}).File("/w.iso").Export(ctx, broken)
	require.NoError(t, err)
	report := filepath.Join(dir, "report-broken-sig")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", broken, "--markers", "PROBE-CMDLINE", "--boot-timeout", "60", "report", "export", "--path", report)
	summary := readFile(t, filepath.Join(report, "summary.txt"))
	t.Log("\n" + summary)
	assert.Contains(t, summary, "qa-smoke-iso: FAILED (5 checks, 2 failed)")
	assert.Regexp(t, `ok +uefi: PROBE-CMDLINE`, summary)
	assert.Regexp(t, `FAIL +uefi-sb: PROBE-CMDLINE`, summary)
	assert.Regexp(t, `FAIL +uefi-sb: Secure Boot enforced`, summary)
}

// The autoinstall late-commands of the built ISO run for real (chrooted into
// the stand-in cloud image's root as /target, the ISO's /nocloud as
// /cdrom/nocloud) and leave what they must; a broken command fails the run
// at that command.
func lateCommandsContract(t *testing.T, dir, iso string) {
	// the installed system as subiquity leaves it: Docker from the autoinstall's packages
	target := filepath.Join(dir, "cloud-docker.qcow2")
	mustCall(t, 20*time.Minute, "lab", "standin-cloud-image", "--docker", "export", "--path", target)
	summary := passLateCommands(t, iso, target, filepath.Join(dir, "late"), "bundle installed", "platform unit", "platform.env", "docker enabled", "firewall", "unattended upgrades", "ssh keys only")
	assert.Contains(t, summary, "curtin in-target --target=/target -- ufw allow OpenSSH")

	// the same user-data with the bundle's file name broken: the install stops there
	ud := filepath.Join(dir, "user-data-broken")
	orig := extractUserData(t, iso)
	require.Contains(t, orig, "tar -xzf /cdrom/nocloud/unison-platform-bundle.tar.gz")
	require.NoError(t, os.WriteFile(ud, []byte(strings.Replace(orig, "unison-platform-bundle.tar.gz", "missing-bundle.tar.gz", 1)), 0o644))
	broken := filepath.Join(dir, "late-broken")
	mustCall(t, 20*time.Minute, "qa", "late-commands", "--iso", iso, "--target-image", target, "--user-data", ud, "report", "export", "--path", broken)
	summary = readFile(t, filepath.Join(broken, "summary.txt"))
	t.Log("\n" + summary)
	assert.Contains(t, summary, "qa-late-commands: FAILED")
	assert.Regexp(t, `FAIL late-command 2 .*exit 2: tar -xzf /cdrom/nocloud/missing-bundle.tar.gz`, summary)
	assert.Regexp(t, `FAIL late-command 3 .*not run: an earlier late-command failed`, summary)
	assert.Regexp(t, `FAIL bundle installed`, summary)
	assert.Contains(t, readFile(t, filepath.Join(broken, "late-commands.log")), "missing-bundle.tar.gz")
	g := daggerCall(t, 10*time.Minute, "qa", "late-commands", "--iso", iso, "--target-image", target, "--user-data", ud, "check")
	require.Error(t, g.Err)
	assert.Contains(t, g.Stderr, "late-command 2")

	// every command succeeds but one is missing: the check for what it did fails
	noFirewall := filepath.Join(dir, "user-data-no-firewall")
	line := "    - sed -i 's/^ENABLED=.*/ENABLED=yes/' /target/etc/ufw/ufw.conf\n"
	require.Contains(t, orig, line)
	require.NoError(t, os.WriteFile(noFirewall, []byte(strings.Replace(orig, line, "", 1)), 0o644))
	r := daggerCall(t, 10*time.Minute, "qa", "late-commands", "--iso", iso, "--target-image", target, "--user-data", noFirewall, "check")
	require.Error(t, r.Err)
	assert.Regexp(t, `FAIL firewall +.*not so: ufw enabled at boot`, r.Stderr)
	assert.NotContains(t, r.Stderr, "FAIL late-command")
}

// passLateCommands runs qa-late-commands of iso against the root of target
// with its report in dir, and returns the summary: the run must pass with
// each named check ok.
func passLateCommands(t *testing.T, iso, target, dir string, checks ...string) string {
	t.Helper()
	mustCall(t, 30*time.Minute, "qa", "late-commands", "--iso", iso, "--target-image", target, "report", "export", "--path", dir)
	summary := readFile(t, filepath.Join(dir, "summary.txt"))
	t.Log("\n" + summary)
	assert.Contains(t, summary, "qa-late-commands: PASSED")
	for _, c := range checks {
		assert.Regexp(t, `ok +`+c+` `, summary)
	}
	return summary
}

func TestBaremetalIsoRejects(t *testing.T) {
	c, ctx := connect(t)
	dir := outDir(t)
	base := filepath.Join(dir, "base.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)
	baseSHA := fileSHA(t, base)

	// a tampered base ISO (one byte changed) is refused before any work
	data, err := os.ReadFile(base)
	require.NoError(t, err)
	data[len(data)/2] ^= 0xff
	tampered := filepath.Join(dir, "tampered.iso")
	require.NoError(t, os.WriteFile(tampered, data, 0o644))

	// a base whose grub.cfg has no kernel line
	noKernel := filepath.Join(dir, "nokernel.iso")
	_, err = verifier(c).WithMountedFile("/in/base.iso", c.Host().File(base)).
		WithNewFile("/in/grub.cfg", "set timeout=1\nmenuentry 'x' {\n\tlinux16 /boot/memtest.bin\n}\n").
		WithExec([]string{"sh", "-c", "xorriso -indev /in/base.iso -outdev /nk.iso -map /in/grub.cfg /boot/grub/grub.cfg -boot_image any replay >/dev/null 2>&1"}).
		File("/nk.iso").Export(ctx, noKernel)
	require.NoError(t, err)

	// config writes a build file named unison.yaml in a directory of its own
	n := 0
	config := func(text string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("config-%d", n), "unison.yaml")
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
		return p
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"tampered base", []string{"--version", "v0.6.0-beta.4", "--base-iso", tampered, "--base-iso-sha256", baseSHA, "--ssh-authorized-keys", testKey},
			"SHA-256 mismatch: expected " + baseSHA + ", got "},
		{"over-long version", []string{"--version", "v0.5.0-alpha.1-12-gabcdef0", "--base-iso", base, "--ssh-authorized-keys", testKey},
			"over the ISO 9660 limit of 32"},
		{"stable without SSH key", []string{"--version", "v1.0.0", "--base-iso", base, "--password-hash", "env:UNISON_TEST_HASH"},
			"stable releases require at least one SSH key"},
		{"plain password", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--password-hash", "env:UNISON_TEST_PLAIN", "--ssh-authorized-keys", testKey},
			"never a plain password"},
		{"the example hash of Ubuntu's documentation (password ubuntu)", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--password-hash", "env:UNISON_TEST_DOCS_HASH", "--ssh-authorized-keys", testKey},
			"password-hash: is the hash of a well-known weak password"},
		{"the weak hash behind a blank line (the check and the ISO read the same bytes)", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--password-hash", "env:UNISON_TEST_DOCS_HASH_PADDED", "--ssh-authorized-keys", testKey},
			"password-hash: white space or a second line around the hash"},
		{"sha256crypt hash", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--password-hash", "env:UNISON_TEST_SHA256_HASH", "--ssh-authorized-keys", testKey},
			"weaker method ($1$, $5$)"},
		{"system account as admin", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--admin-user", "www-data", "--ssh-authorized-keys", testKey},
			`admin-user: "www-data" is a system account or reserved name`},
		{"apt remove suffix (build file)", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--ssh-authorized-keys", testKey, "--config", config("packages: [htop, apparmor-]\n")},
			`unison.yaml:1: packages: "apparmor-" is not a Debian package name as apt takes it literally`},
		{"package Ubuntu does not ship (build file)", []string{"--version", "v0.6.0-rc.1", "--base-iso", base, "--ssh-authorized-keys", testKey, "--config", config("locale: en_US.UTF-8\npackages:\n  - docker-compose-plugin\n")},
			`unison.yaml:2: packages: "docker-compose-plugin" is not in Ubuntu's archive: use docker-compose-v2`},
		{"mistyped build file key", []string{"--base-iso", base, "--config", config("version: v0.6.0-rc.1\nadmin:\n  hostnme: edge-01\n")},
			`unison.yaml:3: admin.hostnme: unknown key; did you mean "hostname"?`},
		{"password in the build file", []string{"--base-iso", base, "--config", config("admin:\n  password: hunter2\n")},
			`unison.yaml:2: admin.password: a password never goes in a build file`},
		{"public build file with an admin flag", []string{"--base-iso", base, "--ssh-authorized-keys", testKey, "--config", config("version: v0.6.0-rc.1\npublic: true\n")},
			`unison.yaml:2: public: true conflicts with the admin flags`},
		{"grub.cfg without kernel lines", []string{"--version", "v0.6.0-beta.4", "--base-iso", noKernel, "--ssh-authorized-keys", testKey},
			"no `linux` kernel line found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Setenv("UNISON_TEST_HASH", testHash)
			os.Setenv("UNISON_TEST_PLAIN", "unison")
			os.Setenv("UNISON_TEST_DOCS_HASH", "$6$exDY1mhS4KUYCE/2$zmn9ToZwTKLhCw.b4/b.ZRTIZM30JZ4QrOQ2aOXJ8yk96xpcCof0kxKwuX1kqLG/ygbJ1f8wxED22bTL4F46P0")
			os.Setenv("UNISON_TEST_DOCS_HASH_PADDED", "\n  $6$exDY1mhS4KUYCE/2$zmn9ToZwTKLhCw.b4/b.ZRTIZM30JZ4QrOQ2aOXJ8yk96xpcCof0kxKwuX1kqLG/ygbJ1f8wxED22bTL4F46P0\n")
			os.Setenv("UNISON_TEST_SHA256_HASH", "$5$saltsaltsalt$Vk1ZC3ocZ6l0lXkL2pA4Cz8R3mR8s6nJ3OjBqv8wbG5")
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			r := daggerCall(t, 10*time.Minute, append(append([]string{"baremetal-iso"}, tc.args...), "export", "--path", out)...)
			require.Error(t, r.Err)
			assert.Contains(t, r.Stderr, tc.want)
			_, statErr := os.Stat(out)
			assert.True(t, os.IsNotExist(statErr), "no half-written output at %s", out)
		})
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// extractUserData reads /nocloud/user-data back from an ISO with xorriso.
func extractUserData(t *testing.T, iso string) string {
	c, ctx := connect(t)
	out, err := verifier(c).WithMountedFile("/in/out.iso", c.Host().File(iso)).
		WithExec([]string{"sh", "-c", "xorriso -osirrox on -indev /in/out.iso -extract /nocloud/user-data /ud >/dev/null 2>&1 && cat /ud"}).Stdout(ctx)
	require.NoError(t, err)
	return out
}

// checkBuildFile: a build file (unison.yaml) read alike by the door and the
// chain (the same bytes), its values in the ISO's user-data, a flag
// overriding one of them.
func checkBuildFile(ctx context.Context, t *testing.T, c *dagger.Client, dir, base, name string) {
	cfg := filepath.Join(dir, "cfg", "unison.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfg), 0o755))
	require.NoError(t, os.WriteFile(cfg, []byte("version: v1.2.3-beta.4\nplatform-version: 0.6.0\nadmin:\n  hostname: edge-01\n  ssh-authorized-keys:\n    - "+testKey+
		"\nlocale: de_DE.UTF-8\nkeyboard: de\ntimezone: Europe/Berlin\npackages: [htop]\nkernel-arguments: [iommu=pt]\n"), 0o644))
	id := []string{"--commit-time", "2026-11-20T10:00:00Z", "--commit", "0123456", "--config", cfg}
	outDoor, outChain := filepath.Join(dir, "out-config-door"), filepath.Join(dir, "out-config-chain")
	mustCall(t, 10*time.Minute, append(append([]string{"baremetal-iso"}, id...), "--hostname", "edge-02", "--base-iso", base, "export", "--path", outDoor)...)
	mustCall(t, 10*time.Minute, append(append([]string{"build"}, id...), "with-admin", "--hostname", "edge-02", "iso", "--base-iso", base, "export", "--path", outChain)...)
	assert.Equal(t, fileSHA(t, filepath.Join(outDoor, name)), fileSHA(t, filepath.Join(outChain, name)), "door and chain: same bytes from one build file")
	ud, err := verifier(c).WithMountedFile("/in/out.iso", c.Host().File(filepath.Join(outDoor, name))).
		WithExec([]string{"sh", "-c", "xorriso -osirrox on -indev /in/out.iso -extract /nocloud/user-data /ud >/dev/null 2>&1; cat /ud"}).Stdout(ctx)
	require.NoError(t, err)
	for _, want := range []string{`locale: "de_DE.UTF-8"`, `layout: "de"`, `timezone: "Europe/Berlin"`, `hostname: "edge-02"`, `- "htop"`, testKey,
		`'iommu=pt' > /target/etc/default/grub.d/90-unisonos-kernel.cfg`} {
		assert.Contains(t, ud, want, "from the build file (host name: the flag's)")
	}
	assert.NotContains(t, ud, "edge-01", "the flag overrides the file's host name")
}

// checkIsoPayload reads the payload back from the built ISO (v mounts it at
// /in/out.iso): GRUB entries, /nocloud, the volume ID, dates from the commit.
func checkIsoPayload(ctx context.Context, t *testing.T, v *dagger.Container) {
	files, err := v.WithExec([]string{"sh", "-c", `set -e; mkdir /x
xorriso -osirrox on -indev /in/out.iso -extract /boot/grub/grub.cfg /x/grub.cfg -extract /boot/grub/loopback.cfg /x/loopback.cfg \
  -extract /nocloud /x/nocloud -extract /autoinstall.yaml /x/autoinstall.yaml >/dev/null 2>&1
grep -c 'autoinstall "ds=nocloud;s=/cdrom/nocloud/" ---' /x/grub.cfg /x/loopback.cfg
grep '^menuentry' /x/grub.cfg
ls /x/nocloud
xorriso -indev /in/out.iso -pvd_info 2>/dev/null | grep -E '^Volume Id'
xorriso -indev /in/out.iso -lsdl /nocloud/user-data 2>/dev/null | grep user-data
tar -tzf /x/nocloud/unison-platform-bundle.tar.gz | grep install-docker.sh
cat /x/nocloud/meta-data
grep 'timezone:' /x/nocloud/user-data`}).Stdout(ctx)
	require.NoError(t, err)
	// the default entry installs unattended; the second one asks before touching disks
	assert.Contains(t, files, "/x/grub.cfg:1")
	assert.Contains(t, files, "/x/loopback.cfg:1")
	assert.Contains(t, files, `timezone: "Europe/Berlin"`, "the ISO's own option reached the user-data")
	assert.Contains(t, files, `menuentry "Install UnisonOS (unattended: ERASES the largest disk)"`)
	assert.Contains(t, files, `menuentry "Install UnisonOS (asks before touching disks)"`)
	for _, f := range []string{"meta-data", "models.json", "unison-platform-bundle.tar.gz", "user-data"} {
		assert.Contains(t, files, f+"\n")
	}
	assert.Contains(t, files, "Volume Id    : UnisonOS v1.2.3-beta.4 amd64")
	assert.Regexp(t, `Nov 20 10:00 '?/nocloud/user-data`, files, "file dates come from the commit time")
	assert.Contains(t, files, "unison-platform/installer/install-docker.sh")
	assert.Contains(t, files, "instance-id: unisonos-v1.2.3-beta.4")
}
