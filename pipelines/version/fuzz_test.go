package version

import (
	"regexp"
	"testing"
)

var ociTag = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

// FuzzCompute: whatever the ref, tags and date, Compute never panics, and a
// plan it returns has a version and only valid, non-empty OCI tags.
func FuzzCompute(f *testing.F) {
	for _, s := range []string{"refs/tags/v1.2.3", "refs/tags/v1.2.3-rc.1", "refs/heads/release/1.4", "refs/heads/feature/x", "refs/pull/1/merge", "refs/tags/vfoo", "refs/heads/-.-", ""} {
		f.Add(s, "v1.2.3", "2026-11-27")
	}
	// numbers beyond 64 bits, as the ref and as an existing tag (once a panic)
	f.Add("refs/tags/v99999999999999999999.0.0", "v1.2.3", "2026-11-27")
	f.Add("refs/tags/v1.2.3", "v99999999999999999999.0.0", "2026-11-27")
	f.Add("refs/heads/release/99999999999999999999.4", "v1.4.0-beta.99999999999999999999", "2026-11-27")
	f.Fuzz(func(t *testing.T, ref, tag, date string) {
		in := base(ref, tag, "v1.4.0-beta.2")
		in.Date = date
		p, err := Compute(in)
		if err != nil {
			return
		}
		if p.Version == "" || len(p.Tags) == 0 {
			t.Fatalf("empty plan for %q: %+v", ref, p)
		}
		for _, tg := range p.Tags {
			if !ociTag.MatchString(tg) {
				t.Fatalf("invalid OCI tag %q for ref %q", tg, ref)
			}
		}
		if p.Prerelease && p.Latest {
			t.Fatalf("pre-release %q moves latest", ref)
		}
	})
}
