package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/grub"
	"github.com/project-unisonOS/unison-platform/pipelines/iso"
	"github.com/project-unisonOS/unison-platform/pipelines/offline"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
	"golang.org/x/sync/errgroup"
)

// Make: build, verify, boot-check and split the artifacts.

// builtRelease is every built file of a release, and the bundle tree the
// platform image carries.
type builtRelease struct {
	Files *dagger.Directory
	Tree  *dagger.Directory
	// Store serves Files' bytes when they are not in the engine (with-artifacts --server).
	Store *fileStore
}

// buildAll builds the ISO, VM disk, WSL distribution, bundle and
// models.json of the release concurrently, in one DAG.
func (r *Release) buildAll(ctx context.Context, p *prepared) (*builtRelease, error) {
	jobs := r.jobs()
	out := make([]*dagger.Directory, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	for i, job := range jobs {
		g.Go(func() (err error) {
			out[i], err = r.buildOne(gctx, job, p)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	files := dag.Directory()
	for _, d := range out {
		files = files.WithDirectory(".", d)
	}
	return &builtRelease{Files: files, Tree: p.Tree}, nil
}

// buildOne builds the files of one artifact job (release.JobsFor).
func (r *Release) buildOne(ctx context.Context, job string, p *prepared) (*dagger.Directory, error) {
	d, err := r.jobFiles(ctx, job, p)
	if err == nil {
		d, err = d.Sync(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", job, err)
	}
	return d, nil
}

// jobFiles is the (lazy) directory of one artifact job's files.
func (r *Release) jobFiles(ctx context.Context, job string, p *prepared) (*dagger.Directory, error) {
	b, tree := r.Build, p.Tree
	switch job {
	case "baremetal-iso", release.OfflineJob:
		// long edge versions get a shortened label instead of an error
		volid, err := iso.ReleaseVolumeID(b.Version)
		if err != nil {
			return nil, err
		}
		if job == release.OfflineJob {
			return r.offlineISO(ctx, p, volid)
		}
		return b.iso(ctx, isoOptions{Base: baseInput{File: r.Media.BaseIso, SHA256: r.Media.BaseIsoSha256}, VolumeID: volid, Tree: tree})
	case "linux-vm":
		return b.vm(ctx, vmOptions{Base: baseInput{File: r.Media.BaseImage, SHA256: r.Media.BaseImageSha256}, Vmdk: r.Media.Vmdk, Tree: tree})
	case "wsl-bundle":
		return b.wsl(ctx, nil, tree)
	case "bundle":
		return dag.Directory().
			WithFile(artifact.Name(artifact.Bundle, b.Version), b.bundleTar(tree)).
			// models.json is the one the bundle carries (rendered once, in bundleTree)
			WithFile(artifact.Name(artifact.Models, b.Version), tree.File("models.json")), nil
	}
	return nil, release.CheckJob(job)
}

// jobs are the release's artifact jobs (release.JobsFor).
func (r *Release) jobs() []string { return release.JobsFor(r.Offline.Iso) }

// offlineISO builds the offline ISO from the release's pinned service images.
func (r *Release) offlineISO(ctx context.Context, p *prepared, volid string) (*dagger.Directory, error) {
	if p.Unresolved != nil {
		return nil, fmt.Errorf("with-offline-iso: the offline ISO carries every service image, by digest: %w", p.Unresolved)
	}
	b := *r.Build
	b.Offline, b.ModelsStore, b.MaxSizeMib, b.OfflineDigests = true, r.Offline.Models, r.Offline.MaxMib, digestsOf(p.Set)
	tree, err := b.offlineTreeOf(ctx, p.Set) // the release's set, pinned once
	if err != nil {
		return nil, err
	}
	return b.iso(ctx, isoOptions{Base: baseInput{File: r.Media.BaseIso, SHA256: r.Media.BaseIsoSha256}, VolumeID: volid, Tree: tree})
}

// offlineOptions is what the jobs' records must agree on about the offline ISO.
func (r *Release) offlineOptions() string {
	if !r.Offline.Iso {
		return ""
	}
	return fmt.Sprintf(" offline-iso=models:%s,max-mib:%d", r.Offline.ModelsDigest, r.Offline.MaxMib)
}

// payload reads the offline ISO's payload listing from the release's files
// (ok false: the release has no offline ISO).
func (r *Release) payload(ctx context.Context, files *dagger.Directory) (m offline.Manifest, ok bool, err error) {
	if !r.Offline.Iso {
		return m, false, nil
	}
	name := artifact.Name(artifact.Payload, r.Build.Version)
	data, err := files.File(name).Contents(ctx)
	if err != nil {
		return m, false, fmt.Errorf("offline ISO: %s: %w", name, err)
	}
	m, err = offline.ParseManifest(name, data)
	return m, err == nil, err
}

// payloadPackages are the Debian packages the offline ISO carries, for its SBOM.
func (r *Release) payloadPackages(ctx context.Context, files *dagger.Directory) ([]sbom.Package, error) {
	m, _, err := r.payload(ctx, files)
	if err != nil {
		return nil, err
	}
	return m.DebPackages()
}

// offlineSummary is the payload's size line for PLAN.txt and the notes ("": no offline ISO).
func (r *Release) offlineSummary(ctx context.Context, files *dagger.Directory) (string, error) {
	m, ok, err := r.payload(ctx, files)
	if !ok {
		return "", err
	}
	return m.Summary(), nil
}

// qaBoot is one boot check of the QA gate; label names what it booted when
// the suite's own name does not (the offline ISO next to the ISO).
type qaBoot struct {
	label string
	run   func(context.Context) (*QaReport, error)
}

// qaGate boots the built VM disk and ISOs of the given jobs (release.JobsFor)
// and fails when a check failed; it returns what PLAN.txt and the notes
// say about it.
func (r *Release) qaGate(ctx context.Context, files *dagger.Directory, jobs []string) (release.QA, error) {
	if r.Qa.Skip {
		return release.QA{Skipped: true}, nil
	}
	suites, reports, err := r.qaBoots(ctx, files, jobs)
	if err != nil {
		return release.QA{}, err
	}
	var q release.QA
	for i, rep := range reports {
		if !rep.Passed {
			return release.QA{}, fmt.Errorf("qa: the release failed its boot checks; nothing was signed or pushed (rerun with --skip-qa only knowingly):\n%s", rep.Summary)
		}
		line := release.Headline(rep.Summary)
		if suites[i] != suiteOf(rep) {
			line = suites[i] + " " + line
		}
		q.Suites = append(q.Suites, line)
	}
	return q, nil
}

// Boots what the release would publish, as its QA gate does, and returns every report: one folder per suite.
//
// The folders are qa-smoke (the VM disk), qa-smoke-iso (the ISO) and, with
// with-offline-iso, baremetal-iso-offline; each holds summary.txt,
// junit.xml, run.txt, the guest's log and the serial console. Passing or
// not, the reports come back (a failed gate's serial logs are here). After
// a dry run or publish that passed the gate, the boots come from the
// engine's cache. It builds every artifact of the release, as a dry run does.
func (r *Release) QaReports(ctx context.Context) (*dagger.Directory, error) {
	p, err := r.prepare(ctx, true, false)
	if err != nil {
		return nil, err
	}
	r = p.Release
	built, err := r.buildAll(ctx, p)
	if err != nil {
		return nil, err
	}
	suites, reports, err := r.qaBoots(ctx, built.Files, r.jobs())
	if err != nil {
		return nil, err
	}
	dir := dag.Directory()
	for i, rep := range reports {
		dir = dir.WithDirectory(suites[i], rep.Report)
	}
	return dir, nil
}

// suiteOf is a report's suite name, the first word of its headline ("qa-smoke", "qa-smoke-iso").
func suiteOf(rep *QaReport) string {
	name, _, _ := strings.Cut(release.Headline(rep.Summary), ":")
	return name
}

// qaBoots boots the built VM disk and ISOs of the given jobs, concurrently,
// and returns each report with its suite's name (the offline ISO's is the job's).
func (r *Release) qaBoots(ctx context.Context, files *dagger.Directory, jobs []string) ([]string, []*QaReport, error) {
	m, v := r.Build.Root, r.Build.Version
	o := qaVMOptions{KernelArgs: r.Qa.KernelArgs, BootTimeout: r.Qa.BootTimeout, HealthTimeout: r.Qa.HealthTimeout,
		InsecureRegistries: r.Qa.InsecureRegistries}.withDefaults()
	var boots []qaBoot
	if slices.Contains(jobs, "linux-vm") {
		boots = append(boots, qaBoot{run: func(ctx context.Context) (*QaReport, error) {
			acc, err := m.qaAccel(ctx, or(r.Qa.Accel, "auto"))
			if err != nil {
				return nil, err
			}
			return m.qaDisk(ctx, files.File(artifact.Name(artifact.Qcow2, v)), nil, r.Qa.BootFiles, acc, o)
		}})
	}
	// the online ISO's suite name says what it booted; the offline one is labelled
	for _, iso := range []struct {
		job, label string
		kind       artifact.Kind
	}{{"baremetal-iso", "", artifact.ISO}, {release.OfflineJob, release.OfflineJob, artifact.ISOOffline}} {
		if !slices.Contains(jobs, iso.job) {
			continue
		}
		file := files.File(artifact.Name(iso.kind, v))
		boots = append(boots, qaBoot{label: iso.label, run: func(ctx context.Context) (*QaReport, error) {
			// the kernel prints its command line: the one marker real media and stand-ins both show
			return m.qaISO(ctx, file, []string{"autoinstall " + grub.DefaultDatasource}, isoBootTimeout, o.Memory)
		}})
	}
	reports := make([]*QaReport, len(boots))
	g, gctx := errgroup.WithContext(ctx)
	for i, boot := range boots {
		g.Go(func() (err error) {
			reports[i], err = boot.run(gctx)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("qa: %w", err)
	}
	suites := make([]string, len(boots))
	for i, rep := range reports {
		suites[i] = suiteOf(rep)
		if boots[i].label != "" {
			suites[i] = boots[i].label
		}
	}
	return suites, reports, nil
}

// made is a release's built, verified and boot-checked files, and what
// their SBOMs and provenance statements say.
type made struct {
	Built    *builtRelease
	Verified *verifiedRelease
	// Split is the release directory already laid out (with-artifacts --server: parts hashed, not written).
	Split    *splitRelease
	QA       release.QA
	Evidence map[string]release.Evidence
}

// make builds, verifies and boot-checks every artifact in this DAG, or
// takes them from the artifact jobs (with-artifacts).
func (r *Release) make(ctx context.Context, p *prepared) (*made, error) {
	if r.ArtifactServer != nil {
		s, err := openStore(ctx, r.ArtifactServer, "with-artifacts --server")
		if err != nil {
			return nil, err
		}
		return r.served(ctx, p, s)
	}
	if r.Artifacts != nil {
		return r.assemble(ctx, p)
	}
	built, err := r.buildAll(ctx, p)
	if err != nil {
		return nil, err
	}
	verified, err := r.verify(ctx, built.Files)
	if err != nil {
		return nil, err
	}
	gate, err := r.qaGate(ctx, built.Files, r.jobs())
	if err != nil {
		return nil, err
	}
	ev, err := r.evidence(ctx, built.Files, verified.Groups, p.Set)
	if err != nil {
		return nil, err
	}
	return &made{Built: built, Verified: verified, QA: gate, Evidence: ev}, nil
}

// splitRelease is the release directory being assembled and its bookkeeping.
type splitRelease struct {
	Dir *dagger.Directory
	// Attached are the files attached to the release (parts of split files).
	Attached []release.Asset
	// Sums are what SHA256SUMS lists: every attached file and every whole.
	Sums []release.Asset
	// Split are the files published as parts.
	Split []release.Asset
}

// split attaches every verified file, in parts with a REASSEMBLE note when
// it reaches the asset limit.
func (r *Release) split(ctx context.Context, built *dagger.Directory, v *verifiedRelease) (*splitRelease, error) {
	limit, partSize := r.limits().Bytes()
	// the release directory is the built one minus what is not attached (no
	// copy of the artifacts: on real media that is gigabytes of disk)
	entries, err := built.Entries(ctx)
	if err != nil {
		return nil, err
	}
	var drop []string
	for _, e := range entries {
		if !slices.ContainsFunc(v.Assets, func(a release.Asset) bool { return a.Name == e }) {
			drop = append(drop, e)
		}
	}
	out := &splitRelease{Dir: built.WithoutFiles(drop).WithFile("VERIFY.txt", v.Report), Sums: append([]release.Asset(nil), v.Assets...)}
	for _, a := range v.Assets {
		planned, err := release.SplitPlan(a, limit, partSize)
		if err != nil {
			return nil, err
		}
		if len(planned) == 0 {
			out.Attached = append(out.Attached, a)
			continue
		}
		out.Dir = out.Dir.WithoutFile(a.Name)
		pieces := runScript(r.Build.Root.archiver().WithMountedFile("/in/"+a.Name, built.File(a.Name)),
			"release-split.sh", fmt.Sprint(partSize), a.Name)
		listing, err := pieces.File("/listing.tsv").Contents(ctx)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		got, err := release.Listing(listing)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", a.Name, err)
		}
		if err := release.CheckParts(a, planned, got); err != nil {
			return nil, err
		}
		for _, p := range planned {
			out.Dir = out.Dir.WithFile(p.Name, pieces.File("/out/"+p.Name))
		}
		out.Dir = out.Dir.WithNewFile("REASSEMBLE-"+a.Name+".txt", release.Reassemble(a, planned))
		out.Attached = append(out.Attached, got...)
		out.Sums = append(out.Sums, got...)
		out.Split = append(out.Split, a)
	}
	return out, nil
}

// verifiedRelease is what verification established: every file with its
// size and SHA-256, grouped into the OCI artifacts they are pushed as.
type verifiedRelease struct {
	Report *dagger.File
	Assets []release.Asset
	Groups []release.Group
}

// verify checks every built file the way a user would (release.VerifyScript:
// checksums, boot images, disk and archive integrity), then sizes and
// catalog membership, before anything is signed or published.
func (r *Release) verify(ctx context.Context, built *dagger.Directory) (*verifiedRelease, error) {
	c := runText(r.Build.Root.tools().WithMountedDirectory("/in", built), "verify.sh", release.VerifyScript)
	listing, err := c.File("/out/listing.tsv").Contents(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	assets, err := release.Listing(listing)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := r.Build.Version
	if err := release.CheckSizes(v, assets); err != nil {
		return nil, err
	}
	groups, err := release.Groups(v, assets)
	if err != nil {
		return nil, err
	}
	return &verifiedRelease{Report: c.File("/out/VERIFY.txt"), Assets: assets, Groups: groups}, nil
}
