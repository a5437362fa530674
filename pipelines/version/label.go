package version

import "regexp"

// The one rule for the version an artifact is built as (file names, bundle
// metadata, ISO volume IDs): what Compute produces (v1.2.3, v1.4.0-beta.2,
// edge-main-20261127, pr-12) and local labels such as 0.0.0-dev.
var (
	labelRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$`)
	stableRE = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)
)

// CheckLabel validates an artifact version.
func CheckLabel(v string) error {
	if !labelRE.MatchString(v) {
		return bad("version", v, "use letters, digits, '.', '_', '+', '-' (at most 64, starting with a letter or digit), e.g. v1.2.3, v1.4.0-beta.2 or edge-main-20261127")
	}
	return nil
}

// IsStable reports whether an artifact version is a stable release (vX.Y.Z).
func IsStable(v string) bool { return stableRE.MatchString(v) }
