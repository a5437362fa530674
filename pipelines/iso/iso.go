// Package iso holds the naming rules of the bare-metal installer ISO.
package iso

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxVolumeID is the ISO 9660 limit for the volume identifier.
const MaxVolumeID = 32

var stableRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)

// VolumeID derives the volume label from the version: "UnisonOS <version> amd64",
// refused when it would not fit in 32 characters (xorriso fails late on it).
func VolumeID(version string) (string, error) {
	v := strings.TrimSpace(version)
	if v == "" {
		return "", fmt.Errorf("version: empty")
	}
	if !regexp.MustCompile(`^[A-Za-z0-9._+-]+$`).MatchString(v) {
		return "", fmt.Errorf("version %q: only letters, digits, '.', '_', '+', '-' are allowed in an ISO volume ID", v)
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

// IsStable reports whether version is a stable release (vX.Y.Z).
func IsStable(version string) bool { return stableRE.MatchString(version) }

// FileName is the ISO's file name.
func FileName(version string) string { return "unisonos-baremetal-" + version + ".iso" }

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
