package integration

import (
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

// repoFile is a file of the repository as a Dagger file (mode 0755).
func repoFile(t *testing.T, c *dagger.Client, rel string) *dagger.File {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), rel))
	require.NoError(t, err)
	return c.Directory().WithNewFile("f", string(b), dagger.DirectoryWithNewFileOpts{Permissions: 0o755}).File("f")
}

// The KVM probe (ci/scripts/kvm-probe.sh, what qa-smoke --accel auto runs)
// answers on every host, run by dash with the insecure root capability as
// qa.go runs it: TCG with the reason for no device, a path that is no
// device, a device that cannot be opened (a character device this user
// may not open), a boot that
// hangs, a QEMU that crashes, fails or cannot be run; KVM when the kernel
// prints its first line. Each case ends with exit 0 and one line.
func TestKvmProbe(t *testing.T) {
	c, ctx := connect(t)
	base := c.Container().From(baseImage()).
		WithMountedFile("/tmp/kvm-probe.sh", repoFile(t, c, "ci/scripts/kvm-probe.sh")).
		WithNewFile("/boot/vmlinuz-6.1.0-test", "not a kernel").
		WithEnvVariable("PROBE_SECONDS", "3").
		WithEnvVariable("UNISON_TEST_NONCE", fmt.Sprint(time.Now().UnixNano()))
	for _, q := range []string{"boots", "hangs", "crashes", "fails"} {
		base = base.WithMountedFile("/tmp/qemu-"+q, repoFile(t, c, "integration/testdata/kvm-probe/qemu-"+q+".sh"))
	}
	for _, tc := range []struct{ name, device, qemu, want string }{
		{"no device", "/dev/kvm-absent", "", `^tcg: no /dev/kvm-absent in the engine's containers$`},
		{"not a device", "/tmp", "", `^tcg: /tmp is not a character device$`},
		{"cannot be opened", "/dev/full", "", `^tcg: /dev/full cannot be opened for reading and writing \(.*Permission denied\)$`},
		{"boot hangs", "/dev/null", "/tmp/qemu-hangs", `^tcg: a kernel booted with KVM printed nothing within 3s$`},
		{"qemu crashes", "/dev/null", "/tmp/qemu-crashes", `^tcg: QEMU with KVM was killed by signal 11 before the kernel printed anything$`},
		{"qemu fails", "/dev/null", "/tmp/qemu-fails", `^tcg: QEMU with KVM failed \(exit 1: .*failed to initialize kvm: Permission denied\)$`},
		{"no qemu", "/dev/null", "/usr/bin/qemu-absent", `^tcg: /usr/bin/qemu-absent cannot be run \(exit 127\)$`},
		{"kvm works", "/dev/null", "/tmp/qemu-boots", `^kvm$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctr := base.WithEnvVariable("KVM_DEVICE", tc.device)
			if tc.qemu != "" {
				ctr = ctr.WithEnvVariable("QEMU", tc.qemu)
			}
			// a device this user may not open: a root-only character device, the
			// probe run by another user (a /dev/kvm of the kvm group, a user not in it)
			cmd := []string{"/tmp/kvm-probe.sh"}
			if tc.name == "cannot be opened" {
				// (each exec has its own /dev: the same exec; exec keeps the probe's exit code)
				cmd = []string{"sh", "-c", "chmod 600 /dev/full && exec setpriv --reuid=65534 --regid=65534 --clear-groups /tmp/kvm-probe.sh"}
			}
			// the script's own exit code must be 0
			out, err := ctr.WithExec(cmd, dagger.ContainerWithExecOpts{InsecureRootCapabilities: true}).Stdout(ctx)
			require.NoError(t, err, "the probe must exit 0 whatever the host")
			assert.Regexp(t, regexp.MustCompile(tc.want), strings.TrimRight(out, "\n"))
			assert.Equal(t, 1, strings.Count(out, "\n"), "one line: %q", out)
		})
	}
}

// qemu-img writes the VMDK descriptor's CID with %x, so one time in sixteen
// it has fewer than 8 digits (TestLinuxVm's rebuild once differed at byte
// 549 for it): vmdk-cid.sh gives real qemu-img output, short CIDs included,
// the same bytes for the same disk, and the result passes qemu-img check.
func TestVmdkCID(t *testing.T) {
	c, ctx := connect(t)
	ctr := c.Container().From(baseImage()).
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends qemu-utils >/dev/null"}).
		WithMountedFile("/tmp/vmdk-cid.sh", repoFile(t, c, "ci/scripts/vmdk-cid.sh")).
		WithMountedFile("/tmp/vmdk-cid-test.sh", repoFile(t, c, "integration/testdata/vmdk-cid-test.sh")).
		WithEnvVariable("UNISON_TEST_NONCE", fmt.Sprint(time.Now().UnixNano())).
		WithMountedDirectory("/w", c.Directory())
	run := ctr.WithExec([]string{"/tmp/vmdk-cid-test.sh"})
	out, err := run.Stdout(ctx)
	require.NoError(t, err)
	t.Log("\n" + out)
	count := func(key string) int {
		m := regexp.MustCompile(`(?m)^` + key + ` (\d+)$`).FindStringSubmatch(out)
		require.NotNil(t, m, key)
		var n int
		fmt.Sscan(m[1], &n)
		return n
	}
	n := count("converted")
	assert.GreaterOrEqual(t, count("short"), 1, "qemu-img wrote no short CID in %d conversions", n)
	assert.Equal(t, n, count("distinct-before"), "qemu-img's CIDs are random: every conversion differs")
	assert.Equal(t, 1, count("distinct-after"), "one disk, one CID: the same bytes")
	assert.Contains(t, out, "\nCID=0123abcd\nparentCID=ffffffff\n")

	// refusals: a file that is no VMDK, a CID that is not 8 lowercase hex digits
	for _, tc := range []struct{ file, cid, want string }{
		{"/w/d.qcow2", "0123abcd", "not a VMDK with an embedded descriptor"},
		{"/w/1/disk.vmdk", "0123ABCD", "the CID must be 8 lowercase hex digits"},
		{"/w/1/disk.vmdk", "123abcd", "the CID must be 8 lowercase hex digits"},
	} {
		_, err := ctr.WithMountedDirectory("/w", run.Directory("/w")).WithExec([]string{"/tmp/vmdk-cid.sh", tc.file, tc.cid}).Sync(ctx)
		var exec *dagger.ExecError
		require.ErrorAs(t, err, &exec, tc.file+" "+tc.cid)
		assert.Contains(t, exec.Stderr, tc.want)
	}
}
