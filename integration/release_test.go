package integration

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	c, ctx := connect(t)
	// each numbered step is a subtest; a failed one stops the rest (they build on it)
	cur := t
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, func(st *testing.T) { cur = st; defer func() { cur = t }(); f(st) }) {
			t.FailNow()
		}
	}
	reg := sharedRegistry(t)
	dir := outDir(t)
	iso := filepath.Join(dir, "standin-live-server.iso")
	cloud := filepath.Join(dir, "standin-cloudimg.qcow2")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", iso)
	// as the VM ships: first boot installs Docker and Compose v2 from the archive
	mustCall(t, 20*time.Minute, "lab", "standin-cloud-image", "export", "--path", cloud)
	probe := filepath.Join(dir, "probe")
	mustCall(t, 10*time.Minute, "lab", "probe-boot", "export", "--path", probe)
	key, pub := cosignKeyPair(ctx, t, c, filepath.Join(dir, "keys"))
	t.Setenv("UNISON_TEST_COSIGN_KEY", key)
	t.Setenv("UNISON_TEST_COSIGN_PASSWORD", cosignPassword)

	owner := "rel" + time.Now().UTC().Format("150405")
	prefix := reg + "/" + owner
	// the service images live in the test registry: releases pin them by
	// digest, and the QA gate's VM runs them (the reference services)
	refPrefix, _ := referencePlatform(t)
	svcPrefix := reg + "/" + owner + "svc"
	images := imagesFor(t, svcPrefix)
	svcDigests := map[string]string{}
	for _, svc := range []string{"orchestrator", "inference", "auth"} {
		svcDigests[svc] = copyServiceImage(t, refPrefix, svcPrefix, svc)
	}
	const sha = "89abcdef0123456789abcdef0123456789abcdef"
	const created = "2026-11-21T09:30:00Z"
	// the QA gate boots the stand-in VM disk with the probe kernel (it has no
	// boot loader), with the default accelerator (auto: KVM where a probe boot
	// with it works, else TCG); its Docker pulls from the lab registry over plain HTTP
	qaOK := []string{"with-qa", "--boot-files", probe, "--insecure-registry", reg, "--health-timeout", "300"}
	qa := qaOK
	skipQa, force, withOffline := false, false, false
	var nightly []string // with-nightly and its arguments, right after the constructor
	pubFile := filepath.Join(dir, "keys", "cosign.pub")
	trust := []string{"with-service-trust", "--key", pubFile}
	// registryOnly: a call that reads the registry and builds nothing
	// (tags, a refused publish) names no media, limits or QA: each link of a
	// chain is a module call, and a new ref or commit runs every link again
	registryOnly := false
	// publish (or dry-run) is the last step of the chain; tail is what follows it (export, file ...)
	callAt := func(commit, ref, terminal string, tail ...string) callResult {
		a := []string{"--images", images, "release", "--ref", ref, "--sha", commit, "--commit-time", created,
			"--registry", reg, "--owner", owner, "--platform-version", "0.6.0", fmt.Sprintf("--skip-qa=%t", skipQa), fmt.Sprintf("--force=%t", force)}
		// existing tags default from the checkout: pass them, as release.yml does
		if strings.HasPrefix(ref, "refs/tags/v0.7") {
			a = append(a, "--existing-tags", "v0.6.0")
		} else {
			a = append(a, "--existing-tags", "v0.5.0")
		}
		a = append(a, nightly...)
		// a public release, as release.yml makes: no operator credentials in any artifact
		if !registryOnly {
			a = append(a, "with-base-iso", "--file", iso, "with-base-image", "--file", cloud,
				// small limits so that the stand-ins exercise splitting: 64 MiB and more is split into 40 MiB parts
				"with-asset-limit", "--limit-mib", "64", "--part-size-mib", "40")
		}
		a = append(a, "with-signing-key", "--key", "env:UNISON_TEST_COSIGN_KEY", "--password", "env:UNISON_TEST_COSIGN_PASSWORD")
		// the service images are signed with the test key (as a site signing with a key does)
		a = append(a, trust...)
		// the shared registry refuses anonymous writes (airgap.sh env)
		a = append(a, registryAuthArgs()...)
		if withOffline {
			a = append(a, "with-offline-iso")
		}
		if !registryOnly {
			a = append(a, qa...)
		}
		a = append(a, terminal)
		return daggerCall(cur, 40*time.Minute, append(a, tail...)...)
	}
	call := func(ref, terminal string, tail ...string) callResult { return callAt(sha, ref, terminal, tail...) }
	repos := []string{"unison-platform", "unisonos-baremetal", "unisonos-linux-vm", "unisonos-wsl", "unison-platform-bundle"}
	stable := []string{"v0.6.0", "v0.6", "latest"}

	// what the completed release (step 3) leaves for the steps after it
	var out string
	var man release.Manifest
	var sums map[string]string
	digests := map[string]string{}

	step("0 unpinned service image refused", func(t *testing.T) {
		// 0. a service image whose tag the registry does not hold cannot be pinned:
		// publish refuses before building anything
		unpinned := call("refs/tags/v0.6.0", "publish")
		require.Error(t, unpinned.Err)
		assert.Contains(t, unpinned.Stderr, "could not be resolved to a digest (releases and offline builds pin every image)")
		assert.Contains(t, unpinned.Stderr, svcPrefix+"/unison-context:v0.6.0")
		assertNothingBuilt(t, unpinned)
		svcDigests["context"] = copyServiceImage(t, refPrefix, svcPrefix, "context")
	})
	step("0a unsigned service images refused", func(t *testing.T) {
		// 0a. every service image pinned must carry a signature the release
		// trusts: unsigned ones are refused, naming each, before anything is built
		unsigned := call("refs/tags/v0.6.0", "publish")
		require.Error(t, unsigned.Err)
		assert.Contains(t, unsigned.Stderr, "service images: no signature from the key given to with-service-trust on:")
		for _, svc := range []string{"orchestrator", "inference", "auth", "context"} {
			assert.Contains(t, unsigned.Stderr, svc+" ("+svcPrefix+"/"+strings.SplitN(serviceTags[svc], ":", 2)[0]+"@"+svcDigests[svc]+")")
		}
		assert.Contains(t, unsigned.Stderr, "or, for an image from elsewhere, with-service-trust --unsigned SERVICE")
		assertNothingBuilt(t, unsigned)
		trust = []string{"with-service-trust", "--key", pubFile, "--unsigned", "nosuch"}
		unknown := call("refs/tags/v0.6.0", "publish")
		require.Error(t, unknown.Err)
		assert.Contains(t, unknown.Stderr, `unsigned "nosuch": no such service in platform 0.6.0 (its services: `)
		trust = []string{"with-service-trust", "--key", pubFile}
		for svc, d := range svcDigests {
			cosignSign(ctx, t, c, key, svcPrefix+"/"+strings.SplitN(serviceTags[svc], ":", 2)[0]+"@"+d)
		}
	})
	step("0b QA gate stops a hung boot", func(t *testing.T) {
		// 0b. the QA gate boots what would be published: a VM disk that never finishes
		// booting stops the release before anything is signed or pushed
		qa = []string{"with-qa", "--boot-files", probe, "--accel", "tcg", "--kernel-args", "probe=hang console=ttyS0", "--boot-timeout", "30"}
		hung := call("refs/tags/v0.6.0", "dry-run", "file", "--path", "PLAN.txt", "contents")
		require.Error(t, hung.Err)
		assert.Contains(t, hung.Stderr, "qa: the release failed its boot checks; nothing was signed or pushed")
		assert.Contains(t, hung.Stderr, "FAIL boot")
		qa = qaOK
	})
	step("1 dry run", func(t *testing.T) {
		// 1. dry run: everything built, verified and boot-checked, the plan printed, nothing pushed
		dry := call("refs/tags/v0.6.0", "dry-run", "file", "--path", "PLAN.txt", "contents")
		require.NoError(t, dry.Err, tail(dry.Stderr, 60))
		for _, want := range []string{"release v0.6.0  channel stable  prerelease false  (dry run: nothing pushed)",
			"qa (booted before signing):\n  qa-smoke: PASSED (49 checks, 0 failed)\n  qa-smoke-iso: PASSED (5 checks, 0 failed)\n",
			"would push:", "image " + prefix + "/unison-platform", "tags: v0.6.0 v0.6 latest",
			"unisonos-baremetal-v0.6.0.iso", "over the asset limit", "service images (the compose file runs these digests):",
			svcPrefix + "/unison-inference@" + svcDigests["inference"], "unisonos-wsl-v0.6.0.spdx.json", "unisonos-wsl-v0.6.0.intoto.json"} {
			assert.Contains(t, dry.Stdout, want)
		}
		assert.Contains(t, dry.Stdout, "  signatures checked: the key given to with-service-trust\n")
		// one plan and one service set for the whole call, chain included (each logs one line)
		assert.Equal(t, 1, strings.Count(dry.Stderr, "release: plan v0.6.0 (channel stable)"), "the plan is computed once")
		assert.Equal(t, 1, strings.Count(dry.Stderr, "images/compat.yaml: platform 0.6.0: "), "the service set is resolved once")
		assert.NotContains(t, dry.Stdout, "NOT PINNED")
		// the gate's reports, as a user reads them: the platform as it ships, running
		qaDir := filepath.Join(dir, "qa")
		reports := call("refs/tags/v0.6.0", "qa-reports", "export", "--path", qaDir)
		require.NoError(t, reports.Err, tail(reports.Stderr, 40))
		checkPlatformReport(t, filepath.Join(qaDir, "qa-smoke"), regexp.QuoteMeta(svcPrefix+"/unison-inference@"+svcDigests["inference"]))
		assert.Contains(t, readFile(t, filepath.Join(qaDir, "qa-smoke-iso", "summary.txt")), "qa-smoke-iso: PASSED (5 checks, 0 failed)")
		t.Logf("qa-reports after the dry run: %.1fs", reports.Took.Seconds())
		for _, r := range repos {
			_, err := tagDigest(t, prefix+"/"+r+":v0.6.0")
			assert.Error(t, err, "dry run pushed %s", r)
		}
	})
	step("2 failed push leaves no tag", func(t *testing.T) {
		// 2. the registry refuses the WSL artifact's manifest: the release fails,
		// and no tag exists anywhere (content goes first, tags last). Arming that
		// failure takes the engine start's token: anyone else gets 401.
		assert.Equal(t, http.StatusUnauthorized, postFault(t, reg, "", 1000, ""), "fault endpoint without a token")
		assert.Equal(t, http.StatusUnauthorized, postFault(t, reg, "", 1000, "not-the-token"), "fault endpoint with a wrong token")
		fault(t, reg, owner+"/unisonos-wsl/manifests/", 1000)
		failed := call("refs/tags/v0.6.0", "publish")
		fault(t, reg, "", 0)
		require.Error(t, failed.Err, "the release must fail when a push fails")
		assert.Contains(t, failed.Stderr, "injected failure")
		for _, r := range repos {
			for _, tag := range stable {
				_, err := tagDigest(t, prefix+"/"+r+":"+tag)
				assert.Error(t, err, "%s:%s tagged although the release failed", r, tag)
			}
		}
	})
	step("3 rerun completes the release", func(t *testing.T) {
		// 3. the rerun completes the release
		out = filepath.Join(dir, "release")
		ok := call("refs/tags/v0.6.0", "publish", "export", "--path", out)
		require.NoError(t, ok.Err, tail(ok.Stderr, 60))
		assert.Equal(t, 1, strings.Count(ok.Stderr, "release: plan v0.6.0 (channel stable)"), "the plan is computed once")
		assert.Equal(t, 1, strings.Count(ok.Stderr, "images/compat.yaml: platform 0.6.0: "), "the service set is resolved once")
		b, err := os.ReadFile(filepath.Join(out, "release.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &man))
		assert.Equal(t, "v0.6.0", man.Version)
		assert.Equal(t, "stable", man.Channel)
		assert.False(t, man.DryRun)
		assert.Equal(t, release.QA{Suites: []string{"qa-smoke: PASSED (49 checks, 0 failed)", "qa-smoke-iso: PASSED (5 checks, 0 failed)"}}, man.QA)
		assert.Contains(t, readFile(t, filepath.Join(out, "RELEASE_NOTES.md")), "## QA\n\nBooted in QEMU and checked before signing:")
		// public: the ISO's installer asks for the admin and the keys; nothing of an operator is in it
		ud := extractUserData(t, filepath.Join(out, "unisonos-baremetal-v0.6.0.iso"))
		assert.Contains(t, ud, "interactive-sections:")
		assert.NotContains(t, ud, "ssh-ed25519")
		require.Len(t, man.Pushes, len(repos))

		// checksums: every attached file, and the wholes of split files
		sums = readSums(t, filepath.Join(out, "SHA256SUMS-v0.6.0.txt"))
		entries, err := os.ReadDir(out)
		require.NoError(t, err)
		attached := 0
		for _, e := range entries {
			if want, ok := sums[e.Name()]; ok {
				assert.Equal(t, want, fileSHA(t, filepath.Join(out, e.Name())), e.Name())
				attached++
			}
		}
		assert.Equal(t, len(man.Assets), attached, "every attached asset is in SHA256SUMS")
		require.NotEmpty(t, man.Split, "the stand-in WSL rootfs and VM disk exceed 64 MiB")
		for _, whole := range man.Split {
			_, err := os.Stat(filepath.Join(out, whole.Name))
			assert.True(t, os.IsNotExist(err), "%s over the limit is attached as parts only", whole.Name)
			parts, _ := filepath.Glob(filepath.Join(out, whole.Name+".part*"))
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
			assert.Equal(t, sums[whole.Name], got, "%s reassembled from its parts", whole.Name)
			assert.Equal(t, whole.SHA256, got)
			note, err := os.ReadFile(filepath.Join(out, "REASSEMBLE-"+whole.Name+".txt"))
			require.NoError(t, err)
			assert.Contains(t, string(note), got)
		}
		notes, err := os.ReadFile(filepath.Join(out, "RELEASE_NOTES.md"))
		require.NoError(t, err)
		for _, want := range []string{"# UnisonOS v0.6.0", "Channel: stable", "orchestrator: `v0.6.0`", sums["unisonos-baremetal-v0.6.0.iso"]} {
			assert.Contains(t, string(notes), want)
		}
		verify, err := os.ReadFile(filepath.Join(out, "VERIFY.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(verify), "El Torito boot img :   2  UEFI")
		assert.Contains(t, string(verify), "unisonos-linux-vm-v0.6.0.qcow2: qemu-img check clean")
		pubOut, err := os.ReadFile(filepath.Join(out, "cosign.pub"))
		require.NoError(t, err)
		assert.Equal(t, pub, string(pubOut), "cosign.pub is the signing key's public half")

		// the checksums' signature verifies with the standard tool; a changed file does not
		sumsText, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS-v0.6.0.txt"))
		sig, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS-v0.6.0.txt.sig"))
		blob := func(content string) (string, error) {
			return c.Container().From(cosignImage()).WithEnvVariable("HOME", "/tmp").
				WithNewFile("/v/cosign.pub", pub).WithNewFile("/v/sums.txt", content).WithNewFile("/v/sums.sig", string(sig)).
				WithExec([]string{"/ko-app/cosign", "verify-blob", "--key", "/v/cosign.pub", "--signature", "/v/sums.sig",
					"--insecure-ignore-tlog", "/v/sums.txt"}).Stderr(ctx)
		}
		vo, err := blob(string(sumsText))
		require.NoError(t, err)
		assert.Contains(t, vo, "Verified OK")
		_, err = blob(strings.Replace(string(sumsText), "0", "1", 1))
		assert.Error(t, err, "a tampered SHA256SUMS must not verify")

		// pinned contents, SBOMs and provenance statements, attested in the registry
		checkPinned(t, out, man, svcPrefix, svcDigests)
		checkSBOMs(t, out, "v0.6.0", sums, svcDigests)
		checkProvenanceFiles(t, out, "v0.6.0", sha, fileSHA(t, iso), sums)
		for _, p := range man.Pushes {
			verifyAttestations(ctx, t, c, pub, p)
			assert.Equal(t, 2, attLayers(t, p.Repository, p.Digest), "%s: an SBOM and a provenance attestation", p.Repository)
		}

		// registry: every tag on the pushed digest, labels, artifact layout, one signature each
		for _, p := range man.Pushes {
			require.True(t, strings.HasPrefix(p.Digest, "sha256:"), p.Repository)
			assert.Equal(t, stable, p.Tags, p.Repository)
			for _, tag := range p.Tags {
				d, err := tagDigest(t, p.Repository+":"+tag)
				require.NoError(t, err, "%s:%s", p.Repository, tag)
				assert.Equal(t, p.Digest, d, "%s:%s", p.Repository, tag)
			}
			digests[p.Repository] = p.Digest
			out, err := cosignVerify(ctx, c, pub, "verify", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
				"--allow-http-registry", "--allow-insecure-registry", p.Repository+"@"+p.Digest)
			require.NoError(t, err, "cosign verify %s", p.Repository)
			assert.Contains(t, out, p.Digest)
			assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s signed once", p.Repository)
		}
		_, cf, err := remoteImage(t, prefix+"/unison-platform:latest")
		require.NoError(t, err)
		assert.Equal(t, "v0.6.0", cf.Config.Labels["org.opencontainers.image.version"])
		assert.Equal(t, sha, cf.Config.Labels["org.opencontainers.image.revision"])
		assert.Equal(t, created, cf.Config.Labels["org.opencontainers.image.created"])
		assert.Equal(t, "stable", cf.Config.Labels["unison.channel"])
		// reproducible: dated at the commit, not when it was pushed (the fan-out below pushes the same digest)
		assert.Equal(t, created, cf.Created.UTC().Format(time.RFC3339), "the platform image's config date")
		for _, h := range cf.History {
			assert.Equal(t, created, h.Created.UTC().Format(time.RFC3339), "the platform image's history date")
		}
		platformRef, _ := name.ParseReference(prefix+"/unison-platform:latest", name.Insecure)
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
			assert.Equal(t, created, h.ModTime.UTC().Format(time.RFC3339), h.Name)
		}
		lr.Close()
		assert.Contains(t, inImage, "opt/unison-platform/compose.yaml")
		assert.Contains(t, inImage, "opt/unison-platform/installer/install-docker.sh")

		ref, _ := name.ParseReference(prefix+"/unisonos-wsl:v0.6.0", name.Insecure)
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
			"unisonos-v0.6.0.wsl":               sums["unisonos-v0.6.0.wsl"],
			"unisonos-wsl-rootfs-v0.6.0.tar.gz": sums["unisonos-wsl-rootfs-v0.6.0.tar.gz"],
			"unisonos-wsl-v0.6.0.tar.gz":        sums["unisonos-wsl-v0.6.0.tar.gz"],
		}, titles, "artifact layers are the released files (digest = SHA-256)")
		// a layer read back is byte-identical to the release file
		bref, _ := name.ParseReference(prefix+"/unisonos-wsl@sha256:"+sums["unisonos-wsl-v0.6.0.tar.gz"], name.Insecure)
		layer, err := remote.Layer(bref.(name.Digest), remote.WithTransport(registryTransport(t)))
		require.NoError(t, err)
		rc, err := layer.Compressed()
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		want, _ := os.ReadFile(filepath.Join(out, "unisonos-wsl-v0.6.0.tar.gz"))
		assert.Equal(t, want, got)
	})
	step("4 rerun changes nothing", func(t *testing.T) {
		// 4. a rerun of the completed release changes nothing: same digests, no second signature
		again := call("refs/tags/v0.6.0", "publish", "file", "--path", "release.json", "contents")
		require.NoError(t, again.Err, tail(again.Stderr, 40))
		var man2 release.Manifest
		require.NoError(t, json.Unmarshal([]byte(again.Stdout), &man2))
		for _, p := range man2.Pushes {
			assert.Equal(t, digests[p.Repository], p.Digest, "rerun digest of %s", p.Repository)
			assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s still signed once", p.Repository)
			assert.Equal(t, 2, attLayers(t, p.Repository, p.Digest), "%s: attestations replaced, not added", p.Repository)
		}
	})
	step("4b fanned out", func(t *testing.T) {
		// 4b. fanned out, as release.yml runs it: each artifact in its own job, then
		// one job publishes what they built. Same commit and arguments as step 3:
		// the assembled release is that very release (same SHA256SUMS, same digests).
		fanned := checkFanout(t, dir, sums, func(terminal string, tail ...string) callResult {
			return call("refs/tags/v0.6.0", terminal, tail...)
		})
		sumsBytes, err := os.ReadFile(filepath.Join(out, "SHA256SUMS-v0.6.0.txt"))
		require.NoError(t, err)
		assert.Equal(t, string(sumsBytes), readFile(t, filepath.Join(fanned, "SHA256SUMS-v0.6.0.txt")), "the fanned-out release is the one-job release")
		var fm release.Manifest
		require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(fanned, "release.json"))), &fm))
		assert.Equal(t, man.QA, fm.QA, "the jobs' boot checks")
		for _, p := range fm.Pushes {
			assert.Equal(t, digests[p.Repository], p.Digest, "fanned-out digest of %s", p.Repository)
			assert.Equal(t, 1, sigLayers(t, p.Repository, p.Digest), "%s still signed once", p.Repository)
		}
	})
	step("4c offline ISO job", func(t *testing.T) {
		// 4c. the offline ISO's job of the same release (with-offline-iso), boot-checked
		checkOfflineJob(t, dir, filepath.Join(dir, "built"), func(offline bool, terminal string, tail ...string) callResult {
			withOffline = offline
			defer func() { withOffline = false }()
			return call("refs/tags/v0.6.0", terminal, tail...)
		})
	})
	step("5 pre-release tags", func(t *testing.T) {
		// 5. a pre-release gets its own tag only: latest and v0.6 stay on v0.6.0
		// (`tags` reads the registry as publish does, before anything is built)
		registryOnly = true
		beta := call("refs/tags/v0.7.0-beta.1", "tags")
		require.NoError(t, beta.Err, tail(beta.Stderr, 40))
		assert.Contains(t, beta.Stdout, "release v0.7.0-beta.1  channel beta  prerelease true\n")
		assert.Contains(t, beta.Stdout, "\ntags: v0.7.0-beta.1 beta\n", "the moving beta tag: the highest pre-release")
		assertNothingBuilt(t, beta)
	})
	step("6 published version never changes", func(t *testing.T) {
		// 6. a published version never changes: the same version from another commit is refused before any build
		other := callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "publish")
		require.Error(t, other.Err)
		assert.Contains(t, other.Stderr, "is already published from commit "+sha)
		assertNothingBuilt(t, other)
		refused := callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "tags")
		require.Error(t, refused.Err)
		assert.Contains(t, refused.Stderr, "is already published from commit "+sha)
	})
	step("7 registry tags count", func(t *testing.T) {
		// 7. the registry's tags count even when the given ones miss them: an older
		// patch release told only of v0.5.0 moves neither latest nor anything of v0.6
		older := call("refs/tags/v0.5.1", "tags")
		require.NoError(t, older.Err, tail(older.Stderr, 40))
		assert.Contains(t, older.Stdout, "release v0.5.1  channel stable  prerelease false\n")
		assert.Contains(t, older.Stdout, "\ntags: v0.5.1 v0.5\n")
		assertNothingBuilt(t, older)
		registryOnly = false
	})
	step("8 forced overwrite", func(t *testing.T) {
		// 8. --force overwrites a published version from another commit, and says
		// so; published without the QA gate (the plan and the notes say so), with
		// the offline ISO (its own signed artifact, in the notes and the SBOM)
		force, skipQa, withOffline = true, true, true
		forcedDir := filepath.Join(dir, "forced")
		forced := callAt("fedcba9876543210fedcba9876543210fedcba98", "refs/tags/v0.6.0", "publish", "export", "--path", forcedDir)
		force, skipQa, withOffline = false, false, false
		require.NoError(t, forced.Err, tail(forced.Stderr, 40))
		plan := readFile(t, filepath.Join(forcedDir, "PLAN.txt"))
		assert.Contains(t, plan, "FORCED: "+prefix+"/unison-platform:v0.6.0 was published from commit "+sha+" and is OVERWRITTEN by commit fedcba98")
		var forcedMan release.Manifest
		require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(forcedDir, "release.json"))), &forcedMan))
		assert.True(t, forcedMan.QA.Skipped, "published with --skip-qa")
		assert.Contains(t, plan, "qa: SKIPPED (--skip-qa)")
		assert.Contains(t, readFile(t, filepath.Join(forcedDir, "RELEASE_NOTES.md")), "> **Warning:** SKIPPED (--skip-qa)")
		checkOfflineRelease(t, forcedDir, "v0.6.0", forcedMan)
		_, fcf, err := remoteImage(t, prefix+"/unison-platform:v0.6.0")
		require.NoError(t, err)
		assert.Equal(t, "fedcba9876543210fedcba9876543210fedcba98", fcf.Config.Labels["org.opencontainers.image.revision"])
	})
	step("9 nightlies", func(t *testing.T) {
		// 9. nightlies: two commits of main published on one day (channels.yml
		// passes the run's UTC day). The first takes edge-main-20261207 and the
		// moving edge-main and edge; the second finds that tag from the first
		// commit and is published, not refused, under the moving tags and its
		// sha only: the dated tag stays the day's first build.
		skipQa, nightly = true, []string{"with-nightly", "--date", "2026-12-07", "--branches", "main", "--branches", "develop"}
		first := callAt(sha, "refs/heads/main", "publish", "export", "--path", filepath.Join(dir, "nightly1"))
		require.NoError(t, first.Err, tail(first.Stderr, 40))
		plan1 := readFile(t, filepath.Join(dir, "nightly1", "PLAN.txt"))
		assert.Contains(t, plan1, "release edge-main-20261207  channel nightly  prerelease true  (published)")
		assert.Contains(t, plan1, "tags: edge-main-20261207 edge-main edge sha-89abcde\n")
		assert.NotContains(t, plan1, "NOTE:")
		const second = "fedcba9876543210fedcba9876543210fedcba98"
		again2 := callAt(second, "refs/heads/main", "publish", "export", "--path", filepath.Join(dir, "nightly2"))
		require.NoError(t, again2.Err, tail(again2.Stderr, 40))
		plan2 := readFile(t, filepath.Join(dir, "nightly2", "PLAN.txt"))
		assert.Contains(t, plan2, "NOTE: edge-main-20261207 stays the day's first build (commit "+sha+"); this build, commit "+second+", is published as edge-main edge sha-fedcba9")
		assert.Contains(t, plan2, "tags: edge-main edge sha-fedcba9\n")
		for tag, want := range map[string]string{"edge-main-20261207": sha, "sha-89abcde": sha, "edge-main": second, "edge": second, "sha-fedcba9": second} {
			for _, r := range repos[:1] {
				_, cf, err := remoteImage(t, prefix+"/"+r+":"+tag)
				require.NoError(t, err, tag)
				assert.Equal(t, want, cf.Config.Labels["org.opencontainers.image.revision"], "%s:%s", r, tag)
			}
		}
		registryOnly = true
		// a branch outside the nightly set, and a build date that is not a date: refused before any build
		nightly = []string{"with-nightly", "--branches", "main"}
		outside := callAt(second, "refs/heads/feature/x", "tags")
		require.Error(t, outside.Err)
		assert.Contains(t, outside.Stderr, `branch "feature/x" gets no nightlies: the nightly branches are main`)
		assertNothingBuilt(t, outside)
		nightly = []string{"with-nightly", "--date", "2026-13-01"}
		badDate := callAt(second, "refs/heads/main", "tags")
		require.Error(t, badDate.Err)
		assert.Contains(t, badDate.Stderr, `date "2026-13-01": want a calendar date as YYYY-MM-DD or YYYYMMDD`)
		nightly, registryOnly, skipQa = nil, false, false
		t.Logf("nightlies: first %.1fs, second of the day %.1fs", first.Took.Seconds(), again2.Took.Seconds())
	})
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
		{"bad qa accel", chain(local, "with-qa", "--accel", "fast", "dry-run"), `accel "fast": want auto, kvm or tcg`},
		{"keyless without a token source", chain(local, "with-keyless", "--certificate-identity", "x", "publish"), "with-keyless: no identity token source"},
		{"keyless with half the request", chain(local, "with-keyless", "--token-request-url", "env:UNISON_TEST_SECRET", "publish"), "give both token-request-url and token-request-token"},
		{"bad service digest", chain(local, "with-service-digests", "--digests", "inference=sha256:xyz", "dry-run"), `digest for "inference": "sha256:xyz" is not sha256:<64 hex>`},
		{"digest of no service", chain(local, "with-service-digests", "--digests", "nope=sha256:"+strings.Repeat("0", 64), "dry-run"), `digest for "nope": not a service`},
		{"builder id not a URI", chain(local, "with-provenance", "--builder-id", "laptop", "dry-run"), `builder-id "laptop": want a URI`},
		{"bad ssh key", chain(local, "with-admin", "--ssh-authorized-keys", "ssh-ed25519", "dry-run"), "ssh-authorized-keys: key 1 is not an OpenSSH public key line"},
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
