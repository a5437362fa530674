// Package aptpin reads images/apt.yaml, the dated archive snapshots that apt
// installs whose packages ship (the WSL root filesystem, the offline
// payload's Docker packages) are made from, and renders the deb822 sources
// for one OS image from its /etc/os-release. The same packages, day after
// day: Ubuntu's (snapshot.ubuntu.com) and Debian's (snapshot.debian.org)
// snapshot services by default; an air-gapped site points the URIs at its own
// mirror.
package aptpin

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
)

// Pins is images/apt.yaml.
type Pins struct {
	// Snapshot is the archive's date and time, YYYYMMDDTHHMMSSZ: {snapshot} in URIs.
	Snapshot string
	// Distributions maps an os-release ID to its sources.
	Distributions map[string]Distribution
}

// Distribution is the sources of one os-release ID.
type Distribution struct {
	// SignedBy is the keyring in the OS image that signs the archive.
	SignedBy string
	Sources  []Source
}

// Source is one deb822 stanza; {snapshot} and {codename} are filled in.
type Source struct {
	URI        string
	Suites     []string
	Components []string
}

var (
	snapshotRe = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)
	wordRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9.+_-]*$`)
	suiteRe    = regexp.MustCompile(`^(\{codename\}|[a-z0-9][a-z0-9._-]*)(-[a-z0-9]+)*$`)
	idRe       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// SnapshotLayout is the time layout of Snapshot.
const SnapshotLayout = "20060102T150405Z"

// Parse reads apt.yaml strictly; file names it in errors.
func Parse(file string, data []byte) (Pins, error) {
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return Pins{}, err
	}
	top, err := d.Mapping(d.Root, "", []string{"version", "snapshot", "distributions"})
	if err != nil {
		return Pins{}, err
	}
	p := Pins{Distributions: map[string]Distribution{}}
	var dists *yaml.Node
	for _, f := range top {
		switch f.Key {
		case "version":
			v, err := d.Int(f.Value, "version")
			if err != nil {
				return Pins{}, err
			}
			if v != 1 {
				return Pins{}, d.Errorf(f.Value, "version", "unknown version %d (this build reads 1)", v)
			}
		case "snapshot":
			if f.Value.Kind != yaml.ScalarNode { // a date YAML reads as a timestamp is refused below, by its text
				return Pins{}, d.Errorf(f.Value, "snapshot", "want a UTC date and time like 20261120T000000Z")
			}
			p.Snapshot = f.Value.Value
			if _, terr := time.Parse(SnapshotLayout, p.Snapshot); !snapshotRe.MatchString(p.Snapshot) || terr != nil {
				return Pins{}, d.Errorf(f.Value, "snapshot", "want a UTC date and time like 20261120T000000Z, got %q", p.Snapshot)
			}
		case "distributions":
			dists = f.Value
		}
	}
	if dists == nil {
		return Pins{}, d.Errorf(d.Root, "distributions", "missing: the sources of each OS image's ID (ubuntu, debian)")
	}
	ids, err := d.Mapping(dists, "distributions", nil)
	if err != nil {
		return Pins{}, err
	}
	for _, id := range ids {
		field := "distributions." + id.Key
		if !idRe.MatchString(id.Key) {
			return Pins{}, d.Errorf(id.KeyN, field, "not an os-release ID (lowercase letters, digits, . _ -)")
		}
		dist, err := parseDistribution(d, field, id.Value, p.Snapshot != "")
		if err != nil {
			return Pins{}, err
		}
		p.Distributions[id.Key] = dist
	}
	if len(p.Distributions) == 0 {
		return Pins{}, d.Errorf(dists, "distributions", "empty: list the sources of at least one OS image's ID")
	}
	return p, nil
}

func parseDistribution(d *yamlx.Doc, field string, n *yaml.Node, haveSnapshot bool) (Distribution, error) {
	fields, err := d.Mapping(n, field, []string{"signed-by", "sources"})
	if err != nil {
		return Distribution{}, err
	}
	var dist Distribution
	for _, f := range fields {
		switch f.Key {
		case "signed-by":
			if dist.SignedBy, err = d.String(f.Value, field+".signed-by"); err != nil {
				return Distribution{}, err
			}
			if !strings.HasPrefix(dist.SignedBy, "/") || strings.ContainsAny(dist.SignedBy, " \t\n") {
				return Distribution{}, d.Errorf(f.Value, field+".signed-by", "want the keyring's absolute path in the OS image, e.g. /usr/share/keyrings/ubuntu-archive-keyring.gpg")
			}
		case "sources":
			if f.Value.Kind != yaml.SequenceNode || len(f.Value.Content) == 0 {
				return Distribution{}, d.Errorf(f.Value, field+".sources", "want a list of sources (uri, suites, components)")
			}
			for i, sn := range f.Value.Content {
				s, err := parseSource(d, fmt.Sprintf("%s.sources[%d]", field, i), sn, haveSnapshot)
				if err != nil {
					return Distribution{}, err
				}
				dist.Sources = append(dist.Sources, s)
			}
		}
	}
	if dist.SignedBy == "" || len(dist.Sources) == 0 {
		return Distribution{}, d.Errorf(n, field, "needs signed-by (the archive keyring) and sources")
	}
	return dist, nil
}

func parseSource(d *yamlx.Doc, field string, n *yaml.Node, haveSnapshot bool) (Source, error) {
	fields, err := d.Mapping(n, field, []string{"uri", "suites", "components"})
	if err != nil {
		return Source{}, err
	}
	var s Source
	for _, f := range fields {
		switch f.Key {
		case "uri":
			if s.URI, err = d.String(f.Value, field+".uri"); err != nil {
				return Source{}, err
			}
			u, perr := url.Parse(strings.ReplaceAll(s.URI, "{snapshot}", "20000101T000000Z"))
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s.URI, " \t\n") {
				return Source{}, d.Errorf(f.Value, field+".uri", "want an http(s) URL of an apt archive, got %q", s.URI)
			}
			if strings.Contains(s.URI, "{snapshot}") && !haveSnapshot {
				return Source{}, d.Errorf(f.Value, field+".uri", "uses {snapshot}: set snapshot (e.g. 20261120T000000Z) at the top level")
			}
			if strings.Contains(s.URI, "{snapshot}") && u.Scheme != "https" {
				// apt reads a snapshot with Check-Valid-Until off: only TLS keeps
				// an older signed index from being served in its place
				return Source{}, d.Errorf(f.Value, field+".uri", "uses {snapshot} over http: a snapshot's Release files are past their Valid-Until, so apt checks no date and an older signed index could be replayed; use https:// (the build gives apt a CA bundle)")
			}
		case "suites", "components":
			l, err := d.Strings(f.Value, field+"."+f.Key)
			if err != nil {
				return Source{}, err
			}
			re := wordRe
			if f.Key == "suites" {
				re, s.Suites = suiteRe, l
			} else {
				s.Components = l
			}
			for i, w := range l {
				if !re.MatchString(w) {
					return Source{}, d.Errorf(f.Value.Content[i], fmt.Sprintf("%s.%s[%d]", field, f.Key, i), "not a %s name: %q", strings.TrimSuffix(f.Key, "s"), w)
				}
			}
		}
	}
	if s.URI == "" || len(s.Suites) == 0 || len(s.Components) == 0 {
		return Source{}, d.Errorf(n, field, "needs uri, suites and components")
	}
	return s, nil
}

// OSRelease is what Sources needs of an /etc/os-release.
type OSRelease struct {
	ID, VersionCodename, VersionID string
}

// ParseOSRelease reads the ID, VERSION_CODENAME and VERSION_ID of an
// os-release file (shell-style KEY=value lines, values optionally quoted).
func ParseOSRelease(text string) (OSRelease, error) {
	var r OSRelease
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			r.ID = v
		case "VERSION_CODENAME":
			r.VersionCodename = v
		case "VERSION_ID":
			r.VersionID = v
		}
	}
	if r.ID == "" || !idRe.MatchString(r.ID) {
		return r, fmt.Errorf("os-release: no valid ID (got %q)", r.ID)
	}
	if r.VersionCodename == "" || !wordRe.MatchString(r.VersionCodename) {
		return r, fmt.Errorf("os-release of %s: no valid VERSION_CODENAME (got %q): apt pins need the release's codename", r.ID, r.VersionCodename)
	}
	return r, nil
}

// Sources renders the deb822 sources for an OS image: the pinned archive
// for its ID and codename. An ID apt.yaml does not list is an error naming
// the IDs it does.
func (p Pins) Sources(os OSRelease) (string, error) {
	dist, ok := p.Distributions[os.ID]
	if !ok {
		ids := make([]string, 0, len(p.Distributions))
		for id := range p.Distributions {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		return "", fmt.Errorf("apt-pins: no sources for an OS image with ID=%s (the file lists %s): add a distributions.%s entry, or use an OS image of a listed one",
			os.ID, strings.Join(ids, ", "), os.ID)
	}
	fill := strings.NewReplacer("{snapshot}", p.Snapshot, "{codename}", os.VersionCodename)
	var b strings.Builder
	fmt.Fprintf(&b, "# UnisonOS build: %s %s (%s) from the pinned archive", os.ID, os.VersionID, os.VersionCodename)
	if p.Snapshot != "" {
		fmt.Fprintf(&b, ", snapshot %s", p.Snapshot)
	}
	b.WriteString("\n")
	for _, s := range dist.Sources {
		suites := make([]string, len(s.Suites))
		for i, x := range s.Suites {
			suites[i] = fill.Replace(x)
		}
		fmt.Fprintf(&b, "\nTypes: deb\nURIs: %s\nSuites: %s\nComponents: %s\nSigned-By: %s\n",
			fill.Replace(s.URI), strings.Join(suites, " "), strings.Join(s.Components, " "), dist.SignedBy)
		if strings.Contains(s.URI, "{snapshot}") {
			// a snapshot's Release files are past their Valid-Until by design
			b.WriteString("Check-Valid-Until: no\n")
		}
	}
	return b.String(), nil
}
