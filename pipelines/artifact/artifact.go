// Package artifact is the one catalog of what UnisonOS builds and releases:
// one row per kind of file, with its file-name rule, the OCI repository and
// artifact type it is published under, its layer media type and the size
// range a good build falls in. Builds name their outputs from it and the
// release matches, bounds and groups files with it: no step rebuilds a name.
package artifact

import (
	"fmt"
	"strings"
)

// Kind is one kind of release file.
type Kind string

// The kinds, in release order.
const (
	ISO Kind = "iso" // the bare-metal installer ISO
	// ISOOffline installs with no network: Docker's packages, the service
	// images and models on the medium (release ... with-offline-iso).
	ISOOffline Kind = "iso-offline"
	// Payload lists what the offline ISO carries (files, sizes, checksums).
	Payload   Kind = "offline-payload"
	Qcow2     Kind = "qcow2"      // the VM disk
	Vmdk      Kind = "vmdk"       // the VM disk for VMware
	WSL       Kind = "wsl"        // wsl --install --from-file
	WSLRootfs Kind = "wsl-rootfs" // wsl --import
	WSLBundle Kind = "wsl-bundle" // metadata, README, install-wsl.sh, platform bundle
	Bundle    Kind = "bundle"     // the platform bundle every artifact carries
	Models    Kind = "models"     // models.json of the flavor
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// Spec is one row of the catalog.
type Spec struct {
	Kind Kind
	// Pattern is the file name, %s standing for the version.
	Pattern string
	// Repo is the OCI repository (under the owner) the file is pushed to.
	Repo string
	// ArtifactType is the OCI 1.1 artifactType of Repo's manifests.
	ArtifactType string
	// MediaType is the file's layer media type.
	MediaType string
	// Min and Max bound a good build's size: a file outside is truncated,
	// empty or something else. Minimums leave room for the test stand-ins.
	Min, Max int64
	// Purpose is the file's SPDX primary package purpose.
	Purpose string
}

// Catalog lists every kind; Groups keeps its repository order.
var Catalog = []Spec{
	{ISO, "unisonos-baremetal-%s.iso", "unisonos-baremetal", "application/vnd.unisonos.baremetal.v1", "application/vnd.efi.iso", 1 * mib, 12 * gib, "OPERATING-SYSTEM"},
	{ISOOffline, "unisonos-baremetal-offline-%s.iso", "unisonos-baremetal-offline", "application/vnd.unisonos.baremetal-offline.v1", "application/vnd.efi.iso", 1 * mib, 32 * gib, "OPERATING-SYSTEM"},
	{Payload, "unisonos-baremetal-offline-%s.payload.json", "unisonos-baremetal-offline", "application/vnd.unisonos.baremetal-offline.v1", "application/vnd.unisonos.offline-payload.v1+json", 2, 16 * mib, "ARCHIVE"},
	{Qcow2, "unisonos-linux-vm-%s.qcow2", "unisonos-linux-vm", "application/vnd.unisonos.linux-vm.v1", "application/vnd.unisonos.disk.qcow2", 1 * mib, 16 * gib, "OPERATING-SYSTEM"},
	{Vmdk, "unisonos-linux-vm-%s.vmdk", "unisonos-linux-vm", "application/vnd.unisonos.linux-vm.v1", "application/vnd.unisonos.disk.vmdk", 1 * mib, 16 * gib, "OPERATING-SYSTEM"},
	{WSL, "unisonos-%s.wsl", "unisonos-wsl", "application/vnd.unisonos.wsl.v1", "application/gzip", 1 * mib, 8 * gib, "OPERATING-SYSTEM"},
	{WSLRootfs, "unisonos-wsl-rootfs-%s.tar.gz", "unisonos-wsl", "application/vnd.unisonos.wsl.v1", "application/gzip", 1 * mib, 8 * gib, "OPERATING-SYSTEM"},
	{WSLBundle, "unisonos-wsl-%s.tar.gz", "unisonos-wsl", "application/vnd.unisonos.wsl.v1", "application/gzip", 1 * kib, 8 * gib, "ARCHIVE"},
	{Bundle, "unison-platform-bundle-%s.tar.gz", "unison-platform-bundle", "application/vnd.unisonos.platform-bundle.v1", "application/gzip", 1 * kib, 8 * gib, "ARCHIVE"},
	{Models, "unisonos-models-%s.json", "unison-platform-bundle", "application/vnd.unisonos.platform-bundle.v1", "application/json", 2, 4 * mib, "FILE"},
}

// Get returns the row of a kind; an unknown kind is a programming error.
func Get(k Kind) Spec {
	for _, s := range Catalog {
		if s.Kind == k {
			return s
		}
	}
	panic(fmt.Sprintf("artifact: unknown kind %q", k))
}

// Name is the file name of a kind for a version.
func Name(k Kind, version string) string { return fmt.Sprintf(Get(k).Pattern, version) }

// Match finds the row whose name rule gives name for version.
func Match(name, version string) (Spec, bool) {
	for _, s := range Catalog {
		if fmt.Sprintf(s.Pattern, version) == name {
			return s, true
		}
	}
	return Spec{}, false
}

// CheckSize reports a size outside the kind's bounds, naming the file.
func (s Spec) CheckSize(name string, size int64) error {
	switch {
	case size < s.Min:
		return fmt.Errorf("%s: %d bytes, below the %d minimum for %s files (truncated or empty build?)", name, size, s.Min, s.Kind)
	case size > s.Max:
		return fmt.Errorf("%s: %d bytes, above the %d maximum for %s files", name, size, s.Max, s.Kind)
	}
	return nil
}

// Repos lists the OCI repositories in catalog order, each once.
func Repos() []string {
	var out []string
	for _, s := range Catalog {
		if len(out) == 0 || out[len(out)-1] != s.Repo {
			out = append(out, s.Repo)
		}
	}
	return out
}

// Describe is a one-line summary of the catalog for docs and errors.
func Describe(version string) string {
	var names []string
	for _, s := range Catalog {
		names = append(names, fmt.Sprintf(s.Pattern, version))
	}
	return strings.Join(names, ", ")
}
