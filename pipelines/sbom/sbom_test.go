package sbom

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	spdxjson "github.com/spdx/tools-golang/json"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
)

var sha = strings.Repeat("ab", 32)

func TestParseDpkgStatus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "status"))
	require.NoError(t, err)
	ps, err := ParseDpkgStatus(string(data), "ubuntu-24.04")
	require.NoError(t, err)
	require.Len(t, ps, 3, "config-files only is not installed")
	assert.Equal(t, Package{Name: "libssl3t64", Version: "3.0.13-0ubuntu3.5", Arch: "amd64", Source: "openssl",
		PURL: "pkg:deb/ubuntu/libssl3t64@3.0.13-0ubuntu3.5?arch=amd64&distro=ubuntu-24.04"}, ps[1])
	assert.Equal(t, "pkg:deb/ubuntu/openssh-server@1%3A9.6p1-3ubuntu13.5?arch=amd64&distro=ubuntu-24.04", ps[2].PURL, "epoch colon escaped")
	deb, err := ParseDpkgStatus(string(data), "debian-12")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(deb[0].PURL, "pkg:deb/debian/base-files@"))
}

func TestParseRejects(t *testing.T) {
	for in, want := range map[string]string{
		"": "no installed package",
		"Package: a\nStatus: install ok installed\n": "without Package or Version",
		" continued\n":  "continuation line without a field",
		"not a field\n": "is not a Field: value line",
		"Package: a\nVersion: 1\nStatus: install ok installed\n\nPackage: a\nVersion: 2\nStatus: install ok installed\n": "listed twice",
	} {
		_, err := ParseDpkgStatus(in, "ubuntu-24.04")
		assert.ErrorContains(t, err, want, "%q", in)
	}
	_, err := ParseManifest("a 1 2\n", "")
	assert.ErrorContains(t, err, "line 1")
	_, err = ParseManifest("\n", "")
	assert.ErrorContains(t, err, "no package")
}

func TestParseManifest(t *testing.T) {
	ps, err := ParseManifest("zlib1g:amd64\t1:1.3.dfsg-3.1ubuntu2.1\nadduser\t3.137ubuntu1\nadduser\t3.137ubuntu1\n", "ubuntu-24.04")
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Equal(t, "adduser", ps[0].Name)
	assert.Equal(t, "pkg:deb/ubuntu/zlib1g@1%3A1.3.dfsg-3.1ubuntu2.1?arch=amd64&distro=ubuntu-24.04", ps[1].PURL)
}

func TestDistro(t *testing.T) {
	assert.Equal(t, "ubuntu-24.04", Distro("PRETTY_NAME=\"Ubuntu 24.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\n"))
	assert.Equal(t, "debian-12", Distro("ID=debian\nVERSION_ID=\"12\"\n"))
	assert.Equal(t, "ubuntu-24.04", Distro("Ubuntu-Server 24.04.3 LTS \"Noble Numbat\" - Release amd64\n"))
	assert.Equal(t, "ubuntu-22.04", Distro("Ubuntu-Server 22.04.5 LTS \"Jammy Jellyfish\" - Release amd64 (20240911)"))
	assert.Equal(t, "", Distro("garbage"))
}

func input(t *testing.T) Input {
	data, err := os.ReadFile(filepath.Join("testdata", "status"))
	require.NoError(t, err)
	ps, err := ParseDpkgStatus(string(data), "ubuntu-24.04")
	require.NoError(t, err)
	return Input{Artifact: "unisonos-wsl", Version: "v1.2.3", Created: "2026-11-27T10:00:00Z", PackagesFrom: "the dpkg status of the root filesystem",
		Files: []File{{Name: "unisonos-v1.2.3.wsl", SHA256: sha, Purpose: "OPERATING-SYSTEM"}}, Packages: ps}
}

// The document is what tools read back: parsed with the SPDX library, the
// packages, purls, checksums and relationships are there; golden bytes.
func TestDocumentReadsBack(t *testing.T) {
	js, err := JSON(input(t))
	require.NoError(t, err)
	golden.Equal(t, filepath.Join("testdata", "wsl.golden.spdx.json"), js)
	doc, err := spdxjson.Read(bytes.NewReader(js))
	require.NoError(t, err)
	assert.Equal(t, "SPDX-2.3", doc.SPDXVersion)
	assert.Equal(t, "2026-11-27T10:00:00Z", doc.CreationInfo.Created)
	names := map[string]string{}
	for _, p := range doc.Packages {
		names[p.PackageName] = p.PackageVersion
	}
	assert.Equal(t, "1:9.6p1-3ubuntu13.5", names["openssh-server"])
	assert.Equal(t, "v1.2.3", names["unisonos-v1.2.3.wsl"])
	describes, contains := 0, 0
	for _, r := range doc.Relationships {
		switch r.Relationship {
		case "DESCRIBES":
			describes++
		case "CONTAINS":
			contains++
		}
	}
	assert.Equal(t, 1, describes)
	assert.Equal(t, 3, contains)
	again, err := JSON(input(t))
	require.NoError(t, err)
	assert.Equal(t, js, again, "same inputs, same bytes")
	other := input(t)
	other.Files[0].SHA256 = strings.Repeat("cd", 32)
	o, err := JSON(other)
	require.NoError(t, err)
	od, err := spdxjson.Read(bytes.NewReader(o))
	require.NoError(t, err)
	assert.NotEqual(t, doc.DocumentNamespace, od.DocumentNamespace, "namespace unique per content")
}

func TestDocumentRejects(t *testing.T) {
	in := input(t)
	in.Created = "yesterday"
	_, err := JSON(in)
	assert.ErrorContains(t, err, "created")
	in = input(t)
	in.Files[0].SHA256 = "x"
	_, err = JSON(in)
	assert.ErrorContains(t, err, "not 64 hex digits")
	_, err = JSON(Input{})
	assert.ErrorContains(t, err, "at least one file")
}

func FuzzParseDpkgStatus(f *testing.F) {
	data, _ := os.ReadFile(filepath.Join("testdata", "status"))
	f.Add(string(data))
	f.Add("Package: a\nVersion: 1\nStatus: install ok installed\n")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseDpkgStatus(s, "ubuntu-24.04")
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Name == "" || p.Version == "" || !strings.HasPrefix(p.PURL, "pkg:deb/ubuntu/") {
				t.Fatalf("bad package %+v", p)
			}
		}
		if _, err := JSON(Input{Artifact: "a", Version: "v1", Created: "2026-01-01T00:00:00Z", Files: []File{{Name: "f", SHA256: sha}}, Packages: ps}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestImagePackage(t *testing.T) {
	p := ImagePackage("ghcr.io/project-unisonos/unison-inference", "v0.6.1", "sha256:"+sha)
	assert.Equal(t, "pkg:oci/unison-inference@sha256%3A"+sha+"?repository_url=ghcr.io%2Fproject-unisonos%2Funison-inference&tag=v0.6.1", p.PURL)
	assert.Equal(t, sha, p.SHA256)
	assert.Equal(t, "pkg:oci/x?repository_url=r%2Fx&tag=v1", ImagePackage("r/x", "v1", "").PURL)
}
