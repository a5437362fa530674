package release

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	shaA = strings.Repeat("a", 64)
	shaB = strings.Repeat("b", 64)
)

func TestSHA256SUMS(t *testing.T) {
	s, err := SHA256SUMS([]Asset{{"unisonos-v1.2.3.wsl", 10, shaB}, {"unisonos-baremetal-v1.2.3.iso", 20, shaA}})
	require.NoError(t, err)
	assert.Equal(t, shaA+"  unisonos-baremetal-v1.2.3.iso\n"+shaB+"  unisonos-v1.2.3.wsl\n", s)
	for _, bad := range [][]Asset{
		{{"x y", 1, shaA}},
		{{"x", 1, "abc"}},
		{{"x", 0, shaA}},
		{{"x", 1, shaA}, {"x", 1, shaA}},
	} {
		_, err := SHA256SUMS(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestSplitPlan(t *testing.T) {
	small := Asset{"a.qcow2", GitHubAssetLimit - 1, shaA}
	parts, err := SplitPlan(small, GitHubAssetLimit, DefaultPartSize)
	require.NoError(t, err)
	assert.Empty(t, parts, "below the limit: not split")

	big := Asset{"unisonos-baremetal-v1.2.3.iso", 3*DefaultPartSize + 5, shaA}
	parts, err = SplitPlan(big, GitHubAssetLimit, DefaultPartSize)
	require.NoError(t, err)
	require.Len(t, parts, 4)
	var total int64
	for i, p := range parts {
		assert.Equal(t, total, p.Offset)
		total += p.Size
		assert.Less(t, p.Size, GitHubAssetLimit)
		assert.Equal(t, big.Name+".part0"+string(rune('1'+i)), p.Name)
	}
	assert.Equal(t, big.Size, total, "parts cover the whole file")
	assert.Equal(t, int64(5), parts[3].Size)

	_, err = SplitPlan(big, GitHubAssetLimit, GitHubAssetLimit)
	require.ErrorContains(t, err, "part size")
	_, err = SplitPlan(big, GitHubAssetLimit+1, DefaultPartSize)
	require.ErrorContains(t, err, "asset limit")
	// a lower limit (tests, other hosts) splits smaller files
	parts, err = SplitPlan(Asset{"s.iso", 10 << 20, shaA}, 8<<20, 4<<20)
	require.NoError(t, err)
	require.Len(t, parts, 3)
	assert.Equal(t, int64(2<<20), parts[2].Size)
	_, err = SplitPlan(Asset{"x", 100 * GitHubAssetLimit, shaA}, GitHubAssetLimit, 1<<20)
	require.ErrorContains(t, err, "parts would be needed")
}

func TestReassembleAndNotesGolden(t *testing.T) {
	big := Asset{"unisonos-baremetal-v1.2.3.iso", 2*DefaultPartSize + 1, shaA}
	parts, err := SplitPlan(big, GitHubAssetLimit, DefaultPartSize)
	require.NoError(t, err)
	golden.Equal(t, filepath.Join("testdata", "REASSEMBLE.golden.txt"), []byte(Reassemble(big, parts)))
	var attached []Asset
	for _, p := range parts {
		attached = append(attached, Asset{p.Name, p.Size, shaB})
	}
	attached = append(attached, Asset{"unisonos-v1.2.3.wsl", 123456789, shaB})
	notes := Notes(NotesInput{Version: "v1.2.3", Channel: "stable", Assets: attached, Split: []Asset{big},
		Compat:   map[string]string{"orchestrator": "v0.6.0", "inference": "v0.6.1"},
		Services: map[string]string{"inference": "ghcr.io/project-unisonos/unison-inference@sha256:" + shaA},
		Images:   []string{"ghcr.io/project-unisonos/unison-platform:v1.2.3"},
		QA:       QA{Suites: []string{"qa-smoke: PASSED (11 checks, 0 failed)", "qa-smoke-iso: PASSED (6 checks, 0 failed)"}},
		Offline:  "offline payload for ubuntu-24.04: 612.4 MiB (packages 80.1 MiB in 31 files, images 532.3 MiB for 4 services, models 0.0 MiB)"})
	golden.Equal(t, filepath.Join("testdata", "notes.golden.md"), []byte(notes))
	beta := Notes(NotesInput{Version: "v1.3.0-beta.1", Channel: "beta", Prerelease: true, Keyless: true,
		Assets:   []Asset{{"unisonos-v1.3.0-beta.1.wsl", 1 << 20, shaA}},
		Identity: "https://github.com/project-unisonOS/unison-platform/.github/workflows/release-jobs.yml@refs/tags/v1.3.0-beta.1",
		Issuer:   "https://token.actions.githubusercontent.com", QA: QA{Skipped: true}})
	golden.Equal(t, filepath.Join("testdata", "notes-keyless.golden.md"), []byte(beta))
	assert.Contains(t, beta, "> **Warning:** SKIPPED (--skip-qa)")
}

func TestListingAndSizes(t *testing.T) {
	l, err := Listing("unisonos-baremetal-v1.iso\t2097152\t" + shaA + "\nunisonos-models-v1.json\t300\t" + shaB + "\n")
	require.NoError(t, err)
	require.Len(t, l, 2)
	assert.Equal(t, Asset{"unisonos-baremetal-v1.iso", 2 << 20, shaA}, l[0])
	require.NoError(t, CheckSizes("v1", l))

	for _, bad := range []string{"a\t1", "a\tx\t" + shaA, "a b\t1\t" + shaA, "a\t1\tABC"} {
		_, err := Listing(bad)
		assert.Error(t, err, bad)
	}
	err = CheckSizes("v1", []Asset{{"unisonos-baremetal-v1.iso", 100, shaA}, {"unisonos-linux-vm-v1.qcow2", 20 << 30, shaA}, {"x.exe", 5, shaA}})
	require.Error(t, err)
	for _, want := range []string{"unisonos-baremetal-v1.iso: 100 bytes, below", "unisonos-linux-vm-v1.qcow2: 21474836480 bytes, above", "x.exe: no artifact of version v1"} {
		assert.ErrorContains(t, err, want)
	}
}

func TestGroups(t *testing.T) {
	v := "v1.2.3"
	names := []string{"unisonos-baremetal-v1.2.3.iso", "unisonos-linux-vm-v1.2.3.qcow2", "unisonos-linux-vm-v1.2.3.vmdk",
		"unisonos-v1.2.3.wsl", "unisonos-wsl-rootfs-v1.2.3.tar.gz", "unisonos-wsl-v1.2.3.tar.gz",
		"unison-platform-bundle-v1.2.3.tar.gz", "unisonos-models-v1.2.3.json"}
	var as []Asset
	for _, n := range names {
		as = append(as, Asset{n, 1, shaA})
	}
	gs, err := Groups(v, as)
	require.NoError(t, err)
	got := map[string][]string{}
	for _, g := range gs {
		for _, f := range g.Files {
			got[g.Repo] = append(got[g.Repo], f.Name)
		}
		assert.Contains(t, g.ArtifactType, "application/vnd.unisonos.")
	}
	assert.Equal(t, map[string][]string{
		"unisonos-baremetal":     {names[0]},
		"unisonos-linux-vm":      {names[1], names[2]},
		"unisonos-wsl":           {names[3], names[4], names[5]},
		"unison-platform-bundle": {names[6], names[7]},
	}, got)
	_, err = Groups(v, append(as, Asset{"unisonos-baremetal-v9.iso", 1, shaA}))
	require.ErrorContains(t, err, "unisonos-baremetal-v9.iso")
	assert.Equal(t, "application/vnd.efi.iso", MediaType(names[0], v))
	assert.Equal(t, "application/gzip", MediaType(names[3], v))
	assert.Equal(t, "application/octet-stream", MediaType("x.bin", v))
}

func TestPlanTextGolden(t *testing.T) {
	m := Manifest{Version: "v1.2.3", Channel: "stable", Commit: "0123456789abcdef0123456789abcdef01234567",
		Created: "2026-11-27T10:00:00Z", Signing: "key", DryRun: true,
		QA: QA{Suites: []string{Headline("qa-smoke: PASSED (11 checks, 0 failed)\n  ok boot ...\n"), "qa-smoke-iso: PASSED (6 checks, 0 failed)"}},
		Assets: []Asset{{"unisonos-baremetal-v1.2.3.iso.part01", 1900 << 20, shaA}, {"unisonos-baremetal-v1.2.3.iso.part02", 1172 << 20, shaA},
			{"unisonos-v1.2.3.wsl", 5 << 20, shaB}},
		Split:    []Asset{{"unisonos-baremetal-v1.2.3.iso", 3 << 30, shaA}},
		Services: map[string]string{"inference": "ghcr.io/project-unisonos/unison-inference@sha256:" + shaB, "auth": "ghcr.io/project-unisonos/unison-auth@sha256:" + shaA},
		Pushes: []Push{
			{Repository: "ghcr.io/project-unisonos/unison-platform", Kind: "image", Tags: []string{"v1.2.3", "v1.2", "v1", "latest"}},
			{Repository: "ghcr.io/project-unisonos/unisonos-wsl", Kind: "artifact", Tags: []string{"v1.2.3", "v1.2", "v1", "latest"},
				Digest: "sha256:" + shaB, Files: []string{"unisonos-v1.2.3.wsl"}},
		}}
	golden.Equal(t, filepath.Join("testdata", "plan.golden.txt"), []byte(PlanText(m)))
	m.Unpinned = "service images: could not be resolved:\n  x:v1: no route"
	assert.Contains(t, PlanText(m), "  NOT PINNED: publish refuses this release as it stands:\n  service images: could not be resolved:\n    x:v1: no route\n")
	m.Forced = "x:v1.2.3 was published from commit a and is OVERWRITTEN"
	assert.Contains(t, PlanText(m), "signing key\n\nFORCED: x:v1.2.3 was published from commit a and is OVERWRITTEN\n\nqa")
	m.QA = QA{Skipped: true}
	assert.Contains(t, PlanText(m), "qa: SKIPPED (--skip-qa): no image of this release was booted or checked before publishing\n")
	m.Note = "edge-main-20261207 stays the day's first build"
	assert.Contains(t, PlanText(m), "OVERWRITTEN\n\nNOTE: edge-main-20261207 stays the day's first build\n\nqa")
	m.ServiceTrust, m.Unsigned = "the key given to with-service-trust", []string{"auth", "context"}
	assert.Contains(t, PlanText(m), "  signatures checked: the key given to with-service-trust\n  NOT SIGNATURE-CHECKED (with-service-trust --unsigned): auth, context\n")
}

func TestPlainHTTP(t *testing.T) {
	for host, want := range map[string]bool{
		"10.87.0.1:5001": true, "127.0.0.1:5000": true, "localhost:5000": true, "192.168.1.2": true, "[::1]:5000": true,
		"ghcr.io": false, "registry.example.com:5000": false, "8.8.8.8:443": false,
	} {
		assert.Equal(t, want, PlainHTTP(host), host)
	}
}

func TestSumOf(t *testing.T) {
	sums := shaA + "  unisonos-baremetal-v1.iso\n" + shaB + " *unisonos-v1.wsl\nnot a line\n"
	got, err := SumOf(sums, "unisonos-baremetal-v1.iso")
	require.NoError(t, err)
	assert.Equal(t, shaA, got)
	got, err = SumOf(sums, "unisonos-v1.wsl")
	require.NoError(t, err)
	assert.Equal(t, shaB, got)
	_, err = SumOf(sums, "unisonos-baremetal-v1.iso.part01")
	assert.ErrorContains(t, err, "no SHA-256 line for unisonos-baremetal-v1.iso.part01")
	_, err = SumOf(strings.ToUpper(shaA)+"  x.iso\n", "x.iso")
	assert.Error(t, err)
}

func TestTagsText(t *testing.T) {
	for _, tc := range []struct {
		name, forced, note, want string
		pre                      bool
		tags                     []string
	}{
		{name: "stable", tags: []string{"v0.5.1", "v0.5"},
			want: "release v0.5.1  channel stable  prerelease false\nrepository r/o/unison-platform (and its artifacts next to it)\ntags: v0.5.1 v0.5\n"},
		{name: "forced", pre: true, tags: []string{"v0.5.1"}, forced: "x was published from commit a",
			want: "release v0.5.1  channel stable  prerelease true\nrepository r/o/unison-platform (and its artifacts next to it)\ntags: v0.5.1\nFORCED: x was published from commit a\n"},
		{name: "second nightly of a day", pre: true, tags: []string{"edge-main", "sha-1"}, note: "edge-main-1 stays the day's first build",
			want: "release v0.5.1  channel stable  prerelease true\nrepository r/o/unison-platform (and its artifacts next to it)\ntags: edge-main sha-1\nNOTE: edge-main-1 stays the day's first build\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, TagsText("v0.5.1", "stable", tc.pre, "r/o/unison-platform", tc.tags, tc.forced, tc.note))
		})
	}
}
