// Package offline describes the payload an offline artifact carries so that
// the platform starts with no network: Docker's packages for the target
// release, the service images (saved by digest), the model store; and the
// checks made before anything is built.
package offline

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// Dir is where the payload lives in the bundle (/opt/unison-platform/offline).
const Dir = "offline"

// Packages are the packages that give a release Docker with Compose v2, by
// os-release ID: Ubuntu's docker.io and docker-compose-v2; Debian 13's
// docker.io, docker-cli (its own package there) and docker-compose (the Go
// Compose v2 CLI plugin), with AppArmor's parser, which Docker needs on an
// AppArmor kernel and Debian's minimal images lack. Debian 12 and older
// package no Compose v2. pipelines/vm/firstboot.sh installs the same lists.
func Packages(osRelease string) ([]string, error) {
	id, ver := field(osRelease, "ID"), field(osRelease, "VERSION_ID")
	switch id {
	case "ubuntu":
		return []string{"docker.io", "docker-compose-v2"}, nil
	case "debian":
		if major, err := strconv.Atoi(strings.SplitN(ver, ".", 2)[0]); err == nil && major < 13 {
			return nil, fmt.Errorf("offline: Debian %s packages no Compose v2 (docker-compose is v1 there): use Debian 13 or later, or Ubuntu 24.04", ver)
		}
		return []string{"docker.io", "docker-cli", "docker-compose", "apparmor"}, nil
	}
	return nil, fmt.Errorf("offline: no Docker package list for the target OS %q (os-release ID); supported: ubuntu, debian", id)
}

// Release names a target OS as ID-VERSION_ID (ubuntu-24.04).
func Release(osRelease string) string {
	return field(osRelease, "ID") + "-" + field(osRelease, "VERSION_ID")
}

func field(osRelease, key string) string {
	for _, l := range strings.Split(osRelease, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && k == key {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}

// File is one file of the payload.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Image is one service image saved on the medium.
type Image struct {
	Service string `json:"service"`
	Ref     string `json:"ref"`
	Digest  string `json:"digest"`
	File    string `json:"file"`
}

// Manifest is offline/manifest.json: what the medium carries.
type Manifest struct {
	Target   string  `json:"target"`
	Packages []File  `json:"packages"`
	Images   []Image `json:"images"`
	Files    []File  `json:"files"`
	Models   int64   `json:"modelsBytes"`
	Total    int64   `json:"totalBytes"`
}

// ImageSums is images/SHA256SUMS, what installer/offline.sh checks and loads:
// "sha256  name.tar" a line for every image archive the manifest lists.
func (m Manifest) ImageSums() string {
	var b strings.Builder
	for _, f := range m.Files {
		if name, ok := strings.CutPrefix(f.Path, "images/"); ok && strings.HasSuffix(name, ".tar") && !strings.Contains(name, "/") {
			fmt.Fprintf(&b, "%s  %s\n", f.SHA256, name)
		}
	}
	return b.String()
}

// Parts sums the payload by kind (packages, images, models), in bytes.
func (m Manifest) Parts() map[string]int64 {
	out := map[string]int64{"models": m.Models}
	for _, f := range m.Files {
		switch {
		case strings.HasPrefix(f.Path, "debs/"):
			out["packages"] += f.Size
		case strings.HasPrefix(f.Path, "images/"):
			out["images"] += f.Size
		}
	}
	return out
}

// Summary is the one-line size report of the build output and release notes.
func (m Manifest) Summary() string {
	p := m.Parts()
	return fmt.Sprintf("offline payload for %s: %s (packages %s in %d files, images %s for %d services, models %s)",
		m.Target, mib(m.Total), mib(p["packages"]), len(m.Packages), mib(p["images"]), len(m.Images), mib(p["models"]))
}

// CheckSize refuses a payload over maxMiB (0: no limit), naming its parts.
func (m Manifest) CheckSize(maxMiB int) error {
	if maxMiB > 0 && m.Total > int64(maxMiB)<<20 {
		return fmt.Errorf("max-size-mib %d: %s; drop models (a smaller flavor) or raise the limit", maxMiB, m.Summary())
	}
	return nil
}

// JSON renders manifest.json.
func (m Manifest) JSON() string {
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	b, _ := json.MarshalIndent(m, "", "  ")
	return string(b) + "\n"
}

// ParseListing reads "path<TAB>size<TAB>sha256" lines (what offline-payload.sh writes).
func ParseListing(text string) ([]File, error) {
	var out []File
	for i, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		var size int64
		if len(f) != 3 || len(f[2]) != 64 {
			return nil, fmt.Errorf("offline listing line %d: %q is not path, size, sha256", i+1, l)
		}
		if _, err := fmt.Sscan(f[1], &size); err != nil {
			return nil, fmt.Errorf("offline listing line %d: size %q", i+1, f[1])
		}
		out = append(out, File{Path: f[0], Size: size, SHA256: f[2]})
	}
	return out, nil
}

// ParseManifest reads a payload's manifest.json (what JSON wrote); name is
// the file it came from.
func ParseManifest(name, data string) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%s: %w (is it an offline payload's manifest.json?)", name, err)
	}
	if m.Target == "" || len(m.Files) == 0 {
		return Manifest{}, fmt.Errorf("%s: no target or no files: not an offline payload's manifest", name)
	}
	return m, nil
}

// DebPackages are the payload's Debian packages for an SBOM, from their
// file names (apt's name_version_arch.deb, the epoch's colon as %3a).
func (m Manifest) DebPackages() ([]sbom.Package, error) {
	var out []sbom.Package
	for _, f := range m.Packages {
		base := strings.TrimSuffix(path.Base(f.Path), ".deb")
		parts := strings.Split(base, "_")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, fmt.Errorf("offline payload: %s: want name_version_arch.deb", f.Path)
		}
		version, err := url.PathUnescape(parts[1])
		if err != nil {
			return nil, fmt.Errorf("offline payload: %s: version %q: %w", f.Path, parts[1], err)
		}
		out = append(out, sbom.DebPackage(parts[0], version, parts[2], m.Target, f.SHA256))
	}
	return out, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
