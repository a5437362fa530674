package version

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// registriesNeedingAuth never accept anonymous pushes: fail before building.
var registriesNeedingAuth = map[string]bool{"ghcr.io": true, "docker.io": true, "index.docker.io": true, "quay.io": true}

// NeedsCredentials reports whether pushing to the registry host needs credentials.
func NeedsCredentials(host string) bool { return registriesNeedingAuth[strings.ToLower(host)] }

// Host is the registry host of the plan's repository.
func (p *Plan) Host() string { return strings.SplitN(p.Repository, "/", 2)[0] }

// SortedLabels are the labels as name=value, sorted by name.
func (p *Plan) SortedLabels() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		out = append(out, k+"="+p.Labels[k])
	}
	return out
}

// Text renders what a build of the plan does: its version, channel and
// platforms, the references it pushes (or would, or why not) and its labels.
func (p *Plan) Text(platforms []string, dryRun bool) string {
	verb := "push"
	switch {
	case !p.Publish:
		verb = "pull request: build only, not pushed"
	case dryRun:
		verb = "would push"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "version %s (channel %s), platforms %s\n%s:\n", p.Version, p.Channel, strings.Join(platforms, ","), verb)
	for _, r := range p.Refs {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	b.WriteString("labels:\n")
	for _, l := range p.SortedLabels() {
		fmt.Fprintf(&b, "  %s\n", l)
	}
	return b.String()
}

// Published is what a publish did, as JSON for CI outputs (the reusable
// workflow's version, tags, digest, refs and published outputs).
type Published struct {
	Version   string   `json:"version"`
	Channel   string   `json:"channel"`
	Tags      []string `json:"tags"`
	Digest    string   `json:"digest,omitempty"`
	Refs      []string `json:"refs"`
	Published bool     `json:"published"`
}

// JSON is the summary on one line (a GitHub Actions output value).
func (p Published) JSON() string {
	if p.Refs == nil {
		p.Refs = []string{}
	}
	b, _ := json.Marshal(p)
	return string(b) + "\n"
}
