// Package provenance writes the in-toto SLSA v1 provenance of a release's
// artifacts: what was built (subjects by SHA-256), from which source and
// inputs (commit, base media and images by digest), by which builder.
package provenance

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

const (
	// StatementType and PredicateType are the in-toto and SLSA v1 type URIs.
	StatementType = "https://in-toto.io/Statement/v1"
	PredicateType = "https://slsa.dev/provenance/v1"
	// BuildType names this release recipe (dagger call release ... publish).
	BuildType = "https://github.com/project-unisonOS/unison-platform/release/v1"
	// Source is the repository the module builds.
	Source = "git+https://github.com/project-unisonOS/unison-platform"
)

// Subject is a built file.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Dependency is a resolved input (SLSA ResourceDescriptor).
type Dependency struct {
	URI    string            `json:"uri"`
	Name   string            `json:"name,omitempty"`
	Digest map[string]string `json:"digest"`
}

// Input is what one statement says.
type Input struct {
	// Files built (name -> SHA-256 hex).
	Files map[string]string
	// Ref, Commit and Version of the release; Params are the other external parameters.
	Ref, Commit, Version string
	Params               map[string]any
	// Dependencies besides the source commit (base media, images), by digest.
	Dependencies []Dependency
	// Source is the built repository (git+https://...); default this one.
	// BuildType names the recipe; default the release's.
	Source, BuildType string
	// BuilderID identifies the platform that ran the build (a workflow URL in
	// GitHub Actions); InvocationID the run; Dagger the engine version.
	BuilderID, InvocationID, Dagger string
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{40,64}$`)

// Predicate is the SLSA v1 provenance predicate (what cosign attest takes).
func Predicate(in Input) (map[string]any, error) {
	if in.BuilderID == "" || in.Ref == "" || !hexRE.MatchString(in.Commit) {
		return nil, fmt.Errorf("provenance: builder id, ref and a commit SHA are required (commit %q)", in.Commit)
	}
	params := map[string]any{"ref": in.Ref, "version": in.Version}
	for k, v := range in.Params {
		params[k] = v
	}
	source, buildType := Source, BuildType
	if in.Source != "" {
		source = in.Source
	}
	if in.BuildType != "" {
		buildType = in.BuildType
	}
	deps := []Dependency{{URI: source + "@" + in.Ref, Digest: map[string]string{"gitCommit": in.Commit}}}
	for _, d := range in.Dependencies {
		if len(d.Digest) == 0 {
			return nil, fmt.Errorf("provenance: dependency %s has no digest: every input is pinned", d.URI)
		}
		deps = append(deps, d)
	}
	run := map[string]any{"builder": map[string]any{"id": in.BuilderID, "version": map[string]string{"dagger": in.Dagger}}}
	if in.InvocationID != "" {
		run["metadata"] = map[string]string{"invocationId": in.InvocationID}
	}
	return map[string]any{
		"buildDefinition": map[string]any{"buildType": buildType, "externalParameters": params, "resolvedDependencies": deps},
		"runDetails":      run,
	}, nil
}

// Statement is the in-toto statement over the files (what the release
// attaches as <artifact>-<version>.intoto.json).
func Statement(in Input) ([]byte, error) {
	pred, err := Predicate(in)
	if err != nil {
		return nil, err
	}
	if len(in.Files) == 0 {
		return nil, fmt.Errorf("provenance: no subject")
	}
	var subjects []Subject
	for n, sum := range in.Files {
		if !hexRE.MatchString(sum) || len(sum) != 64 {
			return nil, fmt.Errorf("provenance: subject %s: sha256 %q is not 64 hex digits", n, sum)
		}
		subjects = append(subjects, Subject{Name: n, Digest: map[string]string{"sha256": sum}})
	}
	sort.Slice(subjects, func(i, j int) bool { return subjects[i].Name < subjects[j].Name })
	b, err := json.MarshalIndent(map[string]any{"_type": StatementType, "subject": subjects, "predicateType": PredicateType, "predicate": pred}, "", "  ")
	return append(b, '\n'), err
}

// FileName is the statement's release asset name.
func FileName(artifact, version string) string { return artifact + "-" + version + ".intoto.json" }

// PredicateOf extracts the predicate of a statement (cosign attest wraps it
// into a statement whose subject is the pushed manifest).
func PredicateOf(statement []byte) ([]byte, error) {
	var st struct {
		Predicate json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(statement, &st); err != nil || len(st.Predicate) == 0 {
		return nil, fmt.Errorf("provenance: not an in-toto statement with a predicate: %v", err)
	}
	return st.Predicate, nil
}
