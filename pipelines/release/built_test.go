package release

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// jobRecords is a consistent fanned-out release of v1.2.3.
func jobRecords() []Built {
	base := Built{Version: "v1.2.3", Commit: "c0ffee", Ref: "refs/tags/v1.2.3", Options: "flavor=default",
		ServiceDigests: []string{"inference=sha256:" + shaA}}
	files := map[string][]Asset{
		"baremetal-iso": {{"unisonos-baremetal-v1.2.3.iso", 30, shaA}},
		"linux-vm":      {{"unisonos-linux-vm-v1.2.3.qcow2", 20, shaB}},
		"wsl-bundle":    {{"unisonos-v1.2.3.wsl", 10, shaA}, {"unisonos-wsl-v1.2.3.tar.gz", 5, shaB}},
		"bundle":        {{"unison-platform-bundle-v1.2.3.tar.gz", 4, shaA}},
	}
	var out []Built
	for _, job := range Jobs {
		b := base
		b.Artifact, b.Files = job, files[job]
		if s := jobSuite(job); s != "" {
			b.QA.Suites = []string{s + ": PASSED (5 checks, 0 failed)"}
		}
		groups, err := Groups(b.Version, b.Files)
		if err != nil {
			panic(err)
		}
		b.Evidence = map[string]Evidence{groups[0].Repo: {Packages: []sbom.Package{{Name: "bash", Version: "5.2"}}, PackagesFrom: job}}
		out = append(out, b)
	}
	return out
}

var expectV123 = Expect{Version: "v1.2.3", Commit: "c0ffee", Ref: "refs/tags/v1.2.3", Options: "flavor=default"}

func TestAssemble(t *testing.T) {
	a, err := Assemble(expectV123, jobRecords())
	require.NoError(t, err)
	assert.Len(t, a.Files, 5)
	assert.Equal(t, "unison-platform-bundle-v1.2.3.tar.gz", a.Files[0].Name, "sorted by name")
	assert.Equal(t, []string{"qa-smoke: PASSED (5 checks, 0 failed)", "qa-smoke-iso: PASSED (5 checks, 0 failed)"}, a.QA.Suites)
	assert.False(t, a.QA.Skipped)
	assert.Equal(t, []string{"inference=sha256:" + shaA}, a.ServiceDigests)
	assert.Len(t, a.Evidence, 4)

	// before the registry is read the version is not known: not checked
	early := expectV123
	early.Version = ""
	_, err = Assemble(early, jobRecords())
	require.NoError(t, err)

	// a record survives its JSON round trip
	js, err := jobRecords()[0].JSON()
	require.NoError(t, err)
	back, err := ParseBuilt("built-linux-vm.json", js)
	require.NoError(t, err)
	assert.Equal(t, jobRecords()[0], back)
}

func TestAssembleRefuses(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate func([]Built) []Built
		want   Expect
		err    string
	}{
		"missing job": {func(b []Built) []Built { return b[:3] }, expectV123, "artifact bundle: no built-bundle.json: run `release ... artifact --name bundle`"},
		"twice":       {func(b []Built) []Built { return append(b, b[0]) }, expectV123, "artifact linux-vm: built twice"},
		"other commit": {func(b []Built) []Built { b[2].Commit = "bad"; return b }, expectV123,
			`artifact wsl-bundle: built for commit "bad", this release is "c0ffee"`},
		"other version": {func(b []Built) []Built { return b }, Expect{Version: "v1.2.4", Commit: "c0ffee", Ref: "refs/tags/v1.2.3", Options: "flavor=default"},
			`artifact linux-vm: built for version "v1.2.3", this release is "v1.2.4"`},
		"other options": {func(b []Built) []Built { b[3].Options = "flavor=large"; return b }, expectV123, `built for options "flavor=large"`},
		"moved service tag": {func(b []Built) []Built { b[1].ServiceDigests = []string{"inference=sha256:" + shaB}; return b }, expectV123,
			"artifact baremetal-iso: built with service images inference=sha256:bbbb"},
		"same file twice": {func(b []Built) []Built { b[3].Files, b[3].Evidence = b[1].Files, b[1].Evidence; return b }, expectV123, "built by both baremetal-iso and bundle"},
		"qa skipped in a job": {func(b []Built) []Built { b[1].QA = QA{Skipped: true}; return b }, expectV123,
			"artifact baremetal-iso: built with --skip-qa (never booted); publish it with --skip-qa too"},
		"no boot check": {func(b []Built) []Built { b[0].QA = QA{}; return b }, expectV123, "artifact linux-vm: its record has no boot check"},
		// a record claims only its own artifact: its boot check passing, evidence of its repositories
		"failed QA line": {func(b []Built) []Built { b[0].QA.Suites = []string{"qa-smoke: FAILED (5 checks, 2 failed)"}; return b }, expectV123,
			`artifact linux-vm: QA line "qa-smoke: FAILED (5 checks, 2 failed)" does not say its checks passed`},
		"free text QA line": {func(b []Built) []Built {
			b[0].QA.Suites = []string{"qa-smoke: PASSED (5 checks, 0 failed) and signed by Santa"}
			return b
		}, expectV123,
			"does not say its checks passed"},
		"another job's QA line": {func(b []Built) []Built { b[1].QA.Suites = []string{"qa-smoke: PASSED (48 checks, 0 failed)"}; return b }, expectV123,
			`artifact baremetal-iso: QA line "qa-smoke: PASSED (48 checks, 0 failed)" is not this job's boot check (qa-smoke-iso)`},
		"QA line of a job that boots nothing": {func(b []Built) []Built { b[2].QA.Suites = []string{"qa-smoke: PASSED (1 checks, 0 failed)"}; return b }, expectV123,
			"artifact wsl-bundle: QA line \"qa-smoke: PASSED (1 checks, 0 failed)\" is not this job's boot check (none: it boots nothing)"},
		"another job's evidence": {func(b []Built) []Built {
			b[3].Evidence["unisonos-baremetal"] = Evidence{PackagesFrom: "forged"}
			return b
		}, expectV123,
			"artifact bundle: its record has SBOM and provenance evidence for unisonos-baremetal, which none of its files is pushed as"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Assemble(tc.want, tc.mutate(jobRecords()))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
	// skipping QA at publish accepts records with or without it, and says skipped
	b := jobRecords()
	b[1].QA = QA{Skipped: true}
	skip := expectV123
	skip.SkipQA = true
	a, err := Assemble(skip, b)
	require.NoError(t, err)
	assert.True(t, a.QA.Skipped)
	assert.Empty(t, a.QA.Suites)
}

// A release with the offline ISO has a fifth job, booted like the ISO;
// its record is refused by a release without one, and required by one with.
func TestAssembleOfflineISO(t *testing.T) {
	off := jobRecords()[1]
	off.Artifact = OfflineJob
	off.Files = []Asset{{"unisonos-baremetal-offline-v1.2.3.iso", 40, shaB}, {"unisonos-baremetal-offline-v1.2.3.payload.json", 2, shaA}}
	off.QA.Suites = []string{"baremetal-iso-offline qa-smoke-iso: PASSED (3 checks, 0 failed)"}
	off.Evidence = map[string]Evidence{"unisonos-baremetal-offline": {PackagesFrom: "offline"}}
	with := expectV123
	with.OfflineISO = true
	a, err := Assemble(with, append(jobRecords(), off))
	require.NoError(t, err)
	assert.Len(t, a.Files, 7)
	assert.Equal(t, "baremetal-iso-offline qa-smoke-iso: PASSED (3 checks, 0 failed)", a.QA.Suites[2])

	_, err = Assemble(expectV123, append(jobRecords(), off))
	assert.ErrorContains(t, err, "artifact baremetal-iso-offline: this release has no such job (an offline ISO needs with-offline-iso")
	_, err = Assemble(with, jobRecords())
	assert.ErrorContains(t, err, "no built-baremetal-iso-offline.json: run `release ... artifact --name baremetal-iso-offline`")
	off.QA = QA{}
	_, err = Assemble(with, append(jobRecords(), off))
	assert.ErrorContains(t, err, "artifact baremetal-iso-offline: its record has no boot check")
}

func TestParseBuiltRefuses(t *testing.T) {
	good, err := jobRecords()[0].JSON()
	require.NoError(t, err)
	for name, tc := range map[string]struct{ file, data, err string }{
		"not json":      {"built-bundle.json", "{", "is it a record written by `release ... artifact`?"},
		"unknown field": {"built-bundle.json", `{"artifact":"bundle","extra":1}`, `unknown field "extra"`},
		"unknown job":   {"built-x.json", `{"artifact":"x"}`, `artifact "x": want one of linux-vm, baremetal-iso, wsl-bundle, bundle, baremetal-iso-offline`},
		"renamed":       {"built-bundle.json", good, "records artifact linux-vm, whose record is called built-linux-vm.json"},
		"no files":      {"built-bundle.json", `{"artifact":"bundle"}`, "lists no files"},
		"bad file":      {"built-bundle.json", `{"artifact":"bundle","files":[{"Name":"a","Size":1,"SHA256":"x"}]}`, `SHA-256 "x" is not 64`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseBuilt(tc.file, tc.data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}

func TestCheckFiles(t *testing.T) {
	rec := []Asset{{"a.iso", 3, shaA}, {"b.qcow2", 2, shaB}}
	require.NoError(t, CheckFiles(rec, []Asset{{"b.qcow2", 2, shaB}, {"a.iso", 3, shaA}}))
	err := CheckFiles(rec, []Asset{{"a.iso", 3, shaB}, {"c.wsl", 1, shaA}})
	require.Error(t, err)
	for _, want := range []string{"a.iso: sha256 " + shaB + " (3 bytes), its job built " + shaA, "b.qcow2: missing", "c.wsl: no job built it"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Equal(t, 3, strings.Count(err.Error(), "\n  "))
}
