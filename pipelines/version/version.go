// Package version turns a git ref and its commit into a release plan: the
// version, the channel, the image tags to push and the OCI labels. It is the
// single source of truth for the channel rules of UnisonOS:
//
//   - stable tags vX.Y.Z get vX.Y.Z, and vX.Y, vX and latest only when the
//     version is the highest stable release in that scope (a v1.2.4 hotfix
//     after v1.3.0 gets v1.2.4 and v1.2, never v1 or latest). Major version
//     zero never gets a bare "v0" tag: every 0.x minor may break, so "v0"
//     would promise nothing;
//   - pre-release tags vX.Y.Z-alpha.N, -beta.N, -rc.N get only their full
//     version (channel beta), never latest, vX.Y or vX;
//   - release/x.y branches build vX.Y.P-beta.N, N the next after the known
//     vX.Y.P-beta.* tags (the run number only when no tags are known), P 0,
//     or one past the highest vX.Y.* stable release; plus a sha-<short> tag;
//   - every pre-release also moves the channel tag "beta" when no known
//     pre-release is higher (a user follows the channel without numbers);
//   - every other branch builds edge-<branch>-YYYYMMDD (nightly, the date
//     the build date: the workflow passes the run's UTC day) plus the moving
//     tags edge-<branch> (and edge for main) and a sha-<short> tag, the
//     branch sanitized to the OCI tag charset; the dated tag names the day's
//     first build of the branch and never moves (SecondOfDay);
//   - pull requests build pr-N and are not published by default;
//   - anything else is an error that names the input.
//
// Nothing here reads the clock: dates come from the inputs or the commit
// time, so a rebuild of the same commit gives the same plan.
package version

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-containerregistry/pkg/name"
)

// Channel is a release channel.
type Channel string

// Release channels.
const (
	Stable  Channel = "stable"
	Beta    Channel = "beta"
	Nightly Channel = "nightly"
	PR      Channel = "pr"
)

// MaxTagLen is the OCI distribution spec's tag length limit.
const MaxTagLen = 128

// Input is everything the plan depends on.
type Input struct {
	// Ref is the full git ref: refs/tags/v1.2.3, refs/heads/main,
	// refs/heads/release/1.4, refs/pull/12/merge.
	Ref string
	// SHA is the commit SHA (hex, at least 7 characters; 40 for labels).
	SHA string
	// CommitTime is the commit time, RFC 3339; it becomes the created label.
	CommitTime string
	// Date is the build date for nightly tags (YYYY-MM-DD or YYYYMMDD);
	// empty means the commit time's UTC date.
	Date string
	// NightlyBranches are the branches (path.Match patterns, e.g. main,
	// develop, feature/*) that get nightlies; empty means every branch.
	NightlyBranches []string
	// RunNumber is the CI run number, used for beta numbers only when no
	// tags are known.
	RunNumber int
	// ExistingTags are the repository's git tags (non-semver ones are ignored).
	ExistingTags []string
	// Published are beta versions the registry holds, each with the commit it
	// was built from: a release branch rebuilding a commit keeps its number,
	// another commit gets the next one.
	Published map[string]string
	// Registry is the registry host, e.g. ghcr.io.
	Registry string
	// Owner is the repository owner, e.g. project-unisonOS.
	Owner string
	// Repo is the repository name, e.g. unison-orchestrator.
	Repo string
	// Image is the image name under the owner; defaults to Repo.
	Image string
	// Service and Domain become the unison.service and unison.domain labels.
	Service, Domain string
	// Source is the repository URL of the source label (GitHub Actions:
	// $GITHUB_SERVER_URL/$GITHUB_REPOSITORY); default https://github.com/<Owner>/<Repo>.
	Source string
	// Description, License and Vendor fill the matching OCI labels.
	Description, License, Vendor string
}

// Plan is the result: what to build, how to tag it, and how to label it.
type Plan struct {
	Version    string            `json:"version"`
	Channel    Channel           `json:"channel"`
	Prerelease bool              `json:"prerelease"`
	Repository string            `json:"repository"`
	Tags       []string          `json:"tags"`
	Refs       []string          `json:"refs"`
	Labels     map[string]string `json:"labels"`
	// Publish is false for pull requests: their images are built, not pushed.
	Publish bool `json:"publish"`
	// Latest is true when the latest tag moves.
	Latest bool `json:"latest"`
	// Note says what a channel rule made of the tags (SecondOfDay).
	Note string `json:"note,omitempty"`
}

// InputError names the input that is wrong and how to fix it.
type InputError struct {
	Field, Value, Reason string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

func bad(field, value, format string, a ...any) error {
	return &InputError{Field: field, Value: value, Reason: fmt.Sprintf(format, a...)}
}

var (
	hexRE        = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
	strictSemver = regexp.MustCompile(`^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-(alpha|beta|rc)\.(0|[1-9]\d*))?$`)
	releaseRE    = regexp.MustCompile(`^release/(0|[1-9]\d*)\.(0|[1-9]\d*)$`)
	prRE         = regexp.MustCompile(`^refs/pull/([1-9]\d*)/(merge|head)$`)
	tagBadChars  = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)
)

// Compute turns the input into a plan.
func Compute(in Input) (*Plan, error) {
	sha := strings.ToLower(strings.TrimSpace(in.SHA))
	if !hexRE.MatchString(sha) {
		return nil, bad("sha", in.SHA, "want the commit SHA as 7 to 40 hex digits (e.g. $GITHUB_SHA)")
	}
	created, err := ParseCommitTime(in.CommitTime)
	if err != nil {
		return nil, err
	}
	date, err := buildDate(in.Date, created)
	if err != nil {
		return nil, err
	}
	repo, err := repository(in)
	if err != nil {
		return nil, err
	}
	known := parseTags(in.ExistingTags)
	short := "sha-" + sha[:7]

	p := &Plan{Repository: repo.Name(), Publish: true}
	switch {
	case strings.HasPrefix(in.Ref, "refs/tags/"):
		err = p.fromTag(in.Ref, known)
	case strings.HasPrefix(in.Ref, "refs/heads/release/"):
		err = p.fromReleaseBranch(in, known, short)
	case strings.HasPrefix(in.Ref, "refs/heads/"):
		err = p.fromBranch(in.Ref, date, short, in.NightlyBranches)
	case prRE.MatchString(in.Ref):
		n := prRE.FindStringSubmatch(in.Ref)[1]
		p.Version, p.Channel, p.Prerelease, p.Publish = "pr-"+n, PR, true, false
		p.Tags = []string{p.Version, short}
	default:
		err = bad("ref", in.Ref, "want refs/tags/vX.Y.Z[-alpha|beta|rc.N], refs/heads/<branch> or refs/pull/<n>/merge")
	}
	if err != nil {
		return nil, err
	}
	for _, t := range p.Tags {
		ref, err := name.NewTag(repo.Name()+":"+t, name.StrictValidation)
		if err != nil {
			return nil, fmt.Errorf("internal error: computed tag %q is not valid: %w", t, err)
		}
		p.Refs = append(p.Refs, ref.String())
	}
	p.Labels = labels(in, p, sha, created)
	return p, nil
}

// fromTag plans a release tag: stable (with the channel tags it is the
// highest of) or a pre-release (its exact tag only).
func (p *Plan) fromTag(ref string, known []*semver.Version) error {
	tag := strings.TrimPrefix(ref, "refs/tags/")
	if !strictSemver.MatchString(tag) {
		return bad("ref", ref, "a release tag must be vMAJOR.MINOR.PATCH, optionally with -alpha.N, -beta.N or -rc.N (e.g. refs/tags/v1.2.3)")
	}
	v, err := semver.NewVersion(tag)
	if err != nil {
		return bad("ref", ref, "not a usable version (%v): numbers must fit in 64 bits", err)
	}
	p.Version = tag
	if v.Prerelease() != "" {
		p.Channel, p.Prerelease, p.Tags = Beta, true, append([]string{tag}, betaTag(v, known)...)
		return nil
	}
	p.Channel = Stable
	p.Tags = stableTags(v, known)
	p.Latest = contains(p.Tags, "latest")
	return nil
}

// fromReleaseBranch plans release/X.Y: the next vX.Y.P-beta.N.
func (p *Plan) fromReleaseBranch(in Input, known []*semver.Version, short string) error {
	m := releaseRE.FindStringSubmatch(strings.TrimPrefix(in.Ref, "refs/heads/"))
	if m == nil {
		return bad("ref", in.Ref, "release branches are named release/MAJOR.MINOR (e.g. refs/heads/release/1.4)")
	}
	major, err1 := strconv.ParseUint(m[1], 10, 64)
	minor, err2 := strconv.ParseUint(m[2], 10, 64)
	if err1 != nil || err2 != nil {
		return bad("ref", in.Ref, "release/MAJOR.MINOR numbers are too large")
	}
	v, err := nextBeta(major, minor, known, len(in.ExistingTags) > 0, in.RunNumber)
	if err != nil {
		return err
	}
	if same := publishedBeta(v, in); same != "" {
		v = same
	}
	p.Version, p.Channel, p.Prerelease = v, Beta, true
	p.Tags = []string{v}
	if sv, err := semver.NewVersion(v); err == nil {
		p.Tags = append(p.Tags, betaTag(sv, known)...)
	}
	p.Tags = append(p.Tags, short)
	return nil
}

// BetaTag is the beta channel's moving tag.
const BetaTag = "beta"

// betaTag is ["beta"] when no known pre-release is higher than v.
func betaTag(v *semver.Version, known []*semver.Version) []string {
	for _, k := range known {
		if k.Prerelease() != "" && k.GreaterThan(v) {
			return nil
		}
	}
	return []string{BetaTag}
}

// DefaultBranch is the branch whose nightlies also move the edge tag.
const DefaultBranch = "main"

// fromBranch plans any other branch: edge-<branch>-YYYYMMDD, and the moving
// edge-<branch> (and edge for the default branch).
func (p *Plan) fromBranch(ref string, date time.Time, short string, nightly []string) error {
	branch := strings.TrimPrefix(ref, "refs/heads/")
	if branch == "" {
		return bad("ref", ref, "empty branch name")
	}
	if err := nightlyBranch(ref, branch, nightly); err != nil {
		return err
	}
	edge, suffix := "edge-", "-"+date.Format("20060102")
	b := sanitize(branch)
	if b == "" {
		return bad("ref", ref, "branch name has no character allowed in an image tag")
	}
	if room := MaxTagLen - len(edge) - len(suffix); len(b) > room {
		b = strings.TrimRight(b[:room], ".-")
	}
	p.Version, p.Channel, p.Prerelease = edge+b+suffix, Nightly, true
	p.Tags = []string{p.Version, edge + b}
	if branch == DefaultBranch {
		p.Tags = append(p.Tags, "edge")
	}
	p.Tags = append(p.Tags, short)
	return nil
}

// nightlyBranch refuses a branch outside the nightly set.
func nightlyBranch(ref, branch string, patterns []string) error {
	if len(patterns) == 0 {
		return nil
	}
	for _, pat := range patterns {
		pat = strings.TrimSpace(pat)
		if ok, err := path.Match(pat, branch); err != nil {
			return bad("nightly-branches", pat, "not a valid pattern (%v): use branch names or path patterns such as feature/*", err)
		} else if ok {
			return nil
		}
	}
	return bad("ref", ref, "branch %q gets no nightlies: the nightly branches are %s; add it there (channels.yml: the repository variable NIGHTLY_BRANCHES) or build a dry run", branch, strings.Join(patterns, ", "))
}

// SecondOfDay applies the nightly channel's same-day rule to a plan whose
// dated tag the registry already holds from first, another commit: that tag
// stays the day's first build and never moves; this build is published
// under its moving tags and sha-<short> only. The note says so (PLAN.txt).
func (p *Plan) SecondOfDay(first string) (string, error) {
	if p.Channel != Nightly {
		return "", fmt.Errorf("internal error: the same-day rule is the nightly channel's, not %s's", p.Channel)
	}
	var tags, refs []string
	for i, t := range p.Tags {
		if t != p.Version {
			tags, refs = append(tags, t), append(refs, p.Refs[i])
		}
	}
	p.Tags, p.Refs = tags, refs
	p.Note = fmt.Sprintf("%s stays the day's first build (commit %s); this build, commit %s, is published as %s",
		p.Version, first, p.Labels["org.opencontainers.image.revision"], strings.Join(tags, " "))
	return p.Note, nil
}

// ParseCommitTime is the one parse of a commit time (RFC 3339, as
// `git show -s --format=%cI` prints it), returned in UTC.
func ParseCommitTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, bad("commit-time", s, "want RFC 3339, e.g. 2026-11-27T18:21:45Z (git show -s --format=%%cI HEAD)")
	}
	return t.UTC(), nil
}

func buildDate(s string, created time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		y, m, d := created.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, bad("date", s, "want a calendar date as YYYY-MM-DD or YYYYMMDD")
}

// Repository is the image repository a plan of in is pushed to (what
// Plan.Repository says), known before the plan: the registry's history is
// read from it.
func Repository(in Input) (string, error) {
	r, err := repository(in)
	return r.Name(), err
}

func repository(in Input) (name.Repository, error) {
	reg := strings.ToLower(strings.TrimSpace(in.Registry))
	if reg == "" {
		reg = "ghcr.io"
	}
	img := in.Image
	if img == "" {
		img = in.Repo
	}
	if img == "" {
		return name.Repository{}, bad("image", "", "set the image name (or the repository name it defaults to)")
	}
	path := strings.ToLower(img)
	if in.Owner != "" && !strings.Contains(img, "/") {
		path = strings.ToLower(in.Owner) + "/" + path
	}
	r, err := name.NewRepository(reg+"/"+path, name.StrictValidation)
	if err != nil {
		return name.Repository{}, bad("image", reg+"/"+path, "not a valid image repository: %v", err)
	}
	return r, nil
}

func parseTags(tags []string) []*semver.Version {
	var out []*semver.Version
	for _, t := range tags {
		t = strings.TrimPrefix(strings.TrimSpace(t), "refs/tags/")
		if !strictSemver.MatchString(t) {
			continue
		}
		v, err := semver.NewVersion(t)
		if err != nil {
			continue // e.g. a number too large for semver: not a tag this project made
		}
		out = append(out, v)
	}
	sort.Sort(semver.Collection(out))
	return out
}

// stableTags applies the "only move a tag when this is the highest stable in
// its scope" rule.
func stableTags(v *semver.Version, known []*semver.Version) []string {
	tags := []string{v.Original()}
	highest := func(match func(k *semver.Version) bool) bool {
		for _, k := range known {
			if k.Prerelease() == "" && match(k) && k.GreaterThan(v) {
				return false
			}
		}
		return true
	}
	if highest(func(k *semver.Version) bool { return k.Major() == v.Major() && k.Minor() == v.Minor() }) {
		tags = append(tags, fmt.Sprintf("v%d.%d", v.Major(), v.Minor()))
	}
	if v.Major() > 0 && highest(func(k *semver.Version) bool { return k.Major() == v.Major() }) {
		tags = append(tags, fmt.Sprintf("v%d", v.Major()))
	}
	if highest(func(*semver.Version) bool { return true }) {
		tags = append(tags, "latest")
	}
	return tags
}

func nextBeta(major, minor uint64, known []*semver.Version, tagsKnown bool, run int) (string, error) {
	patch := uint64(0)
	for _, k := range known {
		if k.Major() == major && k.Minor() == minor && k.Prerelease() == "" && k.Patch()+1 > patch {
			patch = k.Patch() + 1
		}
	}
	var n uint64
	if tagsKnown {
		prefix := "beta."
		for _, k := range known {
			if k.Major() == major && k.Minor() == minor && k.Patch() == patch && strings.HasPrefix(k.Prerelease(), prefix) {
				if x, err := strconv.ParseUint(strings.TrimPrefix(k.Prerelease(), prefix), 10, 64); err == nil && x > n {
					n = x
				}
			}
		}
		n++
	} else {
		if run <= 0 {
			return "", bad("run-number", strconv.Itoa(run), "no existing tags are known, so the beta number comes from the CI run number: pass --existing-tags or --run-number")
		}
		n = uint64(run)
	}
	return fmt.Sprintf("v%d.%d.%d-beta.%d", major, minor, patch, n), nil
}

// publishedBeta is a beta of next's MAJOR.MINOR.PATCH that the registry
// already holds from this very commit (the highest such), or "".
func publishedBeta(next string, in Input) string {
	nv, err := semver.StrictNewVersion(strings.TrimPrefix(next, "v"))
	if err != nil {
		return ""
	}
	sha := strings.ToLower(strings.TrimSpace(in.SHA))
	var best *semver.Version
	for tag, commit := range in.Published {
		v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
		if err != nil || !strings.HasPrefix(tag, "v") || v.Major() != nv.Major() || v.Minor() != nv.Minor() || v.Patch() != nv.Patch() ||
			!strings.HasPrefix(v.Prerelease(), "beta.") {
			continue
		}
		c := strings.ToLower(commit)
		if c == "" || !(strings.HasPrefix(c, sha) || strings.HasPrefix(sha, c)) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return "v" + best.String()
}

// BetaPrefix is the tag prefix of the betas a release branch ref builds
// (refs/heads/release/1.4 -> "v1.4."), "" for any other ref: the tags whose
// commits the registry must be asked for.
func BetaPrefix(ref string) string {
	m := releaseRE.FindStringSubmatch(strings.TrimPrefix(ref, "refs/heads/"))
	if m == nil || !strings.HasPrefix(ref, "refs/heads/release/") {
		return ""
	}
	return "v" + m[1] + "." + m[2] + "."
}

// sanitize maps a branch name onto the OCI tag charset.
func sanitize(branch string) string {
	s := tagBadChars.ReplaceAllString(branch, "-")
	return strings.Trim(s, ".-")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ParsePublished reads "tag=commit" pairs (what ociartifact.BetaRevisions
// returns) into Input.Published.
func ParsePublished(pairs []string) map[string]string {
	out := map[string]string{}
	for _, p := range pairs {
		if t, c, ok := strings.Cut(p, "="); ok {
			out[t] = c
		}
	}
	return out
}
