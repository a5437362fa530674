package autoinstall

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

// BenchmarkBaseline is the yardstick: parsing the rendered document once.
func BenchmarkBaseline(b *testing.B) {
	t, _ := os.ReadFile("../../images/autoinstall/user-data.yaml.tmpl")
	ud, err := Render(string(t), Config{SSHAuthorizedKeys: []string{key}, Stable: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var v map[string]any
		if err := yaml.Unmarshal([]byte(ud), &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderAndValidate is the full render with every validation rule.
func BenchmarkRenderAndValidate(b *testing.B) {
	t, _ := os.ReadFile("../../images/autoinstall/user-data.yaml.tmpl")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Render(string(t), Config{SSHAuthorizedKeys: []string{key}, Stable: true}); err != nil {
			b.Fatal(err)
		}
	}
}
