// Package iso holds the naming rules of the bare-metal installer ISO.
package iso

import (
	"fmt"
	"regexp"
	"strings"

	vers "github.com/project-unisonOS/unison-platform/pipelines/version"
)

// MaxVolumeID is the ISO 9660 limit for the volume identifier.
const MaxVolumeID = 32

// VolumeID derives the volume label from the version: "UnisonOS <version> amd64",
// refused when it would not fit in 32 characters (xorriso fails late on it).
func VolumeID(version string) (string, error) {
	v := version
	if err := vers.CheckLabel(v); err != nil {
		return "", err
	}
	id := "UnisonOS " + v + " amd64"
	if len(id) > MaxVolumeID {
		return "", fmt.Errorf("version %q: the volume ID %q would be %d characters, over the ISO 9660 limit of %d; use a shorter version (at most %d characters) or pass --volume-id",
			v, id, len(id), MaxVolumeID, MaxVolumeID-len("UnisonOS  amd64"))
	}
	return id, nil
}

// CheckVolumeID validates an explicit volume ID.
func CheckVolumeID(id string) error {
	if id == "" || len(id) > MaxVolumeID {
		return fmt.Errorf("volume-id %q: must be 1 to %d characters (it has %d)", id, MaxVolumeID, len(id))
	}
	for _, r := range id {
		if r < 0x20 || r > 0x7e {
			return fmt.Errorf("volume-id %q: printable ASCII only", id)
		}
	}
	return nil
}

// ReleaseVolumeID is the volume ID of a release ISO: VolumeID when it fits,
// else "UnisonOS <version>" cut to the ISO 9660 limit (long edge versions
// such as edge-feature-x-20261127 still get a valid, recognisable label).
func ReleaseVolumeID(version string) (string, error) {
	if id, err := VolumeID(version); err == nil {
		return id, nil
	} else if vers.CheckLabel(version) != nil {
		return "", err
	}
	id := "UnisonOS " + version
	if len(id) > MaxVolumeID {
		id = id[:MaxVolumeID]
	}
	return strings.TrimRight(id, " "), nil
}

// CheckSHA256 compares a computed digest with the pinned one.
func CheckSHA256(what, want, got string) error {
	want, got = strings.ToLower(strings.TrimPrefix(want, "sha256:")), strings.ToLower(strings.TrimPrefix(got, "sha256:"))
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(want) {
		return fmt.Errorf("%s: expected SHA-256 %q is not 64 hex digits", what, want)
	}
	if want != got {
		return fmt.Errorf("%s: SHA-256 mismatch: expected %s, got %s (corrupt or tampered download, or a wrong pin in images/ubuntu.yaml)", what, want, got)
	}
	return nil
}
