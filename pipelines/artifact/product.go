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
}

// Products, in the order their jobs and QA suites are listed.
var Products = []Product{
	{Name: "linux-vm", Kinds: []Kind{Qcow2, Vmdk}, Suite: "qa-smoke", DiskGiB: 8},
	{Name: "baremetal-iso", Kinds: []Kind{ISO}, Suite: "qa-smoke-iso", DiskGiB: 13},
	{Name: "wsl-bundle", Kinds: []Kind{WSL, WSLRootfs, WSLBundle}, DiskGiB: 7},
	{Name: "bundle", Kinds: []Kind{Bundle, Models}, DiskGiB: 5},
	{Name: "baremetal-iso-offline", Kinds: []Kind{ISOOffline, Payload}, Suite: "baremetal-iso-offline qa-smoke-iso", Optional: true, DiskGiB: 15},
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
