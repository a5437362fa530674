package grub

import (
	"os"
	"strings"
	"testing"
)

func benchInput(b *testing.B) string {
	in, err := os.ReadFile("testdata/ubuntu-22.04-grub.cfg")
	if err != nil {
		b.Fatal(err)
	}
	return strings.Repeat(string(in), 20)
}

// BenchmarkBaseline is the yardstick: one pass that copies every line.
func BenchmarkBaseline(b *testing.B) {
	cfg := benchInput(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = strings.Join(strings.Split(cfg, "\n"), "\n")
	}
}

func BenchmarkPatch(b *testing.B) {
	cfg := benchInput(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := Patch(cfg, ""); err != nil {
			b.Fatal(err)
		}
	}
}
