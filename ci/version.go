package main

import (
	"encoding/json"

	"github.com/project-unisonOS/unison-platform/pipelines/version"
)

// Where images are published unless told otherwise.
const (
	defaultRegistry = "ghcr.io"
	defaultOwner    = "project-unisonOS"
)

// VersionPlan is the version, channel, tags and OCI labels computed for a git ref.
type VersionPlan struct {
	// The version, e.g. v1.4.0-beta.3 or edge-main-20261127.
	Version string
	// The channel: stable, beta, nightly or pr.
	Channel string
	// Whether this is a pre-release (never moves latest, vX.Y or vX).
	Prerelease bool
	// The image repository, lowercased (e.g. ghcr.io/project-unisonos/unison-platform).
	Repository string
	// The tags to push.
	Tags []string
	// The full references (repository:tag) to push.
	Refs []string
	// The OCI labels, as name=value, sorted by name.
	Labels []string
	// Whether images of this ref are published (false for pull requests).
	Publish bool
	// Whether the latest tag moves.
	Latest bool
	// The whole plan as JSON.
	JSON string
}

func toPlan(p *version.Plan) (*VersionPlan, error) {
	js, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	labels := p.SortedLabels()
	return &VersionPlan{
		Version: p.Version, Channel: string(p.Channel), Prerelease: p.Prerelease,
		Repository: p.Repository, Tags: p.Tags, Refs: p.Refs, Labels: labels,
		Publish: p.Publish, Latest: p.Latest, JSON: string(js),
	}, nil
}

// Computes the version, channel, tags and OCI labels of a git ref with the channel rules of UnisonOS.
//
// See README, "Release channels".
// Example: dagger call inputs version --ref refs/heads/release/1.4 --sha $(git rev-parse HEAD) --commit-time $(git show -s --format=%cI) tags
func (in *Inputs) Version(
	// Git ref: refs/tags/vX.Y.Z[-alpha|beta|rc.N], refs/heads/<branch>, refs/pull/<n>/merge.
	ref string,
	// Commit SHA (7 to 40 hex digits).
	sha string,
	// Commit time, RFC 3339 (git show -s --format=%cI); becomes org.opencontainers.image.created.
	commitTime string,
	// Build date for nightly tags, YYYY-MM-DD; default: the commit time's UTC date.
	// +optional
	date string,
	// CI run number: the beta number of release/x.y builds when no tags are known.
	// +optional
	runNumber int,
	// The repository's existing git tags (git tag -l 'v*').
	// +optional
	existingTags []string,
	// Registry host; default: ghcr.io.
	// +optional
	registry string,
	// Repository owner (lowercased in image names); default: project-unisonOS.
	// +optional
	owner string,
	// Repository name (source/url labels; default image name); default: unison-platform.
	// +optional
	repo string,
	// Image name under the owner; default: the repository name.
	// +optional
	image string,
	// unison.service label; default: the image name.
	// +optional
	service string,
	// unison.domain label.
	// +optional
	domain string,
) (*VersionPlan, error) {
	p, err := version.Compute(version.Input{
		Ref: ref, SHA: sha, CommitTime: commitTime, Date: date, RunNumber: runNumber,
		ExistingTags: existingTags, Registry: or(registry, defaultRegistry), Owner: or(owner, defaultOwner), Repo: or(repo, platformRepo),
		Image: image, Service: service, Domain: domain,
	})
	if err != nil {
		return nil, err
	}
	return toPlan(p)
}
