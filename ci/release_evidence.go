package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/project-unisonOS/unison-platform/ci/internal/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
	"github.com/project-unisonOS/unison-platform/pipelines/compat"
	"github.com/project-unisonOS/unison-platform/pipelines/provenance"
	"github.com/project-unisonOS/unison-platform/pipelines/release"
	"github.com/project-unisonOS/unison-platform/pipelines/sbom"
)

// Evidence: SBOMs, provenance, checksums and their signatures.

// defaultBuilderID names a build run outside GitHub Actions (with-provenance sets the workflow's).
const defaultBuilderID = "https://github.com/project-unisonOS/unison-platform/ci/local"

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
		Params:       map[string]any{"flavor": b.Flavor, "platformVersion": r.platformVersion(), "public": b.Public, "vmdk": r.Media.Vmdk, "offlineIso": r.Offline.Iso},
		Dependencies: deps, BuilderID: or(r.Signer.BuilderId, defaultBuilderID), InvocationID: r.Signer.InvocationId, Dagger: engine}
}

// purpose is the SPDX primary package purpose of a released file (the catalog's).
func purpose(name, version string) string {
	if s, ok := artifact.Match(name, version); ok {
		return s.Purpose
	}
	return "ARCHIVE"
}

// packages lists what a group's files contain: the dpkg status of a root
// filesystem, an ISO's package manifests, the service images a bundle runs.
func (r *Release) packages(ctx context.Context, built *dagger.Directory, repo string, images []sbom.Package) ([]sbom.Package, string, error) {
	p, ok := artifact.ProductOfRepo(repo)
	if !ok {
		p, _ = artifact.GetProduct("bundle") // the platform image: the bundle's files
	}
	if p.SBOM.Read == "" {
		return images, p.SBOM.Text, nil
	}
	kind, file, from := p.SBOM.Read, artifact.Name(p.SBOM.From, r.Build.Version), p.SBOM.Text
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
		if slices.Contains(p.Kinds, artifact.Payload) {
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
	for _, in := range []baseInput{{File: r.Media.BaseIso, SHA256: r.Media.BaseIsoSha256, Pin: "live_server_iso", Arg: "base-iso"},
		{File: r.Media.BaseImage, SHA256: r.Media.BaseImageSha256, Pin: "cloud_image", Arg: "base-image"}} {
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

// addAttestations attaches the SBOM and provenance of every artifact (and lists them in SHA256SUMS).
func (s *splitRelease) addAttestations(atts []attestation, version string) {
	for _, a := range atts {
		for _, f := range []struct {
			name string
			data []byte
		}{{sbom.FileName(a.Repo, version), a.SBOM}, {provenance.FileName(a.Repo, version), a.Provenance}} {
			s.Dir = s.Dir.WithNewFile(f.name, string(f.data))
			s.Attached = append(s.Attached, assetOf(f.name, f.data))
			s.Sums = append(s.Sums, assetOf(f.name, f.data))
		}
	}
}

// sums writes SHA256SUMS-<version>.txt and, with a signer, its signature.
func (r *Release) sums(ctx context.Context, rel *splitRelease, cosign *dagger.Container) error {
	name := "SHA256SUMS-" + r.Build.Version + ".txt"
	sums, err := release.SHA256SUMS(rel.Sums)
	if err != nil {
		return err
	}
	rel.Dir = rel.Dir.WithNewFile(name, sums)
	if cosign == nil {
		return nil
	}
	signed, err := r.signBlob(ctx, cosign, rel.Dir.File(name), name)
	if err != nil {
		return err
	}
	rel.Dir = rel.Dir.WithDirectory(".", signed)
	return nil
}

// cosign is how the release signs: its key, or keyless.
func (r *Release) cosign() cosignCfg { return r.Signer.cosign(r.Build.Root.CosignImage) }

// signer is the signing container: the cosign image with the key (or the
// identity token) as secrets, never written to a layer; nil without signing material.
func (r *Release) signingContainer() *dagger.Container { return r.cosign().container() }

// signing describes how the release is signed (PLAN.txt, release.json).
func (r *Release) signing() string {
	switch {
	case r.Signer.Keyless:
		return "cosign keyless (Sigstore)"
	case r.Signer.Key != nil:
		return "cosign key (cosign.pub)"
	}
	return "none (dry run without a key)"
}

// signBlob signs a file: key mode writes NAME.sig and cosign.pub; keyless
// writes NAME.sig, NAME.pem and NAME.bundle.
func (r *Release) signBlob(ctx context.Context, cosign *dagger.Container, f *dagger.File, fname string) (*dagger.Directory, error) {
	c := cosign.WithMountedFile("/in/"+fname, f)
	if r.Signer.Keyless {
		c = c.WithExec(append(append([]string{"/ko-app/cosign", "sign-blob", "--yes"}, r.cosign().keylessArgs()...),
			"--output-signature", "/release/"+fname+".sig", "--output-certificate", "/release/"+fname+".pem",
			"--bundle", "/release/"+fname+".bundle", "/in/"+fname))
	} else {
		c = c.WithExec([]string{"/ko-app/cosign", "sign-blob", "--yes", "--key", "env://COSIGN_KEY", "--tlog-upload=false",
			"--output-signature", "/release/" + fname + ".sig", "/in/" + fname}).
			WithExec([]string{"/ko-app/cosign", "public-key", "--key", "env://COSIGN_KEY", "--outfile", "/release/cosign.pub"})
	}
	d, err := c.Directory("/release").Sync(ctx)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", fname, err)
	}
	return d, nil
}
