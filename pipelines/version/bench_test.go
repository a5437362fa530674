package version

import (
	"fmt"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func history() []string {
	var tags []string
	for i := 0; i < 200; i++ {
		tags = append(tags, fmt.Sprintf("v1.%d.%d", i/10, i%10), fmt.Sprintf("v1.%d.0-rc.%d", i/10, i%10))
	}
	return tags
}

// BenchmarkBaseline is the yardstick: only parsing the tag history with semver.
func BenchmarkBaseline(b *testing.B) {
	tags := history()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		for _, t := range tags {
			if _, err := semver.NewVersion(t); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkComputeStable is a full plan for a stable tag against that history.
func BenchmarkComputeStable(b *testing.B) {
	in := base("refs/tags/v1.19.10", history()...)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
}
