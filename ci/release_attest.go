package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// defaultBuilderID names a build run outside GitHub Actions (with-provenance sets the workflow's).
const defaultBuilderID = "https://github.com/project-unisonOS/unison-platform/ci/local"

// Names the builder in the provenance statements (release.yml: the workflow and run URLs).
func (r *Release) WithProvenance(
	// SLSA builder.id, e.g. ${{ github.server_url }}/${{ github.workflow_ref }}.
	builderId string,
	// The run, e.g. ${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}/attempts/${{ github.run_attempt }}.
	// +optional
	invocationId string,
) (*Release, error) {
	if !strings.Contains(builderId, "://") {
		return nil, fmt.Errorf("builder-id %q: want a URI (GitHub Actions: ${{ github.server_url }}/${{ github.workflow_ref }})", builderId)
	}
	c := *r
	c.BuilderId, c.InvocationId = builderId, invocationId
	return &c, nil
}

// attestation is the SBOM and provenance statement of one OCI repository.
type attestation struct {
	Repo             string
	SBOM, Provenance []byte
}

// evidence lists, for every artifact group, what its SBOM and provenance
// say: the packages its files contain and the inputs it was built from.
func (r *Release) evidence(ctx context.Context, built *dagger.Directory, groups []release.Group, set *compat.Set) (map[string]release.Evidence, error) {
	deps, err := r.dependencies(ctx)
	if err != nil {
		return nil, err
	}
	var images []sbom.Package
	for _, svc := range set.Services {
		images = append(images, sbom.ImagePackage(set.Registry+"/"+svc.Image, set.Tags[svc.Name], set.Digests[svc.Name]))
	}
	out := map[string]release.Evidence{}
	for _, g := range groups {
		pkgs, from, err := r.packages(ctx, built, g.Repo, images)
		if err != nil {
			return nil, fmt.Errorf("sbom of %s: %w", g.Repo, err)
		}
		out[g.Repo] = release.Evidence{Packages: pkgs, PackagesFrom: from, Dependencies: deps}
	}
	return out, nil
}

// attest writes an SPDX SBOM and an in-toto provenance statement for every
// artifact group, and for the platform image (the bundle's).
func (r *Release) attest(ctx context.Context, groups []release.Group, evidence map[string]release.Evidence) ([]attestation, error) {
	engine, err := dag.Version(ctx)
	if err != nil {
		return nil, err
	}
	var out []attestation
	for _, g := range groups {
		e, ok := evidence[g.Repo]
		if !ok {
			return nil, fmt.Errorf("sbom of %s: nothing recorded of what it contains", g.Repo)
		}
		a, err := r.attestGroup(g, e.Packages, e.PackagesFrom, e.Dependencies, engine)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (r *Release) attestGroup(g release.Group, pkgs []sbom.Package, from string, deps []provenance.Dependency, engine string) (attestation, error) {
	v := r.Build.Version
	in := sbom.Input{Artifact: g.Repo, Version: v, Created: r.Build.CommitTime, Packages: pkgs, PackagesFrom: from}
	files := map[string]string{}
	for _, f := range g.Files {
		in.Files = append(in.Files, sbom.File{Name: f.Name, SHA256: f.SHA256, Purpose: purpose(f.Name, v)})
		files[f.Name] = f.SHA256
	}
	doc, err := sbom.JSON(in)
	if err != nil {
		return attestation{}, err
	}
	st, err := provenance.Statement(r.provenanceInput(files, deps, engine))
	if err != nil {
		return attestation{}, err
	}
	return attestation{Repo: g.Repo, SBOM: doc, Provenance: st}, nil
}

func (r *Release) provenanceInput(files map[string]string, deps []provenance.Dependency, engine string) provenance.Input {
	b := r.Build
	return provenance.Input{Files: files, Ref: r.Ref, Commit: b.Commit, Version: b.Version,
		Params:       map[string]any{"flavor": b.Flavor, "platformVersion": r.platformVersion(), "public": b.Public, "vmdk": r.Vmdk, "offlineIso": r.OfflineIso},
		Dependencies: deps, BuilderID: or(r.BuilderId, defaultBuilderID), InvocationID: r.InvocationId, Dagger: engine}
}

// purpose is the SPDX primary package purpose of a released file.
func purpose(name, version string) string {
	s, _ := artifact.Match(name, version)
	switch s.Kind {
	case artifact.ISO, artifact.Qcow2, artifact.Vmdk, artifact.WSL, artifact.WSLRootfs:
		return "OPERATING-SYSTEM"
	case artifact.Models:
		return "FILE"
	}
	return "ARCHIVE"
}

// packages lists what a group's files contain: the dpkg status of a root
// filesystem, an ISO's package manifests, the service images a bundle runs.
func (r *Release) packages(ctx context.Context, built *dagger.Directory, repo string, images []sbom.Package) ([]sbom.Package, string, error) {
	v := r.Build.Version
	kind, file, from := "", "", ""
	switch repo {
	case artifact.Get(artifact.WSL).Repo:
		kind, file, from = "rootfs", artifact.Name(artifact.WSLRootfs, v), "the dpkg status of the WSL root filesystem"
	case artifact.Get(artifact.Qcow2).Repo:
		kind, file, from = "disk", artifact.Name(artifact.Qcow2, v), "the dpkg status of the VM disk's root file system"
	case artifact.Get(artifact.ISO).Repo:
		kind, file, from = "iso", artifact.Name(artifact.ISO, v), "the base ISO's package manifests (casper/*.manifest) and the service images its payload runs"
	case artifact.Get(artifact.ISOOffline).Repo:
		kind, file, from = "iso", artifact.Name(artifact.ISOOffline, v),
			"the base ISO's package manifests (casper/*.manifest), the Debian packages on the medium (offline payload) and the service images saved on it"
	default:
		return images, "the compose file of the platform bundle (service images by digest)", nil
	}
	c := r.Build.Root.tools().WithMountedFile("/in/artifact", built.File(file))
	if kind == "disk" {
		root, sector, err := r.Build.Root.rootPartition(ctx, built.File(file))
		if err != nil {
			return nil, "", err
		}
		c = c.WithEnvVariable("OFFSET", fmt.Sprint(root.Start*sector))
	}
	c = runScript(c, "sbom-packages.sh", kind)
	list, err := c.File("/out/packages").Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	rel, err := c.File("/out/release").Contents(ctx)
	if err != nil {
		return nil, "", err
	}
	if kind == "iso" {
		pkgs, err := sbom.ParseManifest(list, sbom.Distro(rel))
		if err != nil {
			return nil, "", err
		}
		if repo == artifact.Get(artifact.ISOOffline).Repo {
			debs, err := r.payloadPackages(ctx, built)
			if err != nil {
				return nil, "", err
			}
			pkgs = append(pkgs, debs...)
		}
		return append(pkgs, images...), from, nil
	}
	pkgs, err := sbom.ParseDpkgStatus(list, sbom.Distro(rel))
	return pkgs, from, err
}

// dependencies are the release's inputs by digest: base media and images.
func (r *Release) dependencies(ctx context.Context) ([]provenance.Dependency, error) {
	m := r.Build.Root
	var deps []provenance.Dependency
	for _, in := range []baseInput{{File: r.BaseIso, SHA256: r.BaseIsoSha256, Pin: "live_server_iso", Arg: "base-iso"},
		{File: r.BaseImage, SHA256: r.BaseImageSha256, Pin: "cloud_image", Arg: "base-image"}} {
		uri, sum, err := m.baseDigest(ctx, in)
		if err != nil {
			return nil, err
		}
		deps = append(deps, provenance.Dependency{URI: uri, Name: in.Arg, Digest: map[string]string{"sha256": sum}})
	}
	for _, img := range [][2]string{{"tools-image", m.ToolsImage}, {"os-image", m.OsImage}} {
		name, ref := img[0], img[1]
		pinned, err := amd64().From(ref).ImageRef(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, ref, err)
		}
		_, d, ok := strings.Cut(pinned, "@sha256:")
		if !ok {
			return nil, fmt.Errorf("%s %s: no digest in %q", name, ref, pinned)
		}
		deps = append(deps, provenance.Dependency{URI: "docker://" + strings.SplitN(pinned, "@", 2)[0], Name: name, Digest: map[string]string{"sha256": d}})
	}
	return deps, nil
}

// assetOf is a generated file's release asset (name, size, SHA-256).
func assetOf(name string, data []byte) release.Asset {
	sum := sha256.Sum256(data)
	return release.Asset{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// attestImages attaches each SBOM and provenance statement to the pushed
// manifests as signed in-toto attestations (cosign attest; the platform
// image gets the bundle's). --replace keeps one of each type on a rerun.
func (r *Release) attestImages(ctx context.Context, cosign *dagger.Container, pushes []release.Push, atts []attestation,
	host string, auth *authn.AuthConfig) error {
	c, err := cosignAt(cosign, host, auth)
	if err != nil {
		return err
	}
	byRepo := map[string]attestation{}
	for _, a := range atts {
		byRepo[a.Repo] = a
	}
	for _, p := range pushes {
		repo := p.Repository[strings.LastIndex(p.Repository, "/")+1:]
		if repo == platformRepo {
			repo = artifact.Get(artifact.Bundle).Repo
		}
		a, ok := byRepo[repo]
		if !ok {
			return fmt.Errorf("attest %s: no SBOM or provenance for it", p.Repository)
		}
		pred, err := provenance.PredicateOf(a.Provenance)
		if err != nil {
			return err
		}
		ref := p.Repository + "@" + p.Digest
		for _, att := range [][2]string{{"spdxjson", string(a.SBOM)}, {"slsaprovenance1", string(pred)}} {
			if err := r.cosign().attest(ctx, c, ref, att[0], att[1], host); err != nil {
				return err
			}
		}
	}
	return nil
}
