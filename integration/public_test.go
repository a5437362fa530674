package integration

import (
	"context"

	"dagger.io/dagger"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A public ISO carries no operator credentials and its installer asks for
// the identity and SSH keys; personalize-iso makes an unattended copy for one
// admin, byte-reproducibly, after checking the ISO against SHA256SUMS.
func TestPublicIsoAndPersonalize(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	base := filepath.Join(dir, "base.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)
	pub := filepath.Join(dir, "public")
	mustCall(t, 20*time.Minute, "build", "--version", "v0.6.0", "--public", "iso", "--base-iso", base, "export", "--path", pub)
	iso := filepath.Join(pub, "unisonos-baremetal-v0.6.0.iso")
	ud := extractUserData(t, iso)
	assert.Contains(t, ud, "interactive-sections:\n    - identity\n    - ssh\n")
	assert.NotContains(t, ud, "ssh-ed25519")
	assert.NotContains(t, ud, "identity:\n")

	// it boots to the installer, which gets the interactive sections
	report := filepath.Join(dir, "report-public")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", iso, "--markers", "autoinstall ds=nocloud;s=/cdrom/nocloud/",
		"--markers", "    - identity", "report", "export", "--path", report)
	assert.Contains(t, readFile(t, filepath.Join(report, "summary.txt")), "qa-smoke-iso: PASSED (9 checks, 0 failed)")

	// the release's SHA256SUMS, as a user downloads it (a copy of the ISO under another name too)
	cp := filepath.Join(dir, "unisonos-baremetal-v0.6.0-copy.iso")
	b, err := os.ReadFile(iso)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cp, b, 0o644))
	sum := fileSHA(t, iso)
	// signed as a release with a key signs it (the project's releases are keyless: the .bundle)
	c, ctx := connect(t)
	key, _ := cosignKeyPair(ctx, t, c, filepath.Join(dir, "keys"))
	p := &personalizer{t: t, c: c, ctx: ctx, key: key, sums: filepath.Join(dir, "SHA256SUMS-v0.6.0.txt"), cosignPub: filepath.Join(dir, "keys", "cosign.pub")}
	sums, cosignPub, writeSums, personalize := p.sums, p.cosignPub, p.writeSums, p.run
	writeSums(sum + "  unisonos-baremetal-v0.6.0.iso\n" + sum + "  unisonos-baremetal-v0.6.0-copy.iso\n")
	per := filepath.Join(dir, "personal")
	r := personalize(iso, per)
	require.NoError(t, r.Err, tail(r.Stderr, 30))
	t.Logf("personalize-iso: %.1fs", r.Took.Seconds())
	piso := filepath.Join(per, "unisonos-baremetal-v0.6.0-edge-01.iso")
	pud := extractUserData(t, piso)
	assert.NotContains(t, pud, "interactive-sections")
	assert.Contains(t, pud, testKey)
	assert.Contains(t, pud, `hostname: "edge-01"`)
	report = filepath.Join(dir, "report-personal")
	mustCall(t, 20*time.Minute, "qa", "iso", "--iso", piso, "--markers", "autoinstall ds=nocloud;s=/cdrom/nocloud/",
		"--markers", testKey, "report", "export", "--path", report)
	assert.Contains(t, readFile(t, filepath.Join(report, "summary.txt")), "qa-smoke-iso: PASSED (9 checks, 0 failed)")

	// install-to-disk: the personalized ISO boots with the QA user-data (poweroff, the QA key) and a
	// blank disk; the stand-in boots a probe, which installs nothing: the run says so and fails there
	checkQaInstall(t, dir, iso, piso)

	// byte-reproducible: the copy (another name, so nothing comes from the cache) gives the same bytes
	per2 := filepath.Join(dir, "personal-copy")
	r = personalize(cp, per2)
	require.NoError(t, r.Err, tail(r.Stderr, 30))
	assert.Equal(t, fileSHA(t, piso), fileSHA(t, filepath.Join(per2, "unisonos-baremetal-v0.6.0-copy-edge-01.iso")))

	// a password hash next to the key: it reaches the ISO's user-data from its Dagger
	// secret, put there inside a container; no call argument or trace holds it
	t.Setenv("UNISON_TEST_HASH", testHash)
	hashed := filepath.Join(dir, "personal-hash")
	r = daggerCall(t, 20*time.Minute, "build", "with-admin", "--ssh-authorized-keys", testKey, "--password-hash", "env:UNISON_TEST_HASH",
		"--hostname", "edge-01", "personalize-iso", "--iso", cp, "--sha256-sums", sums, "--sha256-sums-signature", sums+".sig", "--cosign-key", cosignPub,
		"export", "--path", hashed)
	require.NoError(t, r.Err, tail(r.Stderr, 30))
	hud := extractUserData(t, filepath.Join(hashed, "unisonos-baremetal-v0.6.0-copy-edge-01.iso"))
	assert.Regexp(t, `\n +password: "?`+regexp.QuoteMeta(testHash)+`"?\n`, hud)
	assert.NotContains(t, hud, "UNISON-PASSWORD-HASH")
	assert.NotContains(t, r.Stdout+r.Stderr, testHash, "the hash in a call argument or trace")

	// bad input: a file SHA256SUMS does not list, a checksum mismatch, an ISO personalized already
	checkPersonalizeRefusals(t, p, dir, iso, piso, sum, b)

	// with-admin on a public build is refused
	r = daggerCall(t, 5*time.Minute, "build", "--public", "with-admin", "--ssh-authorized-keys", testKey, "iso", "--base-iso", base, "export", "--path", filepath.Join(dir, "x4"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "a --public build carries no operator credentials")

	// the NoCloud seed of an admin identity: volume cidata, the admin's key in user-data
	checkNocloudSeed(ctx, t, c, dir)
}

// personalizer signs a SHA256SUMS as a release signed with a key does (the
// project's releases are keyless: the .bundle), and personalizes an ISO
// against it.
type personalizer struct {
	t                    *testing.T
	c                    *dagger.Client
	ctx                  context.Context
	key, sums, cosignPub string
}

// writeSums writes SHA256SUMS with text and signs it (.sig).
func (p *personalizer) writeSums(text string) {
	t, c := p.t, p.c
	require.NoError(t, os.WriteFile(p.sums, []byte(text), 0o644))
	_, err := c.Container().From(cosignImage()).WithEnvVariable("HOME", "/tmp").
		WithEnvVariable("COSIGN_PASSWORD", cosignPassword).WithSecretVariable("COSIGN_KEY", c.SetSecret("public-test-key", p.key)).
		WithNewFile("/in/sums", text).WithDirectory("/out", c.Directory()). // the text itself: a host file is read once a session
		WithExec([]string{"/ko-app/cosign", "sign-blob", "--yes", "--key", "env://COSIGN_KEY", "--tlog-upload=false", "--output-signature", "/out/sig", "/in/sums"}).
		File("/out/sig").Export(p.ctx, p.sums+".sig")
	require.NoError(t, err)
}

// run personalizes in for the admin of edge-01 into out.
func (p *personalizer) run(in, out string, extra ...string) callResult {
	a := []string{"build", "with-admin", "--ssh-authorized-keys", testKey, "--hostname", "edge-01",
		"personalize-iso", "--iso", in, "--sha256-sums", p.sums, "--sha256-sums-signature", p.sums + ".sig", "--cosign-key", p.cosignPub}
	return daggerCall(p.t, 20*time.Minute, append(append(a, extra...), "export", "--path", out)...)
}

// checkQaInstall: qa install of the personalized ISO (the stand-in installs
// nothing: the run says so), of a public one (refused), with an unknown accelerator (refused).
func checkQaInstall(t *testing.T, dir, iso, piso string) {
	inst := filepath.Join(dir, "report-install")
	mustCall(t, 20*time.Minute, "qa", "install", "--iso", piso, "--accel", "tcg", "--install-timeout", "300", "report", "export", "--path", inst)
	summary := readFile(t, filepath.Join(inst, "summary.txt"))
	t.Log("\n" + summary)
	assert.Contains(t, summary, "qa-install: FAILED (1 checks, 1 failed)")
	assert.Contains(t, summary, "but the disk has no partition table: nothing was installed")
	serial := readFile(t, filepath.Join(inst, "serial-install.log"))
	assert.Contains(t, serial, "PROBE-CMDLINE: autoinstall ds=nocloud;s=/cdrom/nocloud/ --- console=ttyS0")
	assert.Contains(t, serial, "shutdown: poweroff")
	assert.Contains(t, serial, "unison-qa")
	assert.Contains(t, serial, testKey, "the admin's own key stays")
	r := daggerCall(t, 10*time.Minute, "qa", "install", "--iso", iso, "--accel", "tcg", "report", "entries")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "personalize it first")
	// an accelerator it does not know is refused, not run as auto
	r = daggerCall(t, 10*time.Minute, "qa", "install", "--iso", piso, "--accel", "fast", "report", "entries")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `invalid argument "fast" for "--accel" flag: value should be one of AUTO,KVM,TCG`)
	assertNothingBuilt(t, r)
}

// checkPersonalizeRefusals: a file SHA256SUMS does not list, a checksum
// mismatch, an ISO personalized already, a list changed after signing, no
// signature, a stable release without an SSH key: each refused, no output.
func checkPersonalizeRefusals(t *testing.T, p *personalizer, dir, iso, piso, sum string, b []byte) {
	sums, cosignPub, writeSums, personalize := p.sums, p.cosignPub, p.writeSums, p.run
	other := filepath.Join(dir, "renamed.iso")
	require.NoError(t, os.WriteFile(other, b, 0o644))
	r := personalize(other, filepath.Join(dir, "x1"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "no SHA-256 line for renamed.iso")
	writeSums(strings.Repeat("0", 64) + "  unisonos-baremetal-v0.6.0.iso\n")
	r = personalize(iso, filepath.Join(dir, "x2"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "is not the one SHA256SUMS lists")
	writeSums(fileSHA(t, piso) + "  unisonos-baremetal-v0.6.0-edge-01.iso\n")
	r = personalize(piso, filepath.Join(dir, "x3"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "personalized already")
	_, err := os.Stat(filepath.Join(dir, "x3"))
	assert.True(t, os.IsNotExist(err), "no output on bad input")
	// SHA256SUMS is trusted only with its signature: a list changed after signing, or no signature, is refused first
	writeSums(sum + "  unisonos-baremetal-v0.6.0.iso\n")
	require.NoError(t, os.WriteFile(sums, []byte(sum+"  unisonos-baremetal-v0.6.0.iso\n"+sum+"  renamed.iso\n"), 0o644))
	r = personalize(other, filepath.Join(dir, "x6"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "sha256-sums-signature: SHA256SUMS does not verify (with --cosign-key)")
	assertNothingBuilt(t, r)
	r = daggerCall(t, 10*time.Minute, "build", "with-admin", "--ssh-authorized-keys", testKey, "personalize-iso", "--iso", iso, "--sha256-sums", sums,
		"export", "--path", filepath.Join(dir, "x7"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "sha256-sums-signature: give the release's SHA256SUMS-<v>.txt.bundle")
	_, err = os.Stat(filepath.Join(dir, "x6"))
	assert.True(t, os.IsNotExist(err), "no output on bad input")

	// the release's channel (its bundle's version, v0.6.0: stable) sets the rules, as in
	// its build: a password hash and no SSH key is refused
	writeSums(sum + "  unisonos-baremetal-v0.6.0.iso\n")
	t.Setenv("UNISON_TEST_HASH", testHash)
	r = daggerCall(t, 10*time.Minute, "build", "with-admin", "--password-hash", "env:UNISON_TEST_HASH", "--hostname", "edge-01",
		"personalize-iso", "--iso", iso, "--sha256-sums", sums, "--sha256-sums-signature", sums+".sig", "--cosign-key", cosignPub,
		"export", "--path", filepath.Join(dir, "x5"))
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "stable releases require at least one SSH key")
	_, err = os.Stat(filepath.Join(dir, "x5"))
	assert.True(t, os.IsNotExist(err), "no output on bad input")
}

// checkNocloudSeed: the NoCloud seed of an admin identity: volume cidata, the admin's key in user-data.
func checkNocloudSeed(ctx context.Context, t *testing.T, c *dagger.Client, dir string) {
	seed := filepath.Join(dir, "seed.iso")
	mustCall(t, 10*time.Minute, "build", "with-admin", "--ssh-authorized-keys", testKey, "--hostname", "edge-01", "nocloud-seed", "export", "--path", seed)
	out, err := verifier(c).WithMountedFile("/in/seed.iso", c.Host().File(seed)).
		WithExec([]string{"sh", "-c", "xorriso -indev /in/seed.iso -pvd_info 2>/dev/null | grep '^Volume Id'; xorriso -osirrox on -indev /in/seed.iso -extract / /x >/dev/null 2>&1; ls /x; cat /x/user-data /x/meta-data"}).Stdout(ctx)
	require.NoError(t, err)
	assert.Regexp(t, `Volume Id\s*:\s*cidata`, out)
	assert.Contains(t, out, "meta-data\nuser-data\n")
	assert.Contains(t, out, testKey)
	assert.Contains(t, out, "local-hostname: edge-01")
	assert.Contains(t, out, "ssh_pwauth: false")
}
