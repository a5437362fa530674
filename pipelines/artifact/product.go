package artifact

import (
	"encoding/json"
	"fmt"
)

// Product is one thing a release builds, in a job of its own: one name for
// the module's function (the door or `artifact --name`), the release
// workflow's fan-out job, its record (built-<name>.json) and its QA suite.
// Adding an artifact is a row here and its build function in ci/.
type Product struct {
	// Name of the function, the job and the record.
	Name string
	// Kinds are the files it makes (the catalog above).
	Kinds []Kind
	// Suite is the QA gate's boot check of it ("": it boots nothing).
	Suite string
	// Optional products are built only when a release asks (with-offline-iso).
	Optional bool
	// DiskGiB is the job's peak disk with real media (.github/scripts/disk.sh).
	DiskGiB int
	// SBOM is where the packages of its SBOM come from.
	SBOM SBOMSource
}

// SBOMSource is where a product's SBOM packages are read: the dpkg status of
// a root file system (rootfs, disk) or an ISO's package manifests (iso), in
// the file of kind From; none (""): only the service images of its compose
// file. Text says so in the SBOM.
type SBOMSource struct {
	Read string
	From Kind
	Text string
}

// Products, in the order their jobs and QA suites are listed.
var Products = []Product{
	{Name: "linux-vm", Kinds: []Kind{Qcow2, Vmdk}, Suite: "qa-smoke", DiskGiB: 7,
		SBOM: SBOMSource{"disk", Qcow2, "the dpkg status of the VM disk's root file system"}},
	{Name: "baremetal-iso", Kinds: []Kind{ISO}, Suite: "qa-smoke-iso", DiskGiB: 12,
		SBOM: SBOMSource{"iso", ISO, "the base ISO's package manifests (casper/*.manifest) and the service images its payload runs"}},
	{Name: "wsl-bundle", Kinds: []Kind{WSL, WSLRootfs, WSLBundle}, DiskGiB: 10,
		SBOM: SBOMSource{"rootfs", WSLRootfs, "the dpkg status of the WSL root filesystem"}},
	{Name: "bundle", Kinds: []Kind{Bundle, Models}, DiskGiB: 3,
		SBOM: SBOMSource{Text: "the compose file of the platform bundle (service images by digest)"}},
	{Name: "baremetal-iso-offline", Kinds: []Kind{ISOOffline, Payload}, Suite: "baremetal-iso-offline qa-smoke-iso", Optional: true, DiskGiB: 14,
		SBOM: SBOMSource{"iso", ISOOffline, "the base ISO's package manifests (casper/*.manifest), the Debian packages on the medium (offline payload) and the service images saved on it"}},
}

// ProductOfRepo is the product whose files are pushed to an OCI repository
// (each repository holds one product's files).
func ProductOfRepo(repo string) (Product, bool) {
	for _, p := range Products {
		if Get(p.Kinds[0]).Repo == repo {
			return p, true
		}
	}
	return Product{}, false
}

// ProductNames are the products a release builds (optional ones when asked).
func ProductNames(optional bool) []string {
	var out []string
	for _, p := range Products {
		if !p.Optional || optional {
			out = append(out, p.Name)
		}
	}
	return out
}

// GetProduct returns a product by name, or an error naming the known ones.
func GetProduct(name string) (Product, error) {
	for _, p := range Products {
		if p.Name == name {
			return p, nil
		}
	}
	return Product{}, fmt.Errorf("artifact %q: no job builds it (known: %v)", name, ProductNames(true))
}

// MatrixJSON is the release workflow's job matrix: the product names as a
// JSON list (release-jobs.yml holds both lists; a test holds them to this).
func MatrixJSON(optional bool) string {
	b, _ := json.Marshal(ProductNames(optional))
	return string(b)
}
