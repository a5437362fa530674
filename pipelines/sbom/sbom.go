package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// Namespace prefixes every document namespace (unique per artifact content).
const Namespace = "https://github.com/project-unisonOS/unison-platform/sbom/"

// File is a released file the SBOM describes.
type File struct {
	Name, SHA256 string
	// Purpose: SPDX primary package purpose (OPERATING-SYSTEM, ARCHIVE, CONTAINER, FILE ...).
	Purpose string
}

// Input is what one SBOM describes: the files of one artifact and the
// packages they contain.
type Input struct {
	// Artifact (OCI repository name, e.g. unisonos-wsl) and version.
	Artifact, Version string
	// Created is the commit time (RFC 3339): the same inputs give the same bytes.
	Created string
	Files   []File
	// Packages found in the files, and where they were read.
	Packages     []Package
	PackagesFrom string
}

var (
	shaRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idBadRE = regexp.MustCompile(`[^A-Za-z0-9.-]+`)
)

// Document builds the SPDX 2.3 document: the document DESCRIBES each
// released file, and each file CONTAINS every package.
func Document(in Input) (*v2_3.Document, error) {
	if in.Artifact == "" || in.Version == "" || len(in.Files) == 0 {
		return nil, fmt.Errorf("sbom: artifact, version and at least one file are required")
	}
	created, err := time.Parse(time.RFC3339, in.Created)
	if err != nil {
		return nil, fmt.Errorf("sbom: created %q: want RFC 3339 (the commit time)", in.Created)
	}
	ns := sha256.New()
	doc := &v2_3.Document{SPDXVersion: v2_3.Version, DataLicense: v2_3.DataLicense, SPDXIdentifier: "DOCUMENT",
		DocumentName: in.Artifact + "-" + in.Version,
		CreationInfo: &v2_3.CreationInfo{Created: created.UTC().Format(time.RFC3339),
			Creators: []common.Creator{{CreatorType: "Organization", Creator: "UnisonOS"}, {CreatorType: "Tool", Creator: "unison-platform"}}},
		DocumentComment: "Packages read from " + in.PackagesFrom + "."}
	var pkgIDs []common.ElementID
	for i, p := range in.Packages {
		id := common.ElementID(fmt.Sprintf("Package-%d-%s", i+1, idBadRE.ReplaceAllString(p.Name+"-"+p.Arch, "-")))
		sp := &v2_3.Package{PackageName: p.Name, PackageSPDXIdentifier: id, PackageVersion: p.Version,
			PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true}
		if p.Source != "" {
			sp.PackageSourceInfo = "built from source package " + p.Source
		}
		if p.PURL != "" {
			sp.PackageExternalReferences = []*v2_3.PackageExternalReference{{Category: "PACKAGE-MANAGER", RefType: "purl", Locator: p.PURL}}
		}
		if p.SHA256 != "" {
			sp.PackageChecksums = []common.Checksum{{Algorithm: common.SHA256, Value: p.SHA256}}
		}
		doc.Packages = append(doc.Packages, sp)
		pkgIDs = append(pkgIDs, id)
		fmt.Fprintln(ns, p.PURL, p.SHA256)
	}
	for i, f := range in.Files {
		if !shaRE.MatchString(f.SHA256) {
			return nil, fmt.Errorf("sbom: file %s: sha256 %q is not 64 hex digits", f.Name, f.SHA256)
		}
		id := common.ElementID(fmt.Sprintf("Artifact-%d", i+1))
		doc.Packages = append(doc.Packages, &v2_3.Package{PackageName: f.Name, PackageSPDXIdentifier: id, PackageVersion: in.Version,
			PackageFileName: f.Name, PackageDownloadLocation: "NOASSERTION", FilesAnalyzed: false, IsFilesAnalyzedTagPresent: true,
			PackageChecksums: []common.Checksum{{Algorithm: common.SHA256, Value: f.SHA256}}, PrimaryPackagePurpose: or(f.Purpose, "FILE"),
			BuiltDate: created.UTC().Format(time.RFC3339)})
		doc.Relationships = append(doc.Relationships, rel("DOCUMENT", id, "DESCRIBES"))
		for _, p := range pkgIDs {
			doc.Relationships = append(doc.Relationships, rel(id, p, "CONTAINS"))
		}
		fmt.Fprintln(ns, f.Name, f.SHA256)
	}
	doc.DocumentNamespace = Namespace + in.Artifact + "-" + in.Version + "-" + hex.EncodeToString(ns.Sum(nil))[:16]
	return doc, nil
}

// JSON is the document as SPDX JSON (what <artifact>-<version>.spdx.json holds).
func JSON(in Input) ([]byte, error) {
	doc, err := Document(in)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := spdxjson.Write(doc, &b, spdxjson.Indent("  "), spdxjson.EscapeHTML(false)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// FileName is the SBOM's release asset name.
func FileName(artifact, version string) string { return artifact + "-" + version + ".spdx.json" }

func rel(a, b common.ElementID, kind string) *v2_3.Relationship {
	return &v2_3.Relationship{RefA: common.MakeDocElementID("", string(a)), RefB: common.MakeDocElementID("", string(b)), Relationship: kind}
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
