package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// serviceTags are the images of platform 0.6.0 (images/compat.yaml).
var serviceTags = map[string]string{"orchestrator": "unison-orchestrator:v0.6.0", "inference": "unison-inference:v0.6.1",
	"auth": "unison-auth:v0.6.0", "context": "unison-context:v0.6.0"}

// copyServiceImage copies the reference service's image of a service (from
// referencePlatform's prefix, by its tag) to prefix, as a release's service
// repositories hold real images the QA gate's VM runs; returns its digest.
func copyServiceImage(t *testing.T, from, prefix, service string) string {
	t.Helper()
	src, err := name.ParseReference(from+"/"+serviceTags[service], name.Insecure)
	require.NoError(t, err)
	img, err := remote.Image(src, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err, "pull %s", src)
	dst, err := name.ParseReference(prefix+"/"+serviceTags[service], name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.Write(dst, img, remote.WithTransport(registryTransport(t))), "push %s", dst)
	d, err := img.Digest()
	require.NoError(t, err)
	return d.String()
}

// imagesFor is a copy of the module's images/ whose compatibility matrix
// names the service images under prefix (the test registry).
func imagesFor(t *testing.T, prefix string) string {
	t.Helper()
	dir := copyImages(t)
	p := filepath.Join(dir, "compat.yaml")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	out := strings.Replace(string(b), "registry: ghcr.io/project-unisonos", "registry: "+prefix, 1)
	require.NotEqual(t, string(b), out)
	require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
	return dir
}

// copyImages is a copy of the module's images/ to change for a test.
func copyImages(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(outDir(t), "images")
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join(repoRoot(t), "images"))))
	return dir
}

// checkPinned: the compose file the release ships runs every service by
// the digest its tag had at release time, and release.json says the same.
func checkPinned(t *testing.T, out string, man release.Manifest, prefix string, digests map[string]string) {
	t.Helper()
	entries, _ := readTarGz(t, filepath.Join(out, "unison-platform-bundle-"+man.Version+".tar.gz"))
	compose, services := "", ""
	for _, e := range entries {
		switch e.hdr.Name {
		case "unison-platform/compose.yaml":
			compose = string(e.body)
		case "unison-platform/services.json":
			services = string(e.body)
		}
	}
	var set compat.Set
	require.NoError(t, json.Unmarshal([]byte(services), &set))
	for svc, tagged := range serviceTags {
		repo, tag, _ := strings.Cut(tagged, ":")
		want := prefix + "/" + repo + "@" + digests[svc]
		assert.Contains(t, compose, "image: "+want+" # "+tag+"\n", svc)
		assert.Equal(t, want, man.Services[svc], svc)
		assert.Equal(t, digests[svc], set.Digests[svc], "services.json records the digest of %s", svc)
	}
	for _, l := range strings.Split(compose, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "image: ") {
			assert.Contains(t, l, "@sha256:", "no image runs by tag")
		}
	}
}

// checkSBOMs parses every artifact's SPDX document with the SPDX library
// and finds the packages known to be in it; each is in SHA256SUMS.
func checkSBOMs(t *testing.T, out, version string, sums map[string]string, digests map[string]string) {
	t.Helper()
	for repo, want := range map[string][]string{
		"unisonos-wsl":           {"base-files", "bash", "dbus"},
		"unisonos-linux-vm":      {"cloud-init", "openssh-server", "ufw", "unattended-upgrades"},
		"unisonos-baremetal":     {"xorriso", "qemu-utils", "unison-inference"},
		"unison-platform-bundle": {"unison-orchestrator", "unison-inference", "unison-auth", "unison-context"},
	} {
		fname := repo + "-" + version + ".spdx.json"
		p := filepath.Join(out, fname)
		require.Equal(t, sums[fname], fileSHA(t, p), "%s in SHA256SUMS", fname)
		f, err := os.Open(p)
		require.NoError(t, err)
		doc, err := spdxjson.Read(f)
		f.Close()
		require.NoError(t, err, fname)
		assert.Equal(t, "SPDX-2.3", doc.SPDXVersion, fname)
		got := map[string]string{}
		for _, pk := range doc.Packages {
			sum := ""
			for _, c := range pk.PackageChecksums {
				sum = c.Value
			}
			got[pk.PackageName] = sum
		}
		for _, w := range want {
			assert.Contains(t, got, w, "%s lists %s (%d packages)", fname, w, len(doc.Packages))
		}
		if repo == "unison-platform-bundle" {
			assert.Equal(t, strings.TrimPrefix(digests["inference"], "sha256:"), got["unison-inference"], "the image package is its digest")
		}
		for n, sum := range sums {
			if strings.HasPrefix(n, repo) && !strings.Contains(n, ".spdx.") && !strings.Contains(n, ".intoto.") && !strings.Contains(n, ".part") {
				assert.Equal(t, sum, got[n], "%s describes %s by its checksum", fname, n)
			}
		}
	}
}

// statement is the part of an in-toto statement the tests read.
type statement struct {
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate struct {
		BuildDefinition struct {
			ResolvedDependencies []struct {
				URI    string            `json:"uri"`
				Digest map[string]string `json:"digest"`
			} `json:"resolvedDependencies"`
		} `json:"buildDefinition"`
		RunDetails struct {
			Builder struct {
				ID string `json:"id"`
			} `json:"builder"`
		} `json:"runDetails"`
	} `json:"predicate"`
}

// checkProvenanceFiles: each attached statement names the released files
// by their checksums and the commit and base media by digest.
func checkProvenanceFiles(t *testing.T, out, version, commit, baseISO string, sums map[string]string) {
	t.Helper()
	for _, repo := range []string{"unisonos-wsl", "unisonos-linux-vm", "unisonos-baremetal", "unison-platform-bundle"} {
		fname := repo + "-" + version + ".intoto.json"
		require.Equal(t, sums[fname], fileSHA(t, filepath.Join(out, fname)), "%s in SHA256SUMS", fname)
		var st statement
		require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, fname))), &st), fname)
		assert.Equal(t, "https://slsa.dev/provenance/v1", st.PredicateType)
		require.NotEmpty(t, st.Subject, fname)
		for _, s := range st.Subject {
			assert.Equal(t, sums[s.Name], s.Digest["sha256"], "%s: subject %s", fname, s.Name)
		}
		deps := st.Predicate.BuildDefinition.ResolvedDependencies
		require.GreaterOrEqual(t, len(deps), 5, fname)
		assert.Equal(t, commit, deps[0].Digest["gitCommit"])
		found := false
		for _, d := range deps {
			assert.NotEmpty(t, d.Digest, "%s: %s pinned by digest", fname, d.URI)
			found = found || d.Digest["sha256"] == baseISO
		}
		assert.True(t, found, "%s names the base ISO by its SHA-256", fname)
	}
}

// verifyAttestations runs cosign verify-attestation (the command the
// README shows) for a pushed manifest: both predicate types verify with
// the release key and are about that digest.
func verifyAttestations(ctx context.Context, t *testing.T, c *dagger.Client, pub string, p release.Push) {
	t.Helper()
	for typ, want := range map[string]string{"slsaprovenance1": "https://slsa.dev/provenance/v1", "spdxjson": "https://spdx.dev/Document"} {
		out, err := cosignVerify(ctx, c, pub, "verify-attestation", "--key", "/v/cosign.pub", "--insecure-ignore-tlog",
			"--allow-http-registry", "--allow-insecure-registry", "--type", typ, p.Repository+"@"+p.Digest)
		require.NoError(t, err, "cosign verify-attestation --type %s %s", typ, p.Repository)
		var env struct {
			Payload string `json:"payload"`
		}
		line, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
		require.NoError(t, json.Unmarshal([]byte(line), &env), out)
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		require.NoError(t, err)
		var st statement
		require.NoError(t, json.Unmarshal(payload, &st))
		assert.Equal(t, want, st.PredicateType, p.Repository)
		require.Len(t, st.Subject, 1)
		assert.Equal(t, strings.TrimPrefix(p.Digest, "sha256:"), st.Subject[0].Digest["sha256"], "%s attestation is about the pushed digest", typ)
	}
}

// attLayers counts the attestations attached to a digest (cosign's .att tag).
func attLayers(t *testing.T, repo, digest string) int { return cosignLayers(t, repo, digest, "att") }

// cosignSign signs an image in the test registry with the test key, as a
// service repository's publish does (service ... with-signing-key).
func cosignSign(ctx context.Context, t *testing.T, c *dagger.Client, key, ref string) {
	t.Helper()
	ctr := c.Container().From(cosignImage()).
		WithEnvVariable("HOME", "/tmp").
		WithSecretVariable("COSIGN_KEY", c.SetSecret("test-cosign-key", key)).
		WithSecretVariable("COSIGN_PASSWORD", c.SetSecret("test-cosign-password", cosignPassword))
	if user, pass := registryCredentials(t); user != "" {
		host, _, _ := strings.Cut(ref, "/")
		cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		ctr = ctr.WithMountedSecret("/tmp/docker/config.json", c.SetSecret("test-registry-auth", cfg)).WithEnvVariable("DOCKER_CONFIG", "/tmp/docker")
	}
	_, err := ctr.WithEnvVariable("BUST", time.Now().String()).
		WithExec([]string{"/ko-app/cosign", "sign", "--yes", "--key", "env://COSIGN_KEY", "--tlog-upload=false",
			"--allow-insecure-registry", "--allow-http-registry", ref}).Sync(ctx)
	require.NoError(t, err, "cosign sign %s", ref)
}
