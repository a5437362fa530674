package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/offline"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// checkOfflineJob runs the offline ISO's fan-out job (with-offline-iso ...
// artifact --name baremetal-iso-offline): the ISO is built from the
// release's pinned images, boot-checked like the online ISO, and its record
// says what the SBOM lists: the medium's Debian packages and the images.
// A release without with-offline-iso refuses the job and its record.
func checkOfflineJob(t *testing.T, dir, built string, call func(offline bool, terminal string, tail ...string) callResult) {
	t.Helper()
	no := call(false, "artifact", "--name", release.OfflineJob)
	require.Error(t, no.Err)
	assert.Contains(t, no.Stderr, "artifact baremetal-iso-offline: chain with-offline-iso before artifact")

	out := filepath.Join(dir, "built-offline")
	j := call(true, "artifact", "--name", release.OfflineJob, "export", "--path", out)
	require.NoError(t, j.Err, tail(j.Stderr, 60))
	t.Logf("artifact job %s: %.1fs", release.OfflineJob, j.Took.Seconds())
	name := release.BuiltFileName(release.OfflineJob)
	rec, err := release.ParseBuilt(name, readFile(t, filepath.Join(out, name)))
	require.NoError(t, err)
	assert.Equal(t, []string{"baremetal-iso-offline qa-smoke-iso: PASSED (5 checks, 0 failed)"}, rec.QA.Suites, "the job booted the offline ISO")
	var files []string
	for _, f := range rec.Files {
		files = append(files, f.Name)
		assert.Equal(t, f.SHA256, fileSHA(t, filepath.Join(out, f.Name)), f.Name)
	}
	assert.Equal(t, []string{"unisonos-baremetal-offline-v0.6.0.iso", "unisonos-baremetal-offline-v0.6.0.payload.json"}, files)
	assert.Contains(t, rec.Options, " offline-iso=models:none,max-mib:0")
	payload, err := offline.ParseManifest("payload.json", readFile(t, filepath.Join(out, files[1])))
	require.NoError(t, err)
	assert.Len(t, payload.Images, 4, "every service image on the medium")
	ev := rec.Evidence["unisonos-baremetal-offline"]
	assert.Contains(t, ev.PackagesFrom, "offline payload")
	purls := map[string]bool{}
	for _, p := range ev.Packages {
		purls[strings.SplitN(p.PURL, "@", 2)[0]] = true
	}
	for _, want := range []string{"pkg:deb/debian/docker.io", "pkg:deb/debian/containerd", "pkg:oci/unison-inference"} {
		assert.True(t, purls[want], "%s in the offline ISO's SBOM evidence", want)
	}

	// the offline job's record next to the four others: a release without with-offline-iso refuses it
	mixed := copyTree(t, built, filepath.Join(dir, "built-mixed"), func(string) bool { return true })
	require.NoError(t, os.Link(filepath.Join(out, name), filepath.Join(mixed, name)))
	r := call(false, "with-artifacts", "--dir", mixed, "publish")
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "artifact baremetal-iso-offline: this release has no such job")
	assertNothingBuilt(t, r)
}

// checkOfflineRelease reads back a published release with the offline ISO
// (dir is its exported directory): notes and PLAN.txt give the payload's
// sizes, the ISO is its own signed OCI artifact with the payload listing,
// and its SBOM lists the medium's packages and images.
func checkOfflineRelease(t *testing.T, dir, version string, man release.Manifest) {
	t.Helper()
	assert.True(t, strings.HasPrefix(man.Offline, "offline payload for debian-13: "), man.Offline)
	notes := readFile(t, filepath.Join(dir, "RELEASE_NOTES.md"))
	assert.Contains(t, notes, "## Offline installer\n")
	assert.Contains(t, notes, "- "+man.Offline+"\n")
	assert.Contains(t, readFile(t, filepath.Join(dir, "PLAN.txt")), "offline ISO: "+man.Offline)
	iso := "unisonos-baremetal-offline-" + version + ".iso"
	assert.Contains(t, readFile(t, filepath.Join(dir, "SHA256SUMS-"+version+".txt")), "  "+iso+"\n")

	var push *release.Push
	for i, p := range man.Pushes {
		if strings.HasSuffix(p.Repository, "/unisonos-baremetal-offline") {
			push = &man.Pushes[i]
		}
	}
	require.NotNil(t, push, "the offline ISO is pushed as its own artifact")
	ref, err := name.ParseReference(push.Repository+"@"+push.Digest, name.Insecure)
	require.NoError(t, err)
	desc, err := remote.Get(ref, remote.WithTransport(registryTransport(t)))
	require.NoError(t, err)
	var am v1.Manifest
	require.NoError(t, json.Unmarshal(desc.Manifest, &am))
	assert.Equal(t, "application/vnd.unisonos.baremetal-offline.v1", am.ArtifactType)
	var titles []string
	for _, l := range am.Layers {
		titles = append(titles, l.Annotations["org.opencontainers.image.title"])
	}
	assert.ElementsMatch(t, []string{iso, "unisonos-baremetal-offline-" + version + ".payload.json"}, titles)
	assert.Equal(t, 1, sigLayers(t, push.Repository, push.Digest), "signed once")

	var doc struct {
		Packages []struct {
			Name         string `json:"name"`
			ExternalRefs []struct {
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "unisonos-baremetal-offline-"+version+".spdx.json"))), &doc))
	locators := map[string]bool{}
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			locators[strings.SplitN(r.Locator, "@", 2)[0]] = true
		}
	}
	for _, want := range []string{"pkg:deb/debian/docker.io", "pkg:oci/unison-orchestrator"} {
		assert.True(t, locators[want], "%s in the offline ISO's SBOM", want)
	}
}
