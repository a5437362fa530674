package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// cosignImage is the image the tests sign and verify with: the air-gapped
// mode's cosign (built from the Go module proxy) or the module's default.
func cosignImage() string {
	if c := os.Getenv("UNISON_COSIGN_IMAGE"); c != "" {
		return c
	}
	return "ghcr.io/sigstore/cosign/cosign:v2.4.1@sha256:b03690aa52bfe94054187142fba24dc54137650682810633901767d8a3e15b31"
}

const cosignPassword = "release-test-password"

// cosignKeyPair generates a password-protected key pair with cosign itself.
func cosignKeyPair(ctx context.Context, t *testing.T, c *dagger.Client, dir string) (key, pub string) {
	t.Helper()
	d := c.Container().From(cosignImage()).
		WithEnvVariable("COSIGN_PASSWORD", cosignPassword).
		WithEnvVariable("HOME", "/tmp").
		WithDirectory("/keys", c.Directory()).
		WithWorkdir("/keys").
		WithExec([]string{"/ko-app/cosign", "generate-key-pair"}).
		Directory("/keys")
	_, err := d.Export(ctx, dir)
	mustf(t, err, "cosign generate-key-pair")
	k, err := os.ReadFile(filepath.Join(dir, "cosign.key"))
	mustf(t, err, "read key")
	p, err := os.ReadFile(filepath.Join(dir, "cosign.pub"))
	mustf(t, err, "read public key")
	return string(k), string(p)
}

// cosignVerify runs the standard cosign verification in a container.
func cosignVerify(ctx context.Context, c *dagger.Client, pub string, args ...string) (string, error) {
	return c.Container().From(cosignImage()).
		WithEnvVariable("HOME", "/tmp").
		WithNewFile("/v/cosign.pub", pub).
		WithEnvVariable("BUST", time.Now().String()).
		WithExec(append([]string{"/ko-app/cosign"}, args...)).
		Stdout(ctx)
}

// fault arms (count > 0) or disarms the air-gap registry's injected
// manifest PUT failures for paths containing match.
func fault(t *testing.T, reg, match string, count int) {
	t.Helper()
	tokenFile := os.Getenv("UNISON_REGISTRY_FAULT_TOKEN_FILE")
	require.NotEmpty(t, tokenFile, "no fault endpoint: start the engine with UNISON_AIRGAP_TEST_FAULTS=1 (make test and .ci/run do) and eval its env")
	token, err := os.ReadFile(tokenFile)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, postFault(t, reg, match, count, strings.TrimSpace(string(token))), "arm registry fault")
}

// postFault calls the registry's fault endpoint and returns the status.
func postFault(t *testing.T, reg, match string, count int, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/_unison/fault?match=%s&count=%d", reg, match, count), nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Transport: registryTransport(t)}).Do(req)
	mustf(t, err, "registry fault endpoint")
	resp.Body.Close()
	return resp.StatusCode
}

func readSums(t *testing.T, p string) map[string]string {
	f, err := os.Open(p)
	mustf(t, err, "open %s", p)
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, n, ok := strings.Cut(sc.Text(), "  ")
		require.True(t, ok, sc.Text())
		sums[n] = sum
	}
	return sums
}

func sigLayers(t *testing.T, repo, digest string) int { return cosignLayers(t, repo, digest, "sig") }

// cosignLayers counts the layers of cosign's .sig or .att manifest of a digest.
func cosignLayers(t *testing.T, repo, digest, kind string) int {
	t.Helper()
	r, err := name.ParseReference(repo+":"+strings.Replace(digest, ":", "-", 1)+"."+kind, name.Insecure)
	require.NoError(t, err)
	desc, err := remote.Get(r, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err, "signature of %s@%s", repo, digest)
	var m v1.Manifest
	require.NoError(t, json.Unmarshal(desc.Manifest, &m))
	return len(m.Layers)
}

func tagDigest(t *testing.T, ref string) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	require.NoError(t, err)
	desc, err := remote.Head(r, remote.WithTransport(registryTransport(t)))
	if err != nil {
		return "", err
	}
	return desc.Digest.String(), nil
}

// The whole release on the real engine against the shared registry: the QA
// gate (a hung boot stops it; its reports read back: the platform running
// in the VM as it ships), dry run, a push interrupted by the registry, the
// rerun that completes it, a rerun of a completed release, the fan-out, the
// tags of a pre-release and an older patch, a refused and a forced
// overwrite (with the offline ISO).
func TestRelease(t *testing.T) {
	x := newReleaseRun(t)
	// each numbered step is a subtest; a failed one stops the rest (they build on it)
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, func(st *testing.T) { x.cur = st; defer func() { x.cur = t }(); f(st) }) {
			t.FailNow()
		}
	}
	step("0 unpinned service image refused", x.unpinned)
	step("0a unsigned service images refused", x.unsigned)
	step("0b QA gate stops a hung boot", x.hungGate)
	step("1 dry run", x.dryRun)
	step("2 failed push leaves no tag", x.failedPush)
	step("3 rerun completes the release", x.completes)
	step("4 rerun changes nothing", x.rerun)
	step("4b fanned out", x.fannedOut)
	step("4c offline ISO job", x.offlineJob)
	step("5 pre-release tags", x.preRelease)
	step("6 published version never changes", x.immutable)
	step("7 registry tags count", x.registryTags)
	step("8 forced overwrite", x.forced)
	step("9 nightlies", x.nightlies)
}

// Bad input fails before anything is built, naming the field and the fix.
func TestReleaseRejects(t *testing.T) {
	requireEngine(t)
	t.Setenv("UNISON_TEST_SECRET", "x")
	plan := func(ref string, more ...string) []string {
		return append([]string{"release", "--ref", ref, "--sha", "0123456789abcdef0123456789abcdef01234567",
			"--commit-time", "2026-11-20T10:00:00Z", "--existing-tags", "v0.5.0"}, more...)
	}
	local := plan("refs/tags/v0.6.0", "--registry", "10.87.0.1:5001")
	chain := func(base []string, steps ...string) []string { return append(append([]string{}, base...), steps...) }
	admin := []string{"with-admin", "--ssh-authorized-keys", testKey}
	key := []string{"with-signing-key", "--key", "env:UNISON_TEST_SECRET"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"pull request", chain(plan("refs/pull/3/merge"), "dry-run"), "pull requests are built and tested, not released"},
		{"bad tag", chain(plan("refs/tags/1.2"), "dry-run"), "a release tag must be vMAJOR.MINOR.PATCH"},
		{"no key", chain(local, append(admin, "publish")...), "signing-key: a release is signed"},
		{"key and keyless", chain(local, append(key, "with-keyless", "--identity-token", "env:UNISON_TEST_SECRET", "publish")...), "choose one of with-signing-key and with-keyless"},
		{"ghcr without password", chain(plan("refs/tags/v0.6.0"), append(append(admin, key...), "publish")...), "pushing to ghcr.io needs credentials"},
		{"asset limit", chain(local, "with-asset-limit", "--limit-mib", "4096", "dry-run"), "asset-limit-mib 4096"},
		{"part size", chain(local, "with-asset-limit", "--limit-mib", "2048", "--part-size-mib", "2048", "dry-run"), "part-size-mib 2048"},
		{"bad qa accel", chain(local, "with-qa", "--accel", "fast", "dry-run"), `invalid argument "fast" for "--accel" flag: value should be one of AUTO,KVM,TCG`},
		{"keyless without a token source", chain(local, "with-keyless", "--certificate-identity", "x", "publish"), "with-keyless: no identity token source"},
		{"keyless with half the request", chain(local, "with-keyless", "--token-request-url", "env:UNISON_TEST_SECRET", "publish"), "give both token-request-url and token-request-token"},
		{"bad service digest", chain(local, "with-service-digests", "--digests", "inference=sha256:xyz", "dry-run"), `digest for "inference": "sha256:xyz" is not sha256:<64 hex>`},
		{"digest of no service", chain(local, "with-service-digests", "--digests", "nope=sha256:"+strings.Repeat("0", 64), "dry-run"), `digest for "nope": not a service`},
		{"builder id not a URI", chain(local, "with-provenance", "--builder-id", "laptop", "dry-run"), `builder-id "laptop": want a URI`},
		{"bad ssh key", chain(local, "with-admin", "--ssh-authorized-keys", "ssh-ed25519", "dry-run"), "ssh-authorized-keys: key 1 is not an OpenSSH public key line"},
		{"artifacts from nowhere", chain(local, "with-artifacts", "dry-run"), "with-artifacts: give the artifact jobs' outputs as --dir DIR or --server tcp://localhost:PORT"},
		{"artifacts from two places", chain(local, "with-artifacts", "--dir", ".", "--server", "tcp://127.0.0.1:9", "dry-run"), "one of them"},
		{"artifact server not answering", chain(local, "with-artifacts", "--server", "tcp://127.0.0.1:9", "dry-run"), "a file server of the folder must be running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := daggerCall(t, 5*time.Minute, append(tc.args, "entries")...)
			require.Error(t, r.Err)
			assert.Contains(t, r.Stderr, tc.want)
			assertNothingBuilt(t, r)
		})
	}
}

// The module's verification step refuses what a user would: a checksum
// that does not match, an ISO without UEFI boot, a broken disk or archive,
// an unknown file.
func TestReleaseVerifyScript(t *testing.T) {
	c, ctx := connect(t)
	dir := outDir(t)
	iso := filepath.Join(dir, "standin.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", iso)
	tools := c.Container().From(baseImage()).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends xorriso qemu-utils jq >/dev/null"})
	good := c.Directory().
		WithFile("unisonos-baremetal-v1.iso", c.Host().File(iso)).
		WithNewFile("unisonos-models-v1.json", `{"models":[]}`)
	goodDisk := tools.WithExec([]string{"sh", "-c", "qemu-img create -q -f qcow2 /d.qcow2 64M && echo hi > /f && tar -czf /a.tar.gz /f 2>/dev/null"})
	good = good.WithFile("unisonos-linux-vm-v1.qcow2", goodDisk.File("/d.qcow2")).
		WithFile("unisonos-wsl-v1.tar.gz", goodDisk.File("/a.tar.gz"))
	run := func(d *dagger.Directory) (string, error) {
		return tools.WithMountedDirectory("/in", d).
			WithExec([]string{"sh", "-c", release.VerifyScript}).
			File("/out/listing.tsv").Contents(ctx)
	}
	listing, err := run(good)
	require.NoError(t, err)
	assets, err := release.Listing(listing)
	require.NoError(t, err)
	require.Len(t, assets, 4)
	assert.Equal(t, fileSHA(t, iso), assets[0].SHA256)

	noBoot := tools.WithExec([]string{"sh", "-c", "mkdir /x && echo x > /x/a && xorriso -as mkisofs -quiet -o /plain.iso /x"}).File("/plain.iso")
	for _, tc := range []struct {
		name string
		d    *dagger.Directory
		want string
	}{
		{"checksum mismatch", good.WithNewFile("unisonos-baremetal-v1.iso.sha256", strings.Repeat("0", 64)+"  unisonos-baremetal-v1.iso\n"), "VERIFY FAILED unisonos-baremetal-v1.iso: SHA-256"},
		{"iso without boot", good.WithFile("unisonos-baremetal-v1.iso", noBoot), "no BIOS El Torito boot image"},
		{"not a qcow2", good.WithNewFile("unisonos-linux-vm-v1.qcow2", strings.Repeat("x", 4096)), "VERIFY FAILED unisonos-linux-vm-v1.qcow2"},
		{"corrupt archive", good.WithNewFile("unisonos-wsl-v1.tar.gz", "\x1f\x8b\x08garbage"), "corrupt or empty archive"},
		{"broken JSON", good.WithNewFile("unisonos-models-v1.json", "{"), "not JSON"},
		{"unknown file", good.WithNewFile("notes.exe", "MZ"), "VERIFY FAILED notes.exe: unexpected file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(tc.d)
			var ee *dagger.ExecError
			require.True(t, errors.As(err, &ee), "want a failed exec, got %v", err)
			assert.Contains(t, ee.Stderr, tc.want)
		})
	}
}
