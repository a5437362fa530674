package release

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// Jobs are the artifacts a fanned-out release builds in separate jobs (each
// on its own runner), in the order their QA suites are listed: the
// products of artifact.Products a release always builds.
var Jobs = artifact.ProductNames(false)

// OfflineJob builds the offline ISO of a release that has one
// (with-offline-iso): a job of its own, on its own runner.
const OfflineJob = "baremetal-iso-offline"

// JobsFor are the jobs of a release, with or without the optional ones
// (the offline ISO).
func JobsFor(offlineISO bool) []string { return artifact.ProductNames(offlineISO) }

// Built is what one fan-out job built, verified and boot-checked: written
// as built-<artifact>.json next to its files, read back by the job that
// assembles, signs and publishes the release.
type Built struct {
	Artifact string `json:"artifact"`
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Ref      string `json:"ref"`
	// Options are the build's parameters (flavor, platform version, public,
	// vmdk, admin identity digest); every job of a release has the same.
	Options string `json:"options"`
	// ServiceDigests pin the service images, SERVICE=sha256:<hex>.
	ServiceDigests []string `json:"serviceDigests"`
	Files          []Asset  `json:"files"`
	QA             QA       `json:"qa"`
	// Evidence of each OCI repository the files are pushed as.
	Evidence map[string]Evidence `json:"evidence"`
}

// Evidence is what an artifact's SBOM and provenance statement are made of.
type Evidence struct {
	Packages     []sbom.Package          `json:"packages"`
	PackagesFrom string                  `json:"packagesFrom"`
	Dependencies []provenance.Dependency `json:"dependencies"`
}

// BuiltFileName is the name of a job's record.
func BuiltFileName(artifact string) string { return "built-" + artifact + ".json" }

// CheckJob refuses an artifact name no job builds.
func CheckJob(name string) error {
	if _, err := artifact.GetProduct(name); err != nil {
		return fmt.Errorf("artifact %q: want one of %s", name, strings.Join(JobsFor(true), ", "))
	}
	return nil
}

// JSON is the record's file content.
func (b Built) JSON() (string, error) {
	js, err := json.MarshalIndent(b, "", "  ")
	return string(js) + "\n", err
}

// ParseBuilt reads one job's record; name is the file it came from.
func ParseBuilt(name, data string) (Built, error) {
	var b Built
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return Built{}, fmt.Errorf("%s: %w (is it a record written by `release ... artifact`?)", name, err)
	}
	if err := CheckJob(b.Artifact); err != nil {
		return Built{}, fmt.Errorf("%s: %w", name, err)
	}
	if want := BuiltFileName(b.Artifact); name != want {
		return Built{}, fmt.Errorf("%s: records artifact %s, whose record is called %s", name, b.Artifact, want)
	}
	if len(b.Files) == 0 {
		return Built{}, fmt.Errorf("%s: lists no files", name)
	}
	for _, f := range b.Files {
		if err := f.check(); err != nil {
			return Built{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return b, nil
}

// Expect is what the assembling release is: every job must have built it.
type Expect struct {
	// Version "" is not checked.
	Version, Commit, Ref, Options string
	SkipQA                        bool
	// OfflineISO: the release has the offline ISO's job too.
	OfflineISO bool
}

// Assembled is the fanned-out release put back together.
type Assembled struct {
	Files          []Asset
	ServiceDigests []string
	QA             QA
	Evidence       map[string]Evidence
}

// Assemble checks that the jobs' records make one release: each artifact
// exactly once, all built from the same commit, ref, version, options and
// service digests, boot-checked unless the release skips QA; it merges
// their files, QA suites and evidence.
func Assemble(want Expect, builts []Built) (Assembled, error) {
	byJob := map[string]Built{}
	for _, b := range builts {
		if _, dup := byJob[b.Artifact]; dup {
			return Assembled{}, fmt.Errorf("artifact %s: built twice (two jobs' files in one directory?)", b.Artifact)
		}
		byJob[b.Artifact] = b
	}
	jobs := JobsFor(want.OfflineISO)
	for job := range byJob {
		if !slices.Contains(jobs, job) {
			return Assembled{}, fmt.Errorf("artifact %s: this release has no such job (an offline ISO needs with-offline-iso on every job and on the publishing one)", job)
		}
	}
	out := Assembled{Evidence: map[string]Evidence{}, QA: QA{Skipped: want.SkipQA}}
	seen := map[string]string{}
	for _, job := range jobs {
		b, ok := byJob[job]
		if !ok {
			return Assembled{}, fmt.Errorf("artifact %s: no %s: run `release ... artifact --name %s` (the %s job) and put its files in the directory", job, BuiltFileName(job), job, job)
		}
		if err := want.check(b); err != nil {
			return Assembled{}, err
		}
		if out.ServiceDigests == nil {
			out.ServiceDigests = b.ServiceDigests
		} else if !slices.Equal(out.ServiceDigests, b.ServiceDigests) {
			return Assembled{}, fmt.Errorf("artifact %s: built with service images %s, %s with %s: a service tag moved while the release was built; rerun the release",
				job, strings.Join(b.ServiceDigests, " "), Jobs[0], strings.Join(out.ServiceDigests, " "))
		}
		for _, f := range b.Files {
			if other, dup := seen[f.Name]; dup {
				return Assembled{}, fmt.Errorf("file %s: built by both %s and %s", f.Name, other, job)
			}
			seen[f.Name] = job
			out.Files = append(out.Files, f)
		}
		out.QA.Suites = append(out.QA.Suites, b.QA.Suites...)
		for repo, e := range b.Evidence {
			out.Evidence[repo] = e
		}
	}
	if out.QA.Skipped {
		out.QA.Suites = nil
	}
	out.Files = sortedAssets(out.Files)
	return out, nil
}

// check compares one job's record with the release.
func (e Expect) check(b Built) error {
	for _, f := range []struct{ field, got, want string }{
		{"commit", b.Commit, e.Commit}, {"ref", b.Ref, e.Ref}, {"version", b.Version, e.Version}, {"options", b.Options, e.Options},
	} {
		// no version expected: not known yet (betas are numbered from the registry)
		if f.got != f.want && (f.field != "version" || f.want != "") {
			return fmt.Errorf("artifact %s: built for %s %q, this release is %q: build every artifact with the same release arguments", b.Artifact, f.field, f.got, f.want)
		}
	}
	booted := jobSuite(b.Artifact) != ""
	switch {
	case b.QA.Skipped && !e.SkipQA:
		return fmt.Errorf("artifact %s: built with --skip-qa (never booted); publish it with --skip-qa too, or rebuild it without", b.Artifact)
	case booted && !b.QA.Skipped && len(b.QA.Suites) == 0:
		return fmt.Errorf("artifact %s: its record has no boot check", b.Artifact)
	}
	return b.checkOwn()
}

// jobSuite is the boot check each job's QA gate writes (the product's
// suite, labelled for the offline ISO); "": the product boots nothing.
func jobSuite(job string) string {
	p, _ := artifact.GetProduct(job)
	return p.Suite
}

var passedRE = regexp.MustCompile(`^(.+): PASSED \([0-9]+ checks, 0 failed\)$`)

// checkOwn refuses what a job's record claims beyond its own artifact: a
// QA line that is not its boot check passing (the notes publish them as
// "checked before signing"), and evidence (SBOM, provenance) for an OCI
// repository none of its files is pushed as.
func (b Built) checkOwn() error {
	for _, s := range b.QA.Suites {
		m := passedRE.FindStringSubmatch(s)
		if m == nil {
			return fmt.Errorf("artifact %s: QA line %q does not say its checks passed (a release's QA gate records only passing boots)", b.Artifact, s)
		}
		if want := jobSuite(b.Artifact); want == "" || m[1] != want {
			return fmt.Errorf("artifact %s: QA line %q is not this job's boot check (%s)", b.Artifact, s, or(want, "none: it boots nothing"))
		}
	}
	groups, err := Groups(b.Version, b.Files)
	if err != nil {
		return fmt.Errorf("artifact %s: %w", b.Artifact, err)
	}
	own := map[string]bool{}
	for _, g := range groups {
		own[g.Repo] = true
	}
	for repo := range b.Evidence {
		if !own[repo] {
			return fmt.Errorf("artifact %s: its record has SBOM and provenance evidence for %s, which none of its files is pushed as", b.Artifact, repo)
		}
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CheckFiles compares what verification listed in the assembled directory
// with what the jobs recorded: same names, sizes and SHA-256.
func CheckFiles(recorded, listed []Asset) error {
	got := map[string]Asset{}
	for _, a := range listed {
		got[a.Name] = a
	}
	var errs []string
	for _, want := range recorded {
		a, ok := got[want.Name]
		switch {
		case !ok:
			errs = append(errs, want.Name+": missing")
		case a != want:
			errs = append(errs, fmt.Sprintf("%s: sha256 %s (%d bytes), its job built %s (%d bytes)", want.Name, a.SHA256, a.Size, want.SHA256, want.Size))
		}
		delete(got, want.Name)
	}
	for name := range got {
		errs = append(errs, name+": no job built it")
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("the artifacts differ from what their jobs built:\n  %s", strings.Join(errs, "\n  "))
	}
	return nil
}
