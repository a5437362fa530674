package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// Builds, verifies and boot-checks one artifact of the release, for a fan-out job; with-artifacts then publishes the jobs' outputs.
//
// A release of real media does not fit one runner's disk. release.yml runs
// this once per artifact, each job on its own runner with its own engine,
// uploads each directory as a job artifact, and one last job publishes:
//
//	dagger call release --ref $REF ... artifact --name linux-vm export --path built/
//	python3 -m http.server 8765 --bind 127.0.0.1 --directory built/ &
//	dagger call release --ref $REF ... with-artifacts --server tcp://localhost:8765 publish export --path dist/
//
// The directory holds the artifact's files and built-<name>.json: version,
// commit, options, service digests, file checksums, QA result, and what
// the SBOM and provenance need. The job reads the registry as publish does
// (version, immutability, service digests) but pushes and signs nothing.
//
// +cache="never"
func (r *Release) Artifact(
	ctx context.Context,
	// The artifact: linux-vm, baremetal-iso, wsl-bundle, bundle, or baremetal-iso-offline (with with-offline-iso).
	name string,
) (*dagger.Directory, error) {
	if err := release.CheckJob(name); err != nil {
		return nil, err
	}
	if name == release.OfflineJob && !r.Offline.Iso {
		return nil, fmt.Errorf("artifact %s: chain with-offline-iso before artifact (on every job of the release and on the publishing one)", name)
	}
	if r.Artifacts != nil || r.ArtifactServer != nil {
		return nil, fmt.Errorf("artifact %s: this release publishes already-built artifacts (with-artifacts); build from a release without it", name)
	}
	p, err := r.prepare(ctx, false, true)
	if err != nil {
		return nil, err
	}
	r = p.Release
	files, err := r.buildOne(ctx, name, p)
	if err != nil {
		return nil, err
	}
	verified, err := r.verify(ctx, files)
	if err != nil {
		return nil, err
	}
	gate, err := r.qaGate(ctx, files, []string{name})
	if err != nil {
		return nil, err
	}
	ev, err := r.evidence(ctx, files, verified.Groups, p.Set)
	if err != nil {
		return nil, err
	}
	rec := release.Built{Artifact: name, Version: r.Build.Version, Commit: r.Build.Commit, Ref: r.Ref, Options: r.options(),
		ServiceDigests: digestsOf(p.Set), Files: verified.Assets, QA: gate, Evidence: ev}
	js, err := rec.JSON()
	if err != nil {
		return nil, err
	}
	return files.WithNewFile(release.BuiltFileName(name), js).Sync(ctx)
}

// Publishes the artifacts the artifact jobs built instead of building them: every job's files and built-<name>.json, in a directory or served over HTTP.
//
// Before anything else the records must make one release: every artifact
// once, the same commit, ref, options and service digests as this release
// (which pins the same digests), boot-checked unless --skip-qa. The files
// are verified again and must be the very bytes their jobs recorded.
//
// --server (release-jobs.yml) reads them from the publishing runner's disk
// (python3 -m http.server on the folder: --server tcp://localhost:PORT): each
// file streams through a SHA-256 and to the registry, nothing is copied into
// the engine, and the returned directory holds the notes, checksums,
// signatures and statements without the files (the GitHub Release attaches
// the jobs' files: .github/scripts/release-assets.sh). --dir uploads the
// folder into the engine and returns the files too.
func (r *Release) WithArtifacts(
	ctx context.Context,
	// The outputs of the artifact jobs, merged into one directory (actions/download-artifact merge-multiple).
	// +optional
	dir *dagger.Directory,
	// An HTTP server of that directory on this machine, e.g. tcp://localhost:8765 (python3 -m http.server 8765 --bind 127.0.0.1 --directory built/).
	// +optional
	server *dagger.Service,
) (*Release, error) {
	if (dir == nil) == (server == nil) {
		return nil, fmt.Errorf("with-artifacts: give the artifact jobs' outputs as --dir DIR or --server tcp://localhost:PORT (an HTTP server of DIR), one of them")
	}
	var recs []release.Built
	var err error
	if server != nil {
		s, err := openStore(ctx, server, "with-artifacts --server")
		if err != nil {
			return nil, err
		}
		recs, _, err = s.records(ctx)
		if err != nil {
			return nil, err
		}
	} else if recs, err = readBuilt(ctx, dir); err != nil {
		return nil, err
	}
	// the version is checked once the registry was read (betas are numbered from it)
	asm, err := release.Assemble(r.expect(false), recs)
	if err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	c := *r
	c.Artifacts, c.ArtifactServer = dir, server
	c.ServiceDigests = asm.ServiceDigests
	return &c, nil
}

// assemble takes the release's files from the artifact jobs' outputs.
func (r *Release) assemble(ctx context.Context, p *prepared) (*made, error) {
	recs, err := readBuilt(ctx, r.Artifacts)
	if err != nil {
		return nil, err
	}
	asm, err := release.Assemble(r.expect(true), recs)
	if err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	// the directory as given, minus the records (no copy of the artifacts);
	// a file no job recorded is listed by verify and refused below
	var records []string
	for _, b := range recs {
		records = append(records, release.BuiltFileName(b.Artifact))
	}
	files := r.Artifacts.WithoutFiles(records)
	verified, err := r.verify(ctx, files)
	if err != nil {
		return nil, err
	}
	if err := release.CheckFiles(asm.Files, verified.Assets); err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	return &made{Built: &builtRelease{Files: files, Tree: p.Tree}, Verified: verified, QA: asm.QA, Evidence: asm.Evidence}, nil
}

// readBuilt reads every built-<name>.json in dir.
func readBuilt(ctx context.Context, dir *dagger.Directory) ([]release.Built, error) {
	entries, err := dir.Entries(ctx)
	if err != nil {
		return nil, fmt.Errorf("with-artifacts: %w", err)
	}
	recs, _, err := parseRecords(entries, func(name string) (string, error) {
		data, err := dir.File(name).Contents(ctx)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return data, nil
	})
	return recs, err
}

// parseRecords reads and parses the jobs' records (built-*.json) among
// names, with read; it returns the other names too.
func parseRecords(names []string, read func(name string) (string, error)) ([]release.Built, []string, error) {
	var recs []release.Built
	var others []string
	for _, n := range names {
		if !strings.HasPrefix(n, "built-") || !strings.HasSuffix(n, ".json") {
			others = append(others, n)
			continue
		}
		data, err := read(n)
		if err != nil {
			return nil, nil, fmt.Errorf("with-artifacts: %w", err)
		}
		b, err := release.ParseBuilt(n, data)
		if err != nil {
			return nil, nil, fmt.Errorf("with-artifacts: %w", err)
		}
		recs = append(recs, b)
	}
	return recs, others, nil
}

// expect is what every artifact job of this release must have built; the
// version only when it is final (after the registry was read).
func (r *Release) expect(withVersion bool) release.Expect {
	e := release.Expect{Commit: r.Build.Commit, Ref: r.Ref, Options: r.options(), SkipQA: r.Qa.Skip, OfflineISO: r.Offline.Iso}
	if withVersion {
		e.Version = r.Build.Version
	}
	return e
}

// options are the build parameters every artifact job must share (the
// admin identity as a digest: the record is published with the files).
func (r *Release) options() string {
	b := r.Build
	admin := "public"
	if !b.Public {
		h := sha256.Sum256([]byte(strings.Join(append([]string{b.AdminUser, b.Hostname}, b.SshAuthorizedKeys...), "\n")))
		admin = "admin=sha256:" + hex.EncodeToString(h[:])
	}
	return fmt.Sprintf("flavor=%s platform=%s vmdk=%t %s", b.Flavor, r.platformVersion(), r.Media.Vmdk, admin) + r.offlineOptions()
}

// digestsOf are the set's service pins as with-service-digests takes them, sorted.
func digestsOf(set *compat.Set) []string {
	var out []string
	for name, d := range set.Digests {
		out = append(out, name+"="+d)
	}
	slices.Sort(out)
	return out
}
