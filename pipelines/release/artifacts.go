package release

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
)

// Group is one OCI artifact: the release files pushed together under one
// repository, with an OCI 1.1 artifactType.
type Group struct {
	// Repository name under the owner, e.g. unisonos-baremetal.
	Repo string
	// ArtifactType of the manifest.
	ArtifactType string
	// Files, sorted by name.
	Files []Asset
}

// Groups sorts the built files of a version into the OCI artifacts pushed
// to the registry (artifact.Catalog). Every file must belong to exactly one.
func Groups(version string, assets []Asset) ([]Group, error) {
	byRepo := map[string]*Group{}
	var unknown []string
	for _, a := range assets {
		s, ok := artifact.Match(a.Name, version)
		if !ok {
			unknown = append(unknown, a.Name)
			continue
		}
		g := byRepo[s.Repo]
		if g == nil {
			g = &Group{Repo: s.Repo, ArtifactType: s.ArtifactType}
			byRepo[s.Repo] = g
		}
		g.Files = append(g.Files, a)
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("files that belong to no artifact of version %s: %s (known: %s)", version, strings.Join(unknown, ", "), artifact.Describe(version))
	}
	var out []Group
	for _, r := range artifact.Repos() {
		if g := byRepo[r]; g != nil {
			g.Files = sortedAssets(g.Files)
			out = append(out, *g)
		}
	}
	return out, nil
}

// MediaType is the layer media type of a release file of version.
func MediaType(name, version string) string {
	if s, ok := artifact.Match(name, version); ok {
		return s.MediaType
	}
	return "application/octet-stream"
}

// Push is one repository the release writes to and the tags it moves there.
type Push struct {
	// Repository, e.g. ghcr.io/project-unisonos/unisonos-baremetal.
	Repository string `json:"repository"`
	// Kind: "image" (the platform container image) or "artifact".
	Kind string `json:"kind"`
	// Tags applied, in order; the first is the exact version.
	Tags []string `json:"tags"`
	// Digest of the manifest, once known.
	Digest string `json:"digest,omitempty"`
	// Files of an artifact.
	Files []string `json:"files,omitempty"`
}

// Manifest is release.json: what a release contains and where it went.
type Manifest struct {
	Version    string `json:"version"`
	Channel    string `json:"channel"`
	Prerelease bool   `json:"prerelease"`
	Commit     string `json:"commit"`
	Created    string `json:"created"`
	Signing    string `json:"signing"`
	DryRun     bool   `json:"dryRun"`
	// Assets are the files attached to the release (parts of split files).
	Assets []Asset `json:"assets"`
	// Split are the files published as parts.
	Split  []Asset `json:"split,omitempty"`
	Pushes []Push  `json:"pushes"`
	// QA is what the release gate booted and checked.
	QA QA `json:"qa"`
	// Services are the images the compose file runs: service -> repo@sha256:...
	Services map[string]string `json:"services"`
	// Forced says which published version --force overwrote.
	Forced string `json:"forced,omitempty"`
	// Note says what the channel rules made of the tags (a nightly's second build of a day).
	Note string `json:"note,omitempty"`
	// Unpinned says why a dry run could not pin every service image (publish refuses then).
	Unpinned string `json:"unpinned,omitempty"`
	// ServiceTrust is whose signatures the service images were checked for; Unsigned the services that were not checked.
	ServiceTrust string   `json:"serviceTrust,omitempty"`
	Unsigned     []string `json:"unsigned,omitempty"`
	// Offline is the size summary of the offline ISO's payload, when the release has one.
	Offline string `json:"offline,omitempty"`
}

// PlanText renders the dry-run plan (and PLAN.txt of every release).
func PlanText(m Manifest) string {
	var b strings.Builder
	mode := "published"
	if m.DryRun {
		mode = "dry run: nothing pushed"
	}
	fmt.Fprintf(&b, "release %s  channel %s  prerelease %t  (%s)\ncommit %s  created %s  signing %s\n\n",
		m.Version, m.Channel, m.Prerelease, mode, m.Commit, m.Created, m.Signing)
	if m.Forced != "" {
		fmt.Fprintf(&b, "FORCED: %s\n\n", m.Forced)
	}
	if m.Note != "" {
		fmt.Fprintf(&b, "NOTE: %s\n\n", m.Note)
	}
	b.WriteString(m.QA.Text() + "\nservice images (the compose file runs these digests):\n")
	for _, svc := range slices.Sorted(maps.Keys(m.Services)) {
		fmt.Fprintf(&b, "  %-14s %s\n", svc, m.Services[svc])
	}
	if m.ServiceTrust != "" {
		fmt.Fprintf(&b, "  signatures checked: %s\n", m.ServiceTrust)
	}
	if len(m.Unsigned) > 0 {
		fmt.Fprintf(&b, "  NOT SIGNATURE-CHECKED (with-service-trust --unsigned): %s\n", strings.Join(m.Unsigned, ", "))
	}
	if m.Unpinned != "" {
		fmt.Fprintf(&b, "  NOT PINNED: publish refuses this release as it stands:\n  %s\n", strings.ReplaceAll(m.Unpinned, "\n", "\n  "))
	}
	if m.Offline != "" {
		fmt.Fprintf(&b, "\noffline ISO: %s\n", m.Offline)
	}
	b.WriteString("\nassets:\n")
	parts := map[string]int{}
	for _, a := range m.Assets {
		if i := strings.LastIndex(a.Name, ".part"); i > 0 {
			parts[a.Name[:i]]++
		}
	}
	list := sortedAssets(append(append([]Asset(nil), m.Assets...), m.Split...))
	for _, a := range list {
		if i := strings.LastIndex(a.Name, ".part"); i > 0 && parts[a.Name[:i]] > 0 {
			continue
		}
		note := ""
		if n := parts[a.Name]; n > 0 {
			note = fmt.Sprintf("  (over the asset limit: %d parts + REASSEMBLE-%s.txt)", n, a.Name)
		}
		fmt.Fprintf(&b, "  %-48s %12d  %s%s\n", a.Name, a.Size, humanSize(a.Size), note)
	}
	verb := "pushed"
	if m.DryRun {
		verb = "would push"
	}
	fmt.Fprintf(&b, "\n%s:\n", verb)
	for _, p := range m.Pushes {
		d := p.Digest
		if d == "" {
			d = "(digest after push)"
		}
		fmt.Fprintf(&b, "  %s %s %s\n    tags: %s\n", p.Kind, p.Repository, d, strings.Join(p.Tags, " "))
		if len(p.Files) > 0 {
			fmt.Fprintf(&b, "    files: %s\n", strings.Join(p.Files, " "))
		}
	}
	return b.String()
}

// PlainHTTP reports whether a registry host is reached over plain HTTP: the
// rule go-containerregistry applies (loopback, localhost, RFC 1918 private
// addresses), so the module's own pushes and cosign agree.
func PlainHTTP(host string) bool {
	h := host
	if i := strings.LastIndex(h, ":"); i > 0 && !strings.HasSuffix(h, "]") {
		h = h[:i]
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate())
}

// TagsText says what publish would push a version as, before anything is
// built: its channel and tags as the registry's history makes them, and an
// overwrite --force allows.
func TagsText(version, channel string, prerelease bool, repository string, tags []string, forced, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %s  channel %s  prerelease %t\nrepository %s (and its artifacts next to it)\ntags: %s\n",
		version, channel, prerelease, repository, strings.Join(tags, " "))
	if forced != "" {
		fmt.Fprintf(&b, "FORCED: %s\n", forced)
	}
	if note != "" {
		fmt.Fprintf(&b, "NOTE: %s\n", note)
	}
	return b.String()
}
