package integration

import (
	"context"

	"dagger.io/dagger"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// decodedPayloads is the JSON of every DSSE envelope payload cosign
// verify-attestation printed (one envelope a line), compacted.
func decodedPayloads(t *testing.T, out string) string {
	t.Helper()
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var env struct {
			Payload string `json:"payload"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &env), line)
		raw, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(raw, &v))
		compact, _ := json.Marshal(v)
		b.Write(compact)
	}
	return b.String()
}

const (
	sampleSHA  = "0123456789abcdef0123456789abcdef01234567"
	sampleTime = "2026-11-20T10:00:00Z"
)

// serviceBuild runs service-build ... with-registry ... <terminal> (publish or plan).
func serviceBuild(t *testing.T, reg, ref, terminal string, extra ...string) callResult {
	return serviceBuildAt(t, reg, "project-unisonOS", sampleSHA, ref, terminal, extra...)
}

// serviceBuildAt is serviceBuild for an owner and a commit.
func serviceBuildAt(t *testing.T, reg, owner, sha, ref, terminal string, extra ...string) callResult {
	args := []string{"service",
		"--source", filepath.Join(repoRoot(t), "integration", "testdata", "sample-service"),
		"--image-name", "unison-sample", "--domain", "test", "--service-port", "8080",
		"--ref", ref, "--sha", sha, "--commit-time", sampleTime}
	args = append(append(args, extra...), "with-registry", "--registry", reg, "--owner", owner)
	// the shared registry refuses anonymous writes (airgap.sh env); other registries get no credentials
	if user, _ := registryCredentials(t); user != "" && reg == os.Getenv("UNISON_SHARED_REGISTRY") {
		args = append(args, "with-registry-auth", "--username", user, "--secret", "file:"+os.Getenv("UNISON_REGISTRY_PASSWORD_FILE"))
	}
	args = append(args, strings.Fields(terminal)...)
	return daggerCall(t, 15*time.Minute, args...)
}

// service-build against a real registry server: tags, labels and digests are
// read back with go-containerregistry.
func TestServiceBuildPublishes(t *testing.T) {
	requireEngine(t)
	reg := sharedRegistry(t)
	// a repository of its own per run: publish reads the registry's tags, and
	// earlier runs' tags must neither satisfy the checks nor hold latest
	stamp := time.Now().UTC().Format("150405")
	owner := "svc" + stamp
	repo := reg + "/" + owner + "/unison-sample"
	major := "7" + stamp[len(stamp)-1:]
	serviceBuild := func(t *testing.T, reg, ref, terminal string, extra ...string) callResult {
		return serviceBuildAt(t, reg, owner, sampleSHA, ref, terminal, extra...)
	}

	// dry run: prints the plan, pushes nothing
	dry := serviceBuild(t, reg, "refs/tags/v"+major+".2.0", "plan", "--existing-tags", "v"+major+".1.0")
	require.NoError(t, dry.Err, dry.Stderr)
	assert.Contains(t, dry.Stdout, "would push")
	assert.Contains(t, dry.Stdout, repo+":v"+major+".2.0")
	assert.Contains(t, dry.Stdout, repo+":latest")
	_, _, err := remoteImage(t, repo+":v"+major+".2.0")
	require.Error(t, err, "dry run must not push")

	// stable release, highest: v.2.0, v.2, v, latest; signed with a key, its
	// SBOM and provenance attested (reusable-build.yml signs keyless)
	c, ctx := connect(t)
	key, pub := cosignKeyPair(ctx, t, c, filepath.Join(outDir(t), "keys"))
	t.Setenv("UNISON_TEST_COSIGN_KEY", key)
	t.Setenv("UNISON_TEST_COSIGN_PASSWORD", cosignPassword)
	r := serviceBuild(t, reg, "refs/tags/v"+major+".2.0", "with-signing-key --key env:UNISON_TEST_COSIGN_KEY --password env:UNISON_TEST_COSIGN_PASSWORD publish",
		"--existing-tags", "v"+major+".1.0")
	require.NoError(t, r.Err, tail(r.Stderr, 40))
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	require.Len(t, lines, 4, r.Stdout)
	digestRE := regexp.MustCompile(`@(sha256:[0-9a-f]{64})$`)
	var pushed string
	for i, tag := range []string{"v" + major + ".2.0", "v" + major + ".2", "v" + major, "latest"} {
		require.True(t, strings.HasPrefix(lines[i], repo+":"+tag+"@sha256:"), lines[i])
		d := digestRE.FindStringSubmatch(lines[i])[1]
		if pushed == "" {
			pushed = d
		}
		assert.Equal(t, pushed, d, "every tag points at the same digest")
	}
	checkSignedService(ctx, t, c, owner, repo, major, pushed, pub)
	latestBefore, _, err := remoteImage(t, repo+":latest")
	require.NoError(t, err)

	// hotfix of an older minor: v.1.1 and v.1 only; latest and v stay put
	h := serviceBuild(t, reg, "refs/tags/v"+major+".1.1", "publish", "--existing-tags", "v"+major+".1.0", "--existing-tags", "v"+major+".2.0")
	require.NoError(t, h.Err, tail(h.Stderr, 40))
	hl := strings.Split(strings.TrimSpace(h.Stdout), "\n")
	require.Len(t, hl, 2, h.Stdout)
	assert.True(t, strings.HasPrefix(hl[0], repo+":v"+major+".1.1@"))
	assert.True(t, strings.HasPrefix(hl[1], repo+":v"+major+".1@"))
	latestAfter, _, err := remoteImage(t, repo+":latest")
	require.NoError(t, err)
	assert.Equal(t, latestBefore, latestAfter, "a hotfix must not move latest")
	majorAfter, _, err := remoteImage(t, repo+":v"+major)
	require.NoError(t, err)
	assert.Equal(t, latestBefore, majorAfter, "a hotfix must not move the major tag")

	checkServiceBetas(t, reg, owner, repo, major)

	// pull request: built, not pushed
	pr := serviceBuild(t, reg, "refs/pull/7/merge", "publish")
	require.NoError(t, pr.Err, tail(pr.Stderr, 40))
	assert.Contains(t, pr.Stdout, "not pushed")
	_, _, err = remoteImage(t, repo+":pr-7")
	assert.Error(t, err, "pull request images are not pushed")
}

// checkSignedService: the pushed service image's labels; what a user runs:
// its signature and both attestations verify with the key and are about the
// pushed digest.
func checkSignedService(ctx context.Context, t *testing.T, c *dagger.Client, owner, repo, major, pushed, pub string) {
	_, cf, err := remoteImage(t, repo+":v"+major+".2.0")
	require.NoError(t, err)
	l := cf.Config.Labels
	assert.Equal(t, "v"+major+".2.0", l["org.opencontainers.image.version"])
	assert.Equal(t, sampleSHA, l["org.opencontainers.image.revision"])
	assert.Equal(t, sampleTime, l["org.opencontainers.image.created"])
	assert.Equal(t, "https://github.com/"+owner+"/unison-sample", l["org.opencontainers.image.source"])
	assert.Equal(t, "stable", l["unison.channel"])
	assert.Equal(t, "test", l["unison.domain"])
	assert.Contains(t, cf.Config.ExposedPorts, "8080/tcp")
	// what a user runs: the signature and both attestations verify with the
	// key and are about the pushed digest
	_, err = cosignVerify(ctx, c, pub, "verify", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
		"--allow-http-registry", "--allow-insecure-registry", repo+"@"+pushed)
	require.NoError(t, err, "cosign verify of the pushed service image")
	verifyAttestations(ctx, t, c, pub, release.Push{Repository: repo, Digest: pushed})
	out, err := cosignVerify(ctx, c, pub, "verify-attestation", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
		"--allow-http-registry", "--allow-insecure-registry", "--type", "slsaprovenance1", repo+"@"+pushed)
	require.NoError(t, err)
	assert.Contains(t, decodedPayloads(t, out), `"gitCommit":"`+sampleSHA+`"`, "the provenance names the service's commit")
	assert.Contains(t, decodedPayloads(t, out), `"uri":"git+https://github.com/`+owner+`/unison-sample@refs/tags/v`+major+`.2.0"`, "and its repository")
	out, err = cosignVerify(ctx, c, pub, "verify-attestation", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
		"--allow-http-registry", "--allow-insecure-registry", "--type", "spdxjson", repo+"@"+pushed)
	require.NoError(t, err)
	assert.Contains(t, decodedPayloads(t, out), "pkg:deb/debian/base-files@", "the SBOM lists the image's Debian packages")
}

// Bad input fails fast with an error naming the field, before any build.
func TestServiceBuildRejectsBadInput(t *testing.T) {
	requireEngine(t)
	for _, tc := range []struct {
		name, reg, ref, want string
	}{
		{"missing credentials for ghcr.io", "ghcr.io", "refs/tags/v1.0.0", "pushing to ghcr.io needs credentials: add with-registry-auth --username USER --secret env:REGISTRY_TOKEN"},
		{"not a version tag", "ghcr.io", "refs/tags/vfoo", `ref "refs/tags/vfoo"`},
		{"release branch not x.y", "ghcr.io", "refs/heads/release/abc", "release/MAJOR.MINOR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := serviceBuild(t, tc.reg, tc.ref, "publish")
			require.Error(t, r.Err)
			assert.Contains(t, r.Stderr, tc.want)
		})
	}
}

// Build options through with-build, on a real registry: a two-platform index
// (no emulation needed: no RUN) with its labels as index annotations, the
// build argument and target stage applied, the source label from the
// repository URL, a JSON summary; a build secret reaches RUN and no layer.
func TestServiceBuildOptions(t *testing.T) {
	requireEngine(t)
	reg := sharedRegistry(t)
	owner := "opt" + time.Now().UTC().Format("150405")
	repo := reg + "/" + owner + "/unison-sample"
	r := serviceBuildAt(t, reg, owner, sampleSHA, "refs/tags/v1.0.0", "publish --format json",
		"--dockerfile", "Dockerfile.multi", "--platforms", "linux/amd64", "--platforms", "linux/arm64",
		"with-build", "--build-args", "VARIANT=blue", "--target", "final", "--source-url", "https://github.com/"+owner+"/sample-repo")
	require.NoError(t, r.Err, tail(r.Stderr, 40))
	var sum version.Published
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(r.Stdout)), &sum), r.Stdout)
	assert.Equal(t, "v1.0.0", sum.Version)
	assert.True(t, sum.Published)
	assert.Equal(t, []string{"v1.0.0", "v1.0", "v1", "latest"}, sum.Tags)
	require.Len(t, sum.Refs, 4)
	assert.Equal(t, repo+":v1.0.0@"+sum.Digest, sum.Refs[0])

	idxRef, err := name.ParseReference(repo+":v1.0.0", name.Insecure)
	require.NoError(t, err)
	idx, err := remote.Index(idxRef, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	im, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, im.Manifests, 2, "two platforms")
	assert.Equal(t, "https://github.com/"+owner+"/sample-repo", im.Annotations["org.opencontainers.image.source"], "labels are index annotations")
	assert.Equal(t, "v1.0.0", im.Annotations["org.opencontainers.image.version"])
	d, _ := idx.Digest()
	assert.Equal(t, sum.Digest, d.String(), "the summary names the annotated index")
	latest, err := tagDigest(t, repo+":latest")
	require.NoError(t, err)
	assert.Equal(t, d.String(), latest, "every tag on the annotated index")
	_, cf, err := remoteImage(t, repo+":v1.0.0")
	require.NoError(t, err)
	assert.Equal(t, "blue", cf.Config.Labels["sample.variant"], "build argument and target stage applied")

	// a build secret: RUN reads it; no layer of the pushed image holds it
	const secret = "build-secret-value-7f3c"
	t.Setenv("UNISON_TEST_BUILD_SECRETS", "token="+secret+"\n")
	sr := serviceBuildAt(t, reg, owner, sampleSHA, "refs/tags/v1.1.0", "publish",
		"--dockerfile", "Dockerfile.secret", "with-build", "--secrets", "env:UNISON_TEST_BUILD_SECRETS")
	require.NoError(t, sr.Err, tail(sr.Stderr, 40))
	assert.NotContains(t, sr.Stdout+sr.Stderr, secret, "never logged")
	img, err := remote.Image(mustRef(t, repo+":v1.1.0"), remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	layers, err := img.Layers()
	require.NoError(t, err)
	found := ""
	for _, l := range layers {
		rc, err := l.Uncompressed()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		assert.NotContains(t, string(b), secret, "the secret is in a layer")
		if i := strings.Index(string(b), "token.sha256"); i >= 0 {
			found = "yes"
		}
	}
	assert.Equal(t, "yes", found, "RUN saw the secret (it wrote /token.sha256)")

	bad := serviceBuildAt(t, reg, owner, sampleSHA, "refs/tags/v1.2.0", "publish", "with-build", "--build-args", "NPM_TOKEN=x")
	require.Error(t, bad.Err)
	assert.Contains(t, bad.Stderr, "NPM_TOKEN looks like a secret")
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s, name.Insecure)
	require.NoError(t, err)
	return r
}

// The service contract before anything is pushed (reusable-build.yml runs
// `contract`, then publish): the reference service passes as each platform
// service (a models one gets the models mounted); a broken image (root, no
// probe, never listens) is refused naming each broken rule; a new service
// gives its port and health path; bad arguments fail before anything runs.
func TestServiceContract(t *testing.T) {
	requireEngine(t)
	reference := filepath.Join(repoRoot(t), "images", "reference-service")
	contract := func(source, image string, port int, tail ...string) callResult {
		args := []string{"service", "--source", source, "--image-name", image, "--service-port", fmt.Sprint(port),
			"--ref", "refs/tags/v0.6.0", "--sha", sampleSHA, "--commit-time", sampleTime, "contract"}
		return daggerCall(t, 15*time.Minute, append(args, tail...)...)
	}
	for _, svc := range []struct {
		image string
		port  int
	}{{"unison-orchestrator", 8080}, {"unison-inference", 8087}} {
		r := contract(reference, svc.image, svc.port)
		require.NoError(t, r.Err, tail(r.Stderr, 40))
		assert.Contains(t, r.Stdout, "service contract 1 ("+svc.image+"): 3 checks, 0 failed")
		assert.Contains(t, r.Stdout, "ok user: the image runs as 65532:65532")
		assert.Contains(t, r.Stdout, "ok probe: /usr/local/bin/unison-healthcheck exits ")
		assert.Regexp(t, `ok health: GET http://service:`+fmt.Sprint(svc.port)+`/\S+ answered 200`, r.Stdout)
	}
	broken := contract(filepath.Join(repoRoot(t), "integration", "testdata", "sample-service"), "unison-sample", 8080, "--timeout", "10")
	require.Error(t, broken.Err)
	for _, want := range []string{"service contract 1 (unison-sample): 3 checks, 3 failed", "FAIL user: the image runs as \"\"",
		"FAIL probe: no /usr/local/bin/unison-healthcheck", "FAIL start: the image did not start listening on 0.0.0.0:8080", "nothing was pushed"} {
		assert.Contains(t, broken.Stderr, want)
	}
	// an image that is no platform service yet: the port and health path given
	newer := contract(reference, "unison-newsvc", 8099, "--health", "/ready")
	require.NoError(t, newer.Err, tail(newer.Stderr, 40))
	assert.Contains(t, newer.Stdout, "ok health: GET http://service:8099/ready answered 200")
	wrong := contract(reference, "unison-newsvc", 8099, "--health", "ready")
	require.Error(t, wrong.Err)
	assert.Contains(t, wrong.Stderr, `health "ready": want a path such as /health`)
	port := contract(reference, "unison-orchestrator", 9999)
	require.Error(t, port.Err)
	assert.Contains(t, port.Stderr, "service-port 9999: images/compat.yaml runs unison-orchestrator on port 8080")
}

// checkServiceBetas: on a release branch each commit gets the next beta
// (derived from what the registry holds; no git tags given, so the run
// number alone would repeat); a rebuilt commit keeps its number.
func checkServiceBetas(t *testing.T, reg, owner, repo, major string) {
	branch := "refs/heads/release/" + major + ".3"
	betaOf := func(sha string) string {
		b := serviceBuildAt(t, reg, owner, sha, branch, "publish", "--run-number", "5")
		require.NoError(t, b.Err, tail(b.Stderr, 40))
		first, _, _ := strings.Cut(strings.TrimSpace(b.Stdout), "\n")
		ref, _, _ := strings.Cut(first, "@")
		return strings.TrimPrefix(ref, repo+":")
	}
	shaA, shaB := "aaaaaaa"+sampleSHA[7:], "bbbbbbb"+sampleSHA[7:]
	b1, b2 := betaOf(shaA), betaOf(shaB)
	assert.Equal(t, "v"+major+".3.0-beta.1", b1)
	assert.Equal(t, "v"+major+".3.0-beta.2", b2, "another commit never reuses a beta number")
	assert.Equal(t, b1, betaOf(shaA), "the same commit rebuilt keeps its beta")
}
