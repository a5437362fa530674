package integration

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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

// The commit and commit time TestRelease releases (the forced overwrite and
// the second nightly come from another commit).
const (
	releaseSHA     = "89abcdef0123456789abcdef0123456789abcdef"
	releaseCreated = "2026-11-21T09:30:00Z"
)

// releaseRun is TestRelease's state: the engine, the shared registry, the
// stand-in media and keys, the service images, the release chain's
// switches, and what the completed release (step 3) leaves for the steps
// after it.
type releaseRun struct {
	c   *dagger.Client
	ctx context.Context
	// cur is the running step's test (the calls log to it)
	cur                                            *testing.T
	reg, dir, iso, cloud, probe, key, pub, pubFile string
	owner, prefix, refPrefix, svcPrefix, images    string
	svcDigests                                     map[string]string
	repos, stable                                  []string
	// the chain's switches (callAt reads them)
	qaOK, qa, nightly, trust                 []string
	skipQa, force, withOffline, registryOnly bool
	// the completed release
	out     string
	man     release.Manifest
	sums    map[string]string
	digests map[string]string
}

func newReleaseRun(t *testing.T) *releaseRun {
	c, ctx := connect(t)
	x := &releaseRun{c: c, ctx: ctx, cur: t, reg: sharedRegistry(t), dir: outDir(t), digests: map[string]string{},
		repos:  []string{"unison-platform", "unisonos-baremetal", "unisonos-linux-vm", "unisonos-wsl", "unison-platform-bundle"},
		stable: []string{"v0.6.0", "v0.6", "latest"}}
	x.iso = filepath.Join(x.dir, "standin-live-server.iso")
	x.cloud = filepath.Join(x.dir, "standin-cloudimg.qcow2")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", x.iso)
	// as the VM ships: first boot installs Docker and Compose v2 from the archive
	mustCall(t, 20*time.Minute, "lab", "standin-cloud-image", "export", "--path", x.cloud)
	x.probe = filepath.Join(x.dir, "probe")
	mustCall(t, 10*time.Minute, "lab", "probe-boot", "export", "--path", x.probe)
	x.key, x.pub = cosignKeyPair(ctx, t, c, filepath.Join(x.dir, "keys"))
	t.Setenv("UNISON_TEST_COSIGN_KEY", x.key)
	t.Setenv("UNISON_TEST_COSIGN_PASSWORD", cosignPassword)

	x.owner = "rel" + time.Now().UTC().Format("150405")
	x.prefix = x.reg + "/" + x.owner
	// the service images live in the test registry: releases pin them by
	// digest, and the QA gate's VM runs them (the reference services)
	x.refPrefix, _ = referencePlatform(t)
	x.svcPrefix = x.reg + "/" + x.owner + "svc"
	x.images = imagesFor(t, x.svcPrefix)
	x.svcDigests = map[string]string{}
	for _, svc := range []string{"orchestrator", "inference", "auth"} {
		x.svcDigests[svc] = copyServiceImage(t, x.refPrefix, x.svcPrefix, svc)
	}
	// the QA gate boots the stand-in VM disk with the probe kernel (it has no
	// boot loader), with the default accelerator (auto: KVM where a probe boot
	// with it works, else TCG); its Docker pulls from the lab registry over plain HTTP
	x.qaOK = []string{"with-qa", "--boot-files", x.probe, "--insecure-registry", x.reg, "--health-timeout", "300"}
	x.qa = x.qaOK
	x.pubFile = filepath.Join(x.dir, "keys", "cosign.pub")
	x.trust = []string{"with-service-trust", "--key", x.pubFile}
	return x
}

// callAt calls the release chain of a commit and ref; terminal (publish,
// dry-run, tags ...) ends the chain and tail follows it (export, file ...).
// registryOnly: a call that reads the registry and builds nothing (tags, a
// refused publish) names no media, limits or QA: each link of a chain is a
// module call, and a new ref or commit runs every link again.
func (x *releaseRun) callAt(commit, ref, terminal string, tail ...string) callResult {
	a := []string{"--images", x.images, "release", "--ref", ref, "--sha", commit, "--commit-time", releaseCreated,
		"--registry", x.reg, "--owner", x.owner, "--platform-version", "0.6.0", fmt.Sprintf("--skip-qa=%t", x.skipQa), fmt.Sprintf("--force=%t", x.force)}
	// existing tags default from the checkout: pass them, as release.yml does
	if strings.HasPrefix(ref, "refs/tags/v0.7") {
		a = append(a, "--existing-tags", "v0.6.0")
	} else {
		a = append(a, "--existing-tags", "v0.5.0")
	}
	a = append(a, x.nightly...) // with-nightly and its arguments, right after the constructor
	// a public release, as release.yml makes: no operator credentials in any artifact
	if !x.registryOnly {
		a = append(a, "with-base-iso", "--file", x.iso, "with-base-image", "--file", x.cloud,
			// small limits so that the stand-ins exercise splitting: 64 MiB and more is split into 40 MiB parts
			"with-asset-limit", "--limit-mib", "64", "--part-size-mib", "40")
	}
	a = append(a, "with-signing-key", "--key", "env:UNISON_TEST_COSIGN_KEY", "--password", "env:UNISON_TEST_COSIGN_PASSWORD")
	// the service images are signed with the test key (as a site signing with a key does)
	a = append(a, x.trust...)
	// the shared registry refuses anonymous writes (airgap.sh env)
	a = append(a, registryAuthArgs()...)
	if x.withOffline {
		a = append(a, "with-offline-iso")
	}
	if !x.registryOnly {
		a = append(a, x.qa...)
	}
	a = append(a, terminal)
	return daggerCall(x.cur, 40*time.Minute, append(a, tail...)...)
}

// call calls the release chain of the release's own commit.
func (x *releaseRun) call(ref, terminal string, tail ...string) callResult {
	return x.callAt(releaseSHA, ref, terminal, tail...)
}

// unpinned: a service image whose tag the registry does not hold cannot be pinned:
// publish refuses before building anything
func (x *releaseRun) unpinned(t *testing.T) {
	unpinned := x.call("refs/tags/v0.6.0", "publish")
	require.Error(t, unpinned.Err)
	assert.Contains(t, unpinned.Stderr, "could not be resolved to a digest (releases and offline builds pin every image)")
	assert.Contains(t, unpinned.Stderr, x.svcPrefix+"/unison-context:v0.6.0")
	assertNothingBuilt(t, unpinned)
	x.svcDigests["context"] = copyServiceImage(t, x.refPrefix, x.svcPrefix, "context")
}

// unsigned: every service image pinned must carry a signature the release
// trusts: unsigned ones are refused, naming each, before anything is built
func (x *releaseRun) unsigned(t *testing.T) {
	unsigned := x.call("refs/tags/v0.6.0", "publish")
	require.Error(t, unsigned.Err)
	assert.Contains(t, unsigned.Stderr, "service images: no signature from the key given to with-service-trust on:")
	for _, svc := range []string{"orchestrator", "inference", "auth", "context"} {
		assert.Contains(t, unsigned.Stderr, svc+" ("+x.svcPrefix+"/"+strings.SplitN(serviceTags[svc], ":", 2)[0]+"@"+x.svcDigests[svc]+")")
	}
	assert.Contains(t, unsigned.Stderr, "or, for an image from elsewhere, with-service-trust --unsigned SERVICE")
	assertNothingBuilt(t, unsigned)
	x.trust = []string{"with-service-trust", "--key", x.pubFile, "--unsigned", "nosuch"}
	unknown := x.call("refs/tags/v0.6.0", "publish")
	require.Error(t, unknown.Err)
	assert.Contains(t, unknown.Stderr, `unsigned "nosuch": no such service in platform 0.6.0 (its services: `)
	x.trust = []string{"with-service-trust", "--key", x.pubFile}
	for svc, d := range x.svcDigests {
		cosignSign(x.ctx, t, x.c, x.key, x.svcPrefix+"/"+strings.SplitN(serviceTags[svc], ":", 2)[0]+"@"+d)
	}
}

// hungGate: the QA gate boots what would be published: a VM disk that never finishes
// booting stops the release before anything is signed or pushed
func (x *releaseRun) hungGate(t *testing.T) {
	x.qa = []string{"with-qa", "--boot-files", x.probe, "--accel", "tcg", "--kernel-args", "probe=hang console=ttyS0", "--boot-timeout", "30"}
	hung := x.call("refs/tags/v0.6.0", "dry-run", "file", "--path", "PLAN.txt", "contents")
	require.Error(t, hung.Err)
	assert.Contains(t, hung.Stderr, "qa: the release failed its boot checks; nothing was signed or pushed")
	assert.Contains(t, hung.Stderr, "FAIL boot")
	x.qa = x.qaOK
}

// dryRun: everything built, verified and boot-checked, the plan printed, nothing pushed.
func (x *releaseRun) dryRun(t *testing.T) {
	dry := x.call("refs/tags/v0.6.0", "dry-run", "file", "--path", "PLAN.txt", "contents")
	require.NoError(t, dry.Err, tail(dry.Stderr, 60))
	for _, want := range []string{"release v0.6.0  channel stable  prerelease false  (dry run: nothing pushed)",
		"qa (booted before signing):\n  qa-smoke: PASSED (49 checks, 0 failed)\n  qa-smoke-iso: PASSED (5 checks, 0 failed)\n",
		"would push:", "image " + x.prefix + "/unison-platform", "tags: v0.6.0 v0.6 latest",
		"unisonos-baremetal-v0.6.0.iso", "over the asset limit", "service images (the compose file runs these digests):",
		x.svcPrefix + "/unison-inference@" + x.svcDigests["inference"], "unisonos-wsl-v0.6.0.spdx.json", "unisonos-wsl-v0.6.0.intoto.json"} {
		assert.Contains(t, dry.Stdout, want)
	}
	assert.Contains(t, dry.Stdout, "  signatures checked: the key given to with-service-trust\n")
	// one plan and one service set for the whole call, chain included (each logs one line)
	assert.Equal(t, 1, strings.Count(dry.Stderr, "release: plan v0.6.0 (channel stable)"), "the plan is computed once")
	assert.Equal(t, 1, strings.Count(dry.Stderr, "images/compat.yaml: platform 0.6.0: "), "the service set is resolved once")
	assert.NotContains(t, dry.Stdout, "NOT PINNED")
	// the gate's reports, as a user reads them: the platform as it ships, running
	qaDir := filepath.Join(x.dir, "qa")
	reports := x.call("refs/tags/v0.6.0", "qa-reports", "export", "--path", qaDir)
	require.NoError(t, reports.Err, tail(reports.Stderr, 40))
	checkPlatformReport(t, filepath.Join(qaDir, "qa-smoke"), regexp.QuoteMeta(x.svcPrefix+"/unison-inference@"+x.svcDigests["inference"]))
	assert.Contains(t, readFile(t, filepath.Join(qaDir, "qa-smoke-iso", "summary.txt")), "qa-smoke-iso: PASSED (5 checks, 0 failed)")
	t.Logf("qa-reports after the dry run: %.1fs", reports.Took.Seconds())
	for _, r := range x.repos {
		_, err := tagDigest(t, x.prefix+"/"+r+":v0.6.0")
		assert.Error(t, err, "dry run pushed %s", r)
	}
}

// failedPush: the registry refuses the WSL artifact's manifest: the release fails,
// and no tag exists anywhere (content goes first, tags last). Arming that
// failure takes the engine start's token: anyone else gets 401.
func (x *releaseRun) failedPush(t *testing.T) {
	assert.Equal(t, http.StatusUnauthorized, postFault(t, x.reg, "", 1000, ""), "fault endpoint without a token")
	assert.Equal(t, http.StatusUnauthorized, postFault(t, x.reg, "", 1000, "not-the-token"), "fault endpoint with a wrong token")
	fault(t, x.reg, x.owner+"/unisonos-wsl/manifests/", 1000)
	failed := x.call("refs/tags/v0.6.0", "publish")
	fault(t, x.reg, "", 0)
	require.Error(t, failed.Err, "the release must fail when a push fails")
	assert.Contains(t, failed.Stderr, "injected failure")
	for _, r := range x.repos {
		for _, tag := range x.stable {
			_, err := tagDigest(t, x.prefix+"/"+r+":"+tag)
			assert.Error(t, err, "%s:%s tagged although the release failed", r, tag)
		}
	}
}

// completes: the rerun completes the release.
func (x *releaseRun) completes(t *testing.T) {
	x.out = filepath.Join(x.dir, "release")
	ok := x.call("refs/tags/v0.6.0", "publish", "export", "--path", x.out)
	require.NoError(t, ok.Err, tail(ok.Stderr, 60))
	assert.Equal(t, 1, strings.Count(ok.Stderr, "release: plan v0.6.0 (channel stable)"), "the plan is computed once")
	assert.Equal(t, 1, strings.Count(ok.Stderr, "images/compat.yaml: platform 0.6.0: "), "the service set is resolved once")
	b, err := os.ReadFile(filepath.Join(x.out, "release.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &x.man))
	assert.Equal(t, "v0.6.0", x.man.Version)
	assert.Equal(t, "stable", x.man.Channel)
	assert.False(t, x.man.DryRun)
	assert.Equal(t, release.QA{Suites: []string{"qa-smoke: PASSED (49 checks, 0 failed)", "qa-smoke-iso: PASSED (5 checks, 0 failed)"}}, x.man.QA)
	assert.Contains(t, readFile(t, filepath.Join(x.out, "RELEASE_NOTES.md")), "## QA\n\nBooted in QEMU and checked before signing:")
	// public: the ISO's installer asks for the admin and the keys; nothing of an operator is in it
	ud := extractUserData(t, filepath.Join(x.out, "unisonos-baremetal-v0.6.0.iso"))
	assert.Contains(t, ud, "interactive-sections:")
	assert.NotContains(t, ud, "ssh-ed25519")
	require.Len(t, x.man.Pushes, len(x.repos))
	x.checkAssets(t)
	x.checkSumsSignature(t)
	x.checkEvidence(t)
	x.checkPushes(t)
	x.checkPlatformImage(t)
	x.checkWSLArtifact(t)
}

// checkAssets: the checksums of every attached file, and the wholes of split files reassembled.
func (x *releaseRun) checkAssets(t *testing.T) {
	// checksums: every attached file, and the wholes of split files
	x.sums = readSums(t, filepath.Join(x.out, "SHA256SUMS-v0.6.0.txt"))
	entries, err := os.ReadDir(x.out)
	require.NoError(t, err)
	attached := 0
	for _, e := range entries {
		if want, ok := x.sums[e.Name()]; ok {
			assert.Equal(t, want, fileSHA(t, filepath.Join(x.out, e.Name())), e.Name())
			attached++
		}
	}
	assert.Equal(t, len(x.man.Assets), attached, "every attached asset is in SHA256SUMS")
	require.NotEmpty(t, x.man.Split, "the stand-in WSL rootfs and VM disk exceed 64 MiB")
	for _, whole := range x.man.Split {
		_, err := os.Stat(filepath.Join(x.out, whole.Name))
		assert.True(t, os.IsNotExist(err), "%s over the limit is attached as parts only", whole.Name)
		parts, _ := filepath.Glob(filepath.Join(x.out, whole.Name+".part*"))
		sort.Strings(parts)
		require.GreaterOrEqual(t, len(parts), 2, whole.Name)
		h := sha256.New()
		for _, p := range parts {
			st, err := os.Stat(p)
			require.NoError(t, err)
			assert.LessOrEqual(t, st.Size(), int64(40<<20), p)
			f, err := os.Open(p)
			require.NoError(t, err)
			_, err = io.Copy(h, f)
			f.Close()
			require.NoError(t, err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		assert.Equal(t, x.sums[whole.Name], got, "%s reassembled from its parts", whole.Name)
		assert.Equal(t, whole.SHA256, got)
		note, err := os.ReadFile(filepath.Join(x.out, "REASSEMBLE-"+whole.Name+".txt"))
		require.NoError(t, err)
		assert.Contains(t, string(note), got)
	}
	notes, err := os.ReadFile(filepath.Join(x.out, "RELEASE_NOTES.md"))
	require.NoError(t, err)
	for _, want := range []string{"# UnisonOS v0.6.0", "Channel: stable", "orchestrator: `v0.6.0`", x.sums["unisonos-baremetal-v0.6.0.iso"]} {
		assert.Contains(t, string(notes), want)
	}
	verify, err := os.ReadFile(filepath.Join(x.out, "VERIFY.txt"))
	require.NoError(t, err)
	assert.Contains(t, string(verify), "El Torito boot img :   2  UEFI")
	assert.Contains(t, string(verify), "unisonos-linux-vm-v0.6.0.qcow2: qemu-img check clean")
	pubOut, err := os.ReadFile(filepath.Join(x.out, "cosign.pub"))
	require.NoError(t, err)
	assert.Equal(t, x.pub, string(pubOut), "cosign.pub is the signing key's public half")
}

// checkSumsSignature: the checksums' signature verifies with the standard tool; a changed file does not.
func (x *releaseRun) checkSumsSignature(t *testing.T) {
	// the checksums' signature verifies with the standard tool; a changed file does not
	sumsText, _ := os.ReadFile(filepath.Join(x.out, "SHA256SUMS-v0.6.0.txt"))
	sig, _ := os.ReadFile(filepath.Join(x.out, "SHA256SUMS-v0.6.0.txt.sig"))
	blob := func(content string) (string, error) {
		return x.c.Container().From(cosignImage()).WithEnvVariable("HOME", "/tmp").
			WithNewFile("/v/cosign.pub", x.pub).WithNewFile("/v/sums.txt", content).WithNewFile("/v/sums.sig", string(sig)).
			WithExec([]string{"/ko-app/cosign", "verify-blob", "--key", "/v/cosign.pub", "--signature", "/v/sums.sig",
				"--insecure-ignore-tlog", "/v/sums.txt"}).Stderr(x.ctx)
	}
	vo, err := blob(string(sumsText))
	require.NoError(t, err)
	assert.Contains(t, vo, "Verified OK")
	_, err = blob(strings.Replace(string(sumsText), "0", "1", 1))
	assert.Error(t, err, "a tampered SHA256SUMS must not verify")
}

// checkEvidence: pinned contents, SBOMs and provenance statements, attested in the registry.
func (x *releaseRun) checkEvidence(t *testing.T) {
	// pinned contents, SBOMs and provenance statements, attested in the registry
	checkPinned(t, x.out, x.man, x.svcPrefix, x.svcDigests)
	checkSBOMs(t, x.out, "v0.6.0", x.sums, x.svcDigests)
	checkProvenanceFiles(t, x.out, "v0.6.0", releaseSHA, fileSHA(t, x.iso), x.sums)
	for _, p := range x.man.Pushes {
		verifyAttestations(x.ctx, t, x.c, x.pub, p)
		assert.Equal(t, 2, attLayers(t, p.Repository, p.Digest), "%s: an SBOM and a provenance attestation", p.Repository)
	}
}

// checkPushes: every tag on the pushed digest, one signature each.
func (x *releaseRun) checkPushes(t *testing.T) {
	// registry: every tag on the pushed digest, labels, artifact layout, one signature each
	for _, p := range x.man.Pushes {
		require.True(t, strings.HasPrefix(p.Digest, "sha256:"), p.Repository)
		assert.Equal(t, x.stable, p.Tags, p.Repository)
		for _, tag := range p.Tags {
			d, err := tagDigest(t, p.Repository+":"+tag)
			require.NoError(t, err, "%s:%s", p.Repository, tag)
			assert.Equal(t, p.Digest, d, "%s:%s", p.Repository, tag)
		}
		x.digests[p.Repository] = p.Digest
		vout, err := cosignVerify(x.ctx, x.c, x.pub, "verify", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
			"--allow-http-registry", "--allow-insecure-registry", p.Repository+"@"+p.Digest)
		require.NoError(t, err, "cosign verify %s", p.Repository)
		assert.Contains(t, vout, p.Digest)
		assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s signed once", p.Repository)
	}
}

// checkPlatformImage: the platform image's labels, dates and layer.
func (x *releaseRun) checkPlatformImage(t *testing.T) {
	_, cf, err := remoteImage(t, x.prefix+"/unison-platform:latest")
	require.NoError(t, err)
	assert.Equal(t, "v0.6.0", cf.Config.Labels["org.opencontainers.image.version"])
	assert.Equal(t, releaseSHA, cf.Config.Labels["org.opencontainers.image.revision"])
	assert.Equal(t, releaseCreated, cf.Config.Labels["org.opencontainers.image.created"])
	assert.Equal(t, "stable", cf.Config.Labels["unison.channel"])
	// reproducible: dated at the commit, not when it was pushed (the fan-out below pushes the same digest)
	assert.Equal(t, releaseCreated, cf.Created.UTC().Format(time.RFC3339), "the platform image's config date")
	for _, h := range cf.History {
		assert.Equal(t, releaseCreated, h.Created.UTC().Format(time.RFC3339), "the platform image's history date")
	}
	platformRef, _ := name.ParseReference(x.prefix+"/unison-platform:latest", name.Insecure)
	platformImg, err := remote.Image(platformRef, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	layers, err := platformImg.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 1)
	lr, err := layers[0].Uncompressed()
	require.NoError(t, err)
	var inImage []string
	for tr := tar.NewReader(lr); ; {
		h, err := tr.Next()
		if err != nil {
			break
		}
		inImage = append(inImage, h.Name)
		assert.Equal(t, releaseCreated, h.ModTime.UTC().Format(time.RFC3339), h.Name)
	}
	lr.Close()
	assert.Contains(t, inImage, "opt/unison-platform/compose.yaml")
	assert.Contains(t, inImage, "opt/unison-platform/installer/install-docker.sh")
}

// checkWSLArtifact: the WSL artifact's layout; a layer read back is the release file.
func (x *releaseRun) checkWSLArtifact(t *testing.T) {
	ref, _ := name.ParseReference(x.prefix+"/unisonos-wsl:v0.6.0", name.Insecure)
	desc, err := remote.Get(ref, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	var am v1.Manifest
	require.NoError(t, json.Unmarshal(desc.Manifest, &am))
	assert.Equal(t, "application/vnd.unisonos.wsl.v1", am.ArtifactType)
	assert.Equal(t, "v0.6.0", am.Annotations["org.opencontainers.image.version"])
	titles := map[string]string{}
	for _, l := range am.Layers {
		titles[l.Annotations["org.opencontainers.image.title"]] = l.Digest.Hex
	}
	assert.Equal(t, map[string]string{
		"unisonos-v0.6.0.wsl":               x.sums["unisonos-v0.6.0.wsl"],
		"unisonos-wsl-rootfs-v0.6.0.tar.gz": x.sums["unisonos-wsl-rootfs-v0.6.0.tar.gz"],
		"unisonos-wsl-v0.6.0.tar.gz":        x.sums["unisonos-wsl-v0.6.0.tar.gz"],
	}, titles, "artifact layers are the released files (digest = SHA-256)")
	// a layer read back is byte-identical to the release file
	bref, _ := name.ParseReference(x.prefix+"/unisonos-wsl@sha256:"+x.sums["unisonos-wsl-v0.6.0.tar.gz"], name.Insecure)
	layer, err := remote.Layer(bref.(name.Digest), remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	rc, err := layer.Compressed()
	require.NoError(t, err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	want, _ := os.ReadFile(filepath.Join(x.out, "unisonos-wsl-v0.6.0.tar.gz"))
	assert.Equal(t, want, got)
}

// rerun: a rerun of the completed release changes nothing: same digests, no second signature.
func (x *releaseRun) rerun(t *testing.T) {
	again := x.call("refs/tags/v0.6.0", "publish", "file", "--path", "release.json", "contents")
	require.NoError(t, again.Err, tail(again.Stderr, 40))
	var man2 release.Manifest
	require.NoError(t, json.Unmarshal([]byte(again.Stdout), &man2))
	for _, p := range man2.Pushes {
		assert.Equal(t, x.digests[p.Repository], p.Digest, "rerun digest of %s", p.Repository)
		assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s still signed once", p.Repository)
		assert.Equal(t, 2, attLayers(t, p.Repository, p.Digest), "%s: attestations replaced, not added", p.Repository)
	}
}

// fannedOut: the release fanned out, as release.yml runs it: each artifact in its own job, then
// one job publishes what they built. Same commit and arguments as step 3:
// the assembled release is that very release (same SHA256SUMS, same digests).
func (x *releaseRun) fannedOut(t *testing.T) {
	fanned := checkFanout(t, x.dir, x.out, x.sums, func(terminal string, tail ...string) callResult {
		return x.call("refs/tags/v0.6.0", terminal, tail...)
	})
	sumsBytes, err := os.ReadFile(filepath.Join(x.out, "SHA256SUMS-v0.6.0.txt"))
	require.NoError(t, err)
	assert.Equal(t, string(sumsBytes), readFile(t, filepath.Join(fanned, "SHA256SUMS-v0.6.0.txt")), "the fanned-out release is the one-job release")
	var fm release.Manifest
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(fanned, "release.json"))), &fm))
	assert.Equal(t, x.man.QA, fm.QA, "the jobs' boot checks")
	for _, p := range fm.Pushes {
		assert.Equal(t, x.digests[p.Repository], p.Digest, "fanned-out digest of %s", p.Repository)
		assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s still signed once", p.Repository)
	}
}

// offlineJob: the offline ISO's job of the same release (with-offline-iso), boot-checked.
func (x *releaseRun) offlineJob(t *testing.T) {
	checkOfflineJob(t, x.dir, filepath.Join(x.dir, "built"), func(offline bool, terminal string, tail ...string) callResult {
		x.withOffline = offline
		defer func() { x.withOffline = false }()
		return x.call("refs/tags/v0.6.0", terminal, tail...)
	})
}

// preRelease: a pre-release gets its own tag only: latest and v0.6 stay on v0.6.0
// (`tags` reads the registry as publish does, before anything is built)
func (x *releaseRun) preRelease(t *testing.T) {
	x.registryOnly = true
	beta := x.call("refs/tags/v0.7.0-beta.1", "tags")
	require.NoError(t, beta.Err, tail(beta.Stderr, 40))
	assert.Contains(t, beta.Stdout, "release v0.7.0-beta.1  channel beta  prerelease true\n")
	assert.Contains(t, beta.Stdout, "\ntags: v0.7.0-beta.1 beta\n", "the moving beta tag: the highest pre-release")
	assertNothingBuilt(t, beta)
}

// immutable: a published version never changes: the same version from another commit is refused before any build.
func (x *releaseRun) immutable(t *testing.T) {
	other := x.callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "publish")
	require.Error(t, other.Err)
	assert.Contains(t, other.Stderr, "is already published from commit "+releaseSHA)
	assertNothingBuilt(t, other)
	refused := x.callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "tags")
	require.Error(t, refused.Err)
	assert.Contains(t, refused.Stderr, "is already published from commit "+releaseSHA)
}

// registryTags: the registry's tags count even when the given ones miss them: an older
// patch release told only of v0.5.0 moves neither latest nor anything of v0.6
func (x *releaseRun) registryTags(t *testing.T) {
	older := x.call("refs/tags/v0.5.1", "tags")
	require.NoError(t, older.Err, tail(older.Stderr, 40))
	assert.Contains(t, older.Stdout, "release v0.5.1  channel stable  prerelease false\n")
	assert.Contains(t, older.Stdout, "\ntags: v0.5.1 v0.5\n")
	assertNothingBuilt(t, older)
	x.registryOnly = false
}

// forced: --force overwrites a published version from another commit, and says
// so; published without the QA gate (the plan and the notes say so), with
// the offline ISO (its own signed artifact, in the notes and the SBOM)
func (x *releaseRun) forced(t *testing.T) {
	x.force, x.skipQa, x.withOffline = true, true, true
	forcedDir := filepath.Join(x.dir, "forced")
	forced := x.callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "publish", "export", "--path", forcedDir)
	x.force, x.skipQa, x.withOffline = false, false, false
	require.NoError(t, forced.Err, tail(forced.Stderr, 40))
	plan := readFile(t, filepath.Join(forcedDir, "PLAN.txt"))
	assert.Contains(t, plan, "FORCED: "+x.prefix+"/unison-platform:v0.6.0 was published from commit "+releaseSHA+" and is OVERWRITTEN by commit fedcba98")
	var forcedMan release.Manifest
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(forcedDir, "release.json"))), &forcedMan))
	assert.True(t, forcedMan.QA.Skipped, "published with --skip-qa")
	assert.Contains(t, plan, "qa: SKIPPED (--skip-qa)")
	assert.Contains(t, readFile(t, filepath.Join(forcedDir, "RELEASE_NOTES.md")), "> **Warning:** SKIPPED (--skip-qa)")
	checkOfflineRelease(t, forcedDir, "v0.6.0", forcedMan)
	_, fcf, err := remoteImage(t, x.prefix+"/unison-platform:v0.6.0")
	require.NoError(t, err)
	assert.Equal(t, "fedcba9876543210fedcba9876543210fedcba98", fcf.Config.Labels["org.opencontainers.image.revision"])
}

// nightlies: two commits of main built on one day (channels.yml passes the
// run's UTC day). The first would take edge-main-20261207 and the moving
// edge-main and edge (its plan, read from the registry); the day's first
// build is then in the registry under the dated tag (the release's own
// image of commit releaseSHA, tagged as a first nightly's push leaves it:
// a publish of its own would only repeat step 3's pushes), and the second
// finds that tag from the first commit and is published, not refused,
// under the moving tags and its sha only: the dated tag stays the day's
// first build.
func (x *releaseRun) nightlies(t *testing.T) {
	x.skipQa, x.nightly = true, []string{"with-nightly", "--date", "2026-12-07", "--branches", "main", "--branches", "develop"}
	x.registryOnly = true
	first := x.callAt(releaseSHA, "refs/heads/main", "tags")
	x.registryOnly = false
	require.NoError(t, first.Err, tail(first.Stderr, 40))
	assert.Contains(t, first.Stdout, "release edge-main-20261207  channel nightly  prerelease true\n")
	assert.Contains(t, first.Stdout, "\ntags: edge-main-20261207 edge-main edge sha-89abcde\n")
	assert.NotContains(t, first.Stdout, "NOTE:")
	assertNothingBuilt(t, first)
	platform := x.prefix + "/" + x.repos[0]
	src, err := name.ParseReference(platform+"@"+x.digests[platform], name.Insecure)
	require.NoError(t, err)
	desc, err := remote.Get(src, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err, "the release's own %s", src)
	dated, err := name.NewTag(platform+":edge-main-20261207", name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Tag(dated, desc, remote.WithTransport(registryTransport(t))))
	const second = "fedcba9876543210fedcba9876543210fedcba98"
	again2 := x.callAt(second, "refs/heads/main", "publish", "export", "--path", filepath.Join(x.dir, "nightly2"))
	require.NoError(t, again2.Err, tail(again2.Stderr, 40))
	plan2 := readFile(t, filepath.Join(x.dir, "nightly2", "PLAN.txt"))
	assert.Contains(t, plan2, "NOTE: edge-main-20261207 stays the day's first build (commit "+releaseSHA+"); this build, commit "+second+", is published as edge-main edge sha-fedcba9")
	assert.Contains(t, plan2, "tags: edge-main edge sha-fedcba9\n")
	for tag, want := range map[string]string{"edge-main-20261207": releaseSHA, "edge-main": second, "edge": second, "sha-fedcba9": second} {
		for _, r := range x.repos[:1] {
			_, cf, err := remoteImage(t, x.prefix+"/"+r+":"+tag)
			require.NoError(t, err, tag)
			assert.Equal(t, want, cf.Config.Labels["org.opencontainers.image.revision"], "%s:%s", r, tag)
		}
	}
	x.registryOnly = true
	// a branch outside the nightly set, and a build date that is not a date: refused before any build
	x.nightly = []string{"with-nightly", "--branches", "main"}
	outside := x.callAt(second, "refs/heads/feature/x", "tags")
	require.Error(t, outside.Err)
	assert.Contains(t, outside.Stderr, `branch "feature/x" gets no nightlies: the nightly branches are main`)
	assertNothingBuilt(t, outside)
	x.nightly = []string{"with-nightly", "--date", "2026-13-01"}
	badDate := x.callAt(second, "refs/heads/main", "tags")
	require.Error(t, badDate.Err)
	assert.Contains(t, badDate.Stderr, `date "2026-13-01": want a calendar date as YYYY-MM-DD or YYYYMMDD`)
	x.nightly, x.registryOnly, x.skipQa = nil, false, false
	t.Logf("nightlies: the first's plan %.1fs, the second of the day published %.1fs", first.Took.Seconds(), again2.Took.Seconds())
}
