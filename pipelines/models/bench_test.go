package models

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// BenchmarkBaseline is the yardstick: a plain, unchecked yaml.v3 decode.
func BenchmarkBaseline(b *testing.B) {
	data, _ := os.ReadFile("../../images/models.yaml")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var v map[string]any
		if err := yaml.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAndRender is the strict parse plus rendering every flavor.
func BenchmarkParseAndRender(b *testing.B) {
	data, _ := os.ReadFile("../../images/models.yaml")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m, err := Parse("models.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range m.Names() {
			if _, err := m.Render(f); err != nil {
				b.Fatal(err)
			}
		}
	}
}
