package version

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func base(ref string, tags ...string) Input {
	return Input{
		Ref: ref, SHA: sha, CommitTime: "2026-11-27T18:21:45+01:00",
		Owner: "project-unisonOS", Repo: "unison-orchestrator", Service: "orchestrator", Domain: "core",
		ExistingTags: tags, RunNumber: 42,
	}
}

func TestCompute(t *testing.T) {
	history := []string{"v1.2.3", "v1.3.0", "v1.3.1-rc.1", "v2.0.0-beta.1", "v0.5.0", "not-a-version", "v1.4.0-beta.1", "v1.4.0-beta.3"}
	tests := map[string]struct {
		in         Input
		version    string
		channel    Channel
		tags       []string
		publish    bool
		prerelease bool
	}{
		"stable, highest everywhere": {
			in: base("refs/tags/v1.3.2", history...), version: "v1.3.2", channel: Stable,
			tags: []string{"v1.3.2", "v1.3", "v1", "latest"}, publish: true,
		},
		"stable with no history": {
			in: base("refs/tags/v1.0.0"), version: "v1.0.0", channel: Stable,
			tags: []string{"v1.0.0", "v1.0", "v1", "latest"}, publish: true,
		},
		"hotfix on an older minor: no v1, no latest": {
			in: base("refs/tags/v1.2.4", history...), version: "v1.2.4", channel: Stable,
			tags: []string{"v1.2.4", "v1.2"}, publish: true,
		},
		"old patch re-tagged: only its own tag": {
			in: base("refs/tags/v1.2.2", history...), version: "v1.2.2", channel: Stable,
			tags: []string{"v1.2.2"}, publish: true,
		},
		"rebuild of the current highest keeps every tag (idempotent)": {
			in: base("refs/tags/v1.3.0", history...), version: "v1.3.0", channel: Stable,
			tags: []string{"v1.3.0", "v1.3", "v1", "latest"}, publish: true,
		},
		"higher major exists: no latest": {
			in: base("refs/tags/v1.3.2", append(history, "v2.0.0")...), version: "v1.3.2", channel: Stable,
			tags: []string{"v1.3.2", "v1.3", "v1"}, publish: true,
		},
		"pre-releases of a higher version do not block": {
			in: base("refs/tags/v1.3.2", "v1.4.0-rc.1", "v9.0.0-alpha.1"), version: "v1.3.2", channel: Stable,
			tags: []string{"v1.3.2", "v1.3", "v1", "latest"}, publish: true,
		},
		"major zero: no v0": {
			in: base("refs/tags/v0.6.0", "v0.5.0"), version: "v0.6.0", channel: Stable,
			tags: []string{"v0.6.0", "v0.6", "latest"}, publish: true,
		},
		"alpha below a known pre-release: its full version only": {
			in: base("refs/tags/v0.5.0-alpha.1", history...), version: "v0.5.0-alpha.1", channel: Beta,
			tags: []string{"v0.5.0-alpha.1"}, publish: true, prerelease: true,
		},
		"beta tag, the highest pre-release: and the moving beta": {
			in: base("refs/tags/v2.0.0-beta.2", history...), version: "v2.0.0-beta.2", channel: Beta,
			tags: []string{"v2.0.0-beta.2", "beta"}, publish: true, prerelease: true,
		},
		"rc with no history: and the moving beta": {
			in: base("refs/tags/v3.0.0-rc.10"), version: "v3.0.0-rc.10", channel: Beta,
			tags: []string{"v3.0.0-rc.10", "beta"}, publish: true, prerelease: true,
		},
		"release branch: next beta after known ones": {
			in: base("refs/heads/release/1.4", history...), version: "v1.4.0-beta.4", channel: Beta,
			tags: []string{"v1.4.0-beta.4", "sha-0123456"}, publish: true, prerelease: true,
		},
		"release branch: first beta when tags known but none for it": {
			in: base("refs/heads/release/1.5", history...), version: "v1.5.0-beta.1", channel: Beta,
			tags: []string{"v1.5.0-beta.1", "sha-0123456"}, publish: true, prerelease: true,
		},
		"release branch: no tags known, run number": {
			in: base("refs/heads/release/1.4"), version: "v1.4.0-beta.42", channel: Beta,
			tags: []string{"v1.4.0-beta.42", "beta", "sha-0123456"}, publish: true, prerelease: true,
		},
		"release branch after its x.y.0 shipped: betas of the next patch": {
			in: base("refs/heads/release/1.3", history...), version: "v1.3.1-beta.1", channel: Beta,
			tags: []string{"v1.3.1-beta.1", "sha-0123456"}, publish: true, prerelease: true,
		},
		"main: nightly from the commit date (UTC), moving edge-main and edge": {
			in: base("refs/heads/main"), version: "edge-main-20261127", channel: Nightly,
			tags: []string{"edge-main-20261127", "edge-main", "edge", "sha-0123456"}, publish: true, prerelease: true,
		},
		"feature branch sanitized, explicit date": {
			in:      func() Input { i := base("refs/heads/feature/New Thing+x"); i.Date = "2026-01-02"; return i }(),
			version: "edge-feature-New-Thing-x-20260102", channel: Nightly,
			tags: []string{"edge-feature-New-Thing-x-20260102", "edge-feature-New-Thing-x", "sha-0123456"}, publish: true, prerelease: true,
		},
		"main in the nightly set, build date given (the run's UTC day)": {
			in: func() Input {
				i := base("refs/heads/main")
				i.Date, i.NightlyBranches = "20261206", []string{"develop", "main"}
				return i
			}(),
			version: "edge-main-20261206", channel: Nightly,
			tags: []string{"edge-main-20261206", "edge-main", "edge", "sha-0123456"}, publish: true, prerelease: true,
		},
		"feature branch matched by a pattern of the nightly set": {
			in: func() Input {
				i := base("refs/heads/feature/x")
				i.NightlyBranches = []string{"main", "feature/*"}
				return i
			}(),
			version: "edge-feature-x-20261127", channel: Nightly,
			tags: []string{"edge-feature-x-20261127", "edge-feature-x", "sha-0123456"}, publish: true, prerelease: true,
		},
		"release branch beta, the highest pre-release: and the moving beta": {
			in: base("refs/heads/release/2.1", "v2.0.0", "v2.1.0-beta.1"), version: "v2.1.0-beta.2", channel: Beta,
			tags: []string{"v2.1.0-beta.2", "beta", "sha-0123456"}, publish: true, prerelease: true,
		},
		"pull request: pr-N, not published": {
			in: base("refs/pull/123/merge"), version: "pr-123", channel: PR,
			tags: []string{"pr-123", "sha-0123456"}, publish: false, prerelease: true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Compute(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.version, p.Version)
			assert.Equal(t, tc.channel, p.Channel)
			assert.Equal(t, tc.tags, p.Tags)
			assert.Equal(t, tc.publish, p.Publish)
			assert.Equal(t, tc.prerelease, p.Prerelease)
			assert.Equal(t, contains(tc.tags, "latest"), p.Latest)
			require.Len(t, p.Refs, len(p.Tags))
			for i, r := range p.Refs {
				assert.Equal(t, "ghcr.io/project-unisonos/unison-orchestrator:"+p.Tags[i], r)
			}
			assert.Equal(t, p.Version, p.Labels["org.opencontainers.image.version"], "label and tag must agree")
			assert.Equal(t, string(tc.channel), p.Labels[LabelChannel])
			if tc.prerelease {
				assert.NotContains(t, p.Tags, "latest")
			}
		})
	}
}

// The nightly same-day rule: two commits pushed to main on one day. The
// first build takes the dated tag; the second finds it in the registry from
// another commit and is published under the moving tags and its sha only.
func TestSecondNightlyOfTheDay(t *testing.T) {
	first, err := Compute(base("refs/heads/main"))
	require.NoError(t, err)
	in := base("refs/heads/main")
	in.SHA = "fedcba9876543210fedcba9876543210fedcba98"
	second, err := Compute(in)
	require.NoError(t, err)
	require.Equal(t, first.Version, second.Version, "one dated version a day")
	note, err := second.SecondOfDay(sha)
	require.NoError(t, err)
	assert.Equal(t, []string{"edge-main", "edge", "sha-fedcba9"}, second.Tags)
	assert.Equal(t, []string{"ghcr.io/project-unisonos/unison-orchestrator:edge-main", "ghcr.io/project-unisonos/unison-orchestrator:edge",
		"ghcr.io/project-unisonos/unison-orchestrator:sha-fedcba9"}, second.Refs)
	assert.Equal(t, "edge-main-20261127 stays the day's first build (commit "+sha+"); this build, commit fedcba9876543210fedcba9876543210fedcba98, is published as edge-main edge sha-fedcba9", note)
	assert.Contains(t, first.Tags, first.Version, "the first build keeps its dated tag")

	// the next day (the schedule passes the run's date): a dated tag again
	in.Date = "2026-11-28"
	next, err := Compute(in)
	require.NoError(t, err)
	assert.Equal(t, []string{"edge-main-20261128", "edge-main", "edge", "sha-fedcba9"}, next.Tags)

	stable, err := Compute(base("refs/tags/v1.0.0"))
	require.NoError(t, err)
	_, err = stable.SecondOfDay(sha)
	assert.Error(t, err, "only nightlies have a same-day rule")
}

func TestLongBranchFitsTagLimit(t *testing.T) {
	long := "refs/heads/" + string(make([]byte, 0))
	for i := 0; i < 30; i++ {
		long += "feature-"
	}
	p, err := Compute(base(long))
	require.NoError(t, err)
	assert.LessOrEqual(t, len(p.Version), MaxTagLen)
	assert.Regexp(t, `^edge-feature-.*[a-z]-20261127$`, p.Version)
}

func TestErrors(t *testing.T) {
	tests := map[string]struct {
		mutate func(*Input)
		field  string
	}{
		"tag that is not semver":          {func(i *Input) { i.Ref = "refs/tags/vfoo" }, "ref"},
		"tag without v":                   {func(i *Input) { i.Ref = "refs/tags/1.2.3" }, "ref"},
		"unknown pre-release kind":        {func(i *Input) { i.Ref = "refs/tags/v1.2.3-preview.1" }, "ref"},
		"build metadata":                  {func(i *Input) { i.Ref = "refs/tags/v1.2.3+build.5" }, "ref"},
		"two-part version":                {func(i *Input) { i.Ref = "refs/tags/v1.2" }, "ref"},
		"leading zeros":                   {func(i *Input) { i.Ref = "refs/tags/v01.2.3" }, "ref"},
		"release branch not x.y":          {func(i *Input) { i.Ref = "refs/heads/release/abc" }, "ref"},
		"release branch x.y.z":            {func(i *Input) { i.Ref = "refs/heads/release/1.2.3" }, "ref"},
		"empty branch":                    {func(i *Input) { i.Ref = "refs/heads/" }, "ref"},
		"branch with no valid char":       {func(i *Input) { i.Ref = "refs/heads/###" }, "ref"},
		"unknown ref kind":                {func(i *Input) { i.Ref = "refs/remotes/origin/main" }, "ref"},
		"short ref":                       {func(i *Input) { i.Ref = "main" }, "ref"},
		"pr without number":               {func(i *Input) { i.Ref = "refs/pull/abc/merge" }, "ref"},
		"empty sha":                       {func(i *Input) { i.SHA = "" }, "sha"},
		"sha not hex":                     {func(i *Input) { i.SHA = "zzzzzzzzzz" }, "sha"},
		"sha too short":                   {func(i *Input) { i.SHA = "abc" }, "sha"},
		"commit time not a time":          {func(i *Input) { i.CommitTime = "yesterday" }, "commit-time"},
		"empty commit time":               {func(i *Input) { i.CommitTime = "" }, "commit-time"},
		"date not a date":                 {func(i *Input) { i.Date = "2026-13-45" }, "date"},
		"date garbage":                    {func(i *Input) { i.Date = "today" }, "date"},
		"release branch, no tags, no run": {func(i *Input) { i.Ref = "refs/heads/release/1.4"; i.RunNumber = 0 }, "run-number"},
		"no image name":                   {func(i *Input) { i.Repo = ""; i.Image = "" }, "image"},
		"branch not in the nightly set": {func(i *Input) {
			i.Ref, i.NightlyBranches = "refs/heads/feature/x", []string{"main", "develop"}
		}, "ref"},
		"bad nightly pattern": {func(i *Input) { i.NightlyBranches = []string{"[main"} }, "nightly-branches"},
		"invalid image name":  {func(i *Input) { i.Image = "Bad Image!" }, "image"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := base("refs/heads/main")
			tc.mutate(&in)
			_, err := Compute(in)
			require.Error(t, err)
			var ie *InputError
			require.True(t, errors.As(err, &ie), "want an InputError, got %T: %v", err, err)
			assert.Equal(t, tc.field, ie.Field)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestImageNameLowercasedAndRegistry(t *testing.T) {
	in := base("refs/tags/v1.0.0")
	in.Registry, in.Image = "REGISTRY.example.com:5000", "Unison-Inference"
	p, err := Compute(in)
	require.NoError(t, err)
	assert.Equal(t, "registry.example.com:5000/project-unisonos/unison-inference", p.Repository)
}

// The full label set is pinned by a golden file; created is the commit time
// in UTC, never the clock.
func TestLabelsGolden(t *testing.T) {
	p, err := Compute(base("refs/tags/v1.3.2", "v1.3.1"))
	require.NoError(t, err)
	got, err := json.MarshalIndent(p, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "stable-plan.golden.json")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	assert.Equal(t, "2026-11-27T17:21:45Z", p.Labels["org.opencontainers.image.created"])
	assert.Equal(t, "https://github.com/project-unisonOS/unison-orchestrator", p.Labels["org.opencontainers.image.source"])
	in := base("refs/tags/v1.3.2")
	in.Image, in.Source = "orchestrator-image", "https://github.com/project-unisonOS/orchestrator"
	p, err = Compute(in)
	require.NoError(t, err)
	assert.Equal(t, "https://github.com/project-unisonOS/orchestrator", p.Labels["org.opencontainers.image.source"], "the repository, not the image name")
}

// Three commits of release/1.4 in a repository tagged v1.3.0, each published
// (the registry records tag -> commit): three different betas; rebuilding a
// commit keeps its version, wherever the git history stands.
func TestReleaseBranchBetasNeverRepeat(t *testing.T) {
	registry := map[string]string{}
	build := func(commit string) string {
		in := base("refs/heads/release/1.4", "v1.3.0")
		in.SHA = commit
		for tag := range registry {
			in.ExistingTags = append(in.ExistingTags, tag)
		}
		in.Published = registry
		p, err := Compute(in)
		require.NoError(t, err)
		return p.Version
	}
	commits := []string{"1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "3333333333333333333333333333333333333333"}
	var got []string
	for _, c := range commits {
		v := build(c)
		registry[v] = c
		got = append(got, v)
	}
	assert.Equal(t, []string{"v1.4.0-beta.1", "v1.4.0-beta.2", "v1.4.0-beta.3"}, got)
	assert.Equal(t, "v1.4.0-beta.2", build(commits[1]), "a rebuilt commit keeps its version")
	assert.Equal(t, "v1.4.0-beta.4", build("4444444444444444444444444444444444444444"))
	// a short SHA matches its full commit; a beta of another minor does not count
	registry["v1.5.0-beta.7"] = "5555555555555555555555555555555555555555"
	in := base("refs/heads/release/1.4", "v1.3.0", "v1.4.0-beta.1")
	in.SHA, in.Published = "1111111", registry
	p, err := Compute(in)
	require.NoError(t, err)
	assert.Equal(t, "v1.4.0-beta.1", p.Version)
	assert.Equal(t, "v1.4.", BetaPrefix("refs/heads/release/1.4"))
	assert.Equal(t, "", BetaPrefix("refs/heads/main"))
	assert.Equal(t, "", BetaPrefix("refs/tags/v1.4.0"))
}

func TestRepositoryIsThePlans(t *testing.T) {
	in := Input{Ref: "refs/tags/v1.0.0", SHA: "0123456789abcdef0123456789abcdef01234567", CommitTime: "2026-11-20T10:00:00Z",
		Registry: "GHCR.io", Owner: "Project-UnisonOS", Repo: "unison-platform"}
	p, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Repository(in)
	if err != nil || r != p.Repository || r != "ghcr.io/project-unisonos/unison-platform" {
		t.Fatalf("Repository = %q, %v; the plan's %q", r, err, p.Repository)
	}
}
