// Package sbom writes the SPDX 2.3 software bills of materials of a
// release's artifacts: the Debian packages of a root filesystem (its dpkg
// status), the package manifest of an Ubuntu ISO, the service images a
// bundle runs, and the files the release adds.
package sbom

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
)

// Package is one installed package (a .deb, or a service image).
type Package struct {
	Name, Version, Arch string
	// Source package, when it differs from the name.
	Source string
	// PURL is the package URL (pkg:deb/..., pkg:oci/...).
	PURL string
	// SHA256 of the package's content, when known (image digests).
	SHA256 string
}

// ParseDpkgStatus reads /var/lib/dpkg/status and returns the installed
// packages ("install ok installed"), sorted by name and architecture.
func ParseDpkgStatus(data string, distro string) ([]Package, error) {
	var out []Package
	seen := map[string]bool{}
	stanza := map[string]string{}
	line := 0
	flush := func() error {
		defer clear(stanza)
		if len(stanza) == 0 || !strings.HasSuffix(stanza["Status"], " installed") {
			return nil
		}
		p := Package{Name: stanza["Package"], Version: stanza["Version"], Arch: stanza["Architecture"]}
		if p.Name == "" || p.Version == "" {
			return fmt.Errorf("dpkg status: line %d: an installed package without Package or Version", line)
		}
		if src, _, _ := strings.Cut(stanza["Source"], " "); src != "" && src != p.Name {
			p.Source = src
		}
		if seen[p.Name+":"+p.Arch] {
			return fmt.Errorf("dpkg status: line %d: package %s:%s listed twice", line, p.Name, p.Arch)
		}
		seen[p.Name+":"+p.Arch] = true
		p.PURL = debPURL(distro, p)
		out = append(out, p)
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	key := ""
	for sc.Scan() {
		line++
		t := sc.Text()
		switch {
		case strings.TrimSpace(t) == "":
			if err := flush(); err != nil {
				return nil, err
			}
			key = ""
		case t[0] == ' ' || t[0] == '\t':
			if key == "" {
				return nil, fmt.Errorf("dpkg status: line %d: continuation line without a field", line)
			}
		default:
			k, v, ok := strings.Cut(t, ":")
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return nil, fmt.Errorf("dpkg status: line %d: %q is not a Field: value line", line, t)
			}
			key = k
			stanza[k] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dpkg status: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dpkg status: no installed package: is this a root filesystem's /var/lib/dpkg/status?")
	}
	sortPackages(out)
	return out, nil
}

// ParseManifest reads an Ubuntu ISO's package manifests
// (casper/*.manifest: "name[:arch]<TAB>version" a line); the layers of
// a live ISO repeat packages, each is listed once.
func ParseManifest(data string, distro string) ([]Package, error) {
	var out []Package
	seen := map[string]bool{}
	for i, l := range strings.Split(data, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 2 {
			return nil, fmt.Errorf("manifest: line %d: %q is not NAME<TAB>VERSION", i+1, l)
		}
		n, arch, _ := strings.Cut(f[0], ":")
		if seen[f[0]+" "+f[1]] {
			continue
		}
		seen[f[0]+" "+f[1]] = true
		p := Package{Name: n, Version: f[1], Arch: arch}
		p.PURL = debPURL(distro, p)
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("manifest: no package")
	}
	sortPackages(out)
	return out, nil
}

// DebPackage is a Debian package known by name, version and architecture
// (e.g. a .deb an offline medium carries), with its content's SHA-256.
func DebPackage(name, version, arch, distro, sha256 string) Package {
	p := Package{Name: name, Version: version, Arch: arch, SHA256: sha256}
	p.PURL = debPURL(distro, p)
	return p
}

func sortPackages(ps []Package) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Name != ps[j].Name {
			return ps[i].Name < ps[j].Name
		}
		return ps[i].Arch < ps[j].Arch
	})
}

// debPURL is the package URL of a Debian package (purl-spec, type deb).
func debPURL(distro string, p Package) string {
	u := fmt.Sprintf("pkg:deb/%s/%s@%s", vendor(distro), purlEscape(p.Name), purlEscape(p.Version))
	var q []string
	if p.Arch != "" {
		q = append(q, "arch="+p.Arch)
	}
	if distro != "" {
		q = append(q, "distro="+purlEscape(distro))
	}
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

// vendor is the purl namespace: ubuntu or debian, from an os-release ID-VERSION_ID.
func vendor(distro string) string {
	id, _, _ := strings.Cut(distro, "-")
	if id == "" {
		return "ubuntu"
	}
	return id
}

func purlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", ":", "%3A", "+", "%2B", "/", "%2F", "@", "%40", "?", "%3F", "#", "%23", " ", "%20")
	return r.Replace(s)
}

// ImagePackage is a container image the artifact runs, pinned by digest
// (sha256:...; "" when a dry run could not resolve it).
func ImagePackage(repo, tag, digest string) Package {
	name := repo[strings.LastIndex(repo, "/")+1:]
	p := Package{Name: name, Version: tag, SHA256: strings.TrimPrefix(digest, "sha256:")}
	p.PURL = "pkg:oci/" + name
	if digest != "" {
		p.PURL += "@" + purlEscape(digest)
	}
	p.PURL += "?repository_url=" + purlEscape(repo) + "&tag=" + purlEscape(tag)
	return p
}
