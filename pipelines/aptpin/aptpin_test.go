package aptpin

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
)

const noble = `PRETTY_NAME="Ubuntu 24.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.3 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=noble
`

const bookworm = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`

func readPins(t *testing.T, path string) Pins {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	p, err := Parse(path, data)
	require.NoError(t, err)
	return p
}

// The shipped pins and the air-gapped engine's render what apt reads.
func TestSourcesGolden(t *testing.T) {
	prod := readPins(t, "../../images/apt.yaml")
	airgap := readPins(t, "../../airgap/apt.yaml")
	for _, c := range []struct {
		name, osRelease string
		pins            Pins
	}{
		{"ubuntu-noble.sources", noble, prod},
		{"debian-bookworm.sources", bookworm, prod},
		{"airgap-debian-bookworm.sources", bookworm, airgap},
	} {
		t.Run(c.name, func(t *testing.T) {
			os, err := ParseOSRelease(c.osRelease)
			require.NoError(t, err)
			got, err := c.pins.Sources(os)
			require.NoError(t, err)
			golden.Equal(t, "testdata/"+c.name, []byte(got))
		})
	}
	assert.Equal(t, "20261120T000000Z", prod.Snapshot)
	assert.Empty(t, airgap.Snapshot, "a mirror kept as it is has no snapshot")
}

func TestSourcesUnknownID(t *testing.T) {
	p := readPins(t, "../../airgap/apt.yaml")
	os, err := ParseOSRelease(noble)
	require.NoError(t, err)
	_, err = p.Sources(os)
	assert.EqualError(t, err, "apt-pins: no sources for an OS image with ID=ubuntu (the file lists debian): add a distributions.ubuntu entry, or use an OS image of a listed one")
}

func TestParseOSRelease(t *testing.T) {
	r, err := ParseOSRelease(noble)
	require.NoError(t, err)
	assert.Equal(t, OSRelease{ID: "ubuntu", VersionCodename: "noble", VersionID: "24.04"}, r)
	for in, want := range map[string]string{
		"NAME=x\n":                          "os-release: no valid ID",
		"ID=ubuntu\n":                       "no valid VERSION_CODENAME",
		"ID=ubuntu\nVERSION_CODENAME=a b\n": "no valid VERSION_CODENAME",
		"ID=\"Bad ID\"\nVERSION_CODENAME=x": "no valid ID",
	} {
		_, err := ParseOSRelease(in)
		assert.ErrorContains(t, err, want, in)
	}
}

func TestParseRefuses(t *testing.T) {
	const good = "version: 1\nsnapshot: 20261120T000000Z\ndistributions:\n  debian:\n    signed-by: /k.gpg\n    sources:\n      - uri: https://x/{snapshot}\n        suites: [\"{codename}\"]\n        components: [main]\n"
	_, err := Parse("apt.yaml", []byte(good))
	require.NoError(t, err)
	// a live archive (no snapshot) may be http: apt checks its Valid-Until
	_, err = Parse("apt.yaml", []byte(strings.Replace(strings.Replace(good, "https://x/{snapshot}", "http://x/debian", 1), "snapshot: 20261120T000000Z\n", "", 1)))
	require.NoError(t, err)
	for name, c := range map[string]struct{ yaml, want string }{
		"bad snapshot":       {"version: 1\nsnapshot: 2026-11-20\ndistributions: {}\n", "apt.yaml:2: snapshot: want a UTC date and time like 20261120T000000Z"},
		"impossible date":    {"version: 1\nsnapshot: 20261340T000000Z\ndistributions: {}\n", "snapshot: want a UTC date"},
		"version":            {"version: 2\ndistributions: {}\n", "version: unknown version 2"},
		"no distributions":   {"version: 1\n", "distributions: missing"},
		"empty":              {"version: 1\ndistributions: {}\n", "distributions: empty"},
		"unknown key":        {"version: 1\nmirror: x\n", "mirror: unknown key"},
		"snapshot unset":     {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n    sources:\n      - {uri: \"http://x/{snapshot}\", suites: [a], components: [main]}\n", "distributions.debian.sources[0].uri: uses {snapshot}: set snapshot"},
		"snapshot over http": {strings.Replace(good, "https://x/{snapshot}", "http://x/{snapshot}", 1), "apt.yaml:7: distributions.debian.sources[0].uri: uses {snapshot} over http: a snapshot's Release files are past their Valid-Until"},
		"ftp uri":            {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n    sources:\n      - {uri: \"ftp://x/debian\", suites: [a], components: [main]}\n", "uri: want an http(s) URL"},
		"suite injection":    {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n    sources:\n      - {uri: \"http://x/d\", suites: [\"a\\nTrusted: yes\"], components: [main]}\n", "suites[0]: not a suite name"},
		"component":          {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n    sources:\n      - {uri: \"http://x/d\", suites: [a], components: [Main]}\n", "components[0]: not a component name"},
		"keyring":            {"version: 1\ndistributions:\n  debian:\n    signed-by: k.gpg\n    sources:\n      - {uri: \"http://x/d\", suites: [a], components: [main]}\n", "signed-by: want the keyring's absolute path"},
		"no sources":         {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n", "distributions.debian: needs signed-by (the archive keyring) and sources"},
		"bad id":             {"version: 1\ndistributions:\n  Debian:\n    signed-by: /k\n", "distributions.Debian: not an os-release ID"},
		"missing suites":     {"version: 1\ndistributions:\n  debian:\n    signed-by: /k\n    sources:\n      - {uri: \"http://x/d\", components: [main]}\n", "needs uri, suites and components"},
		"not yaml":           {"version: [1\n", "apt.yaml: not valid YAML"},
	} {
		_, err := Parse("apt.yaml", []byte(c.yaml))
		assert.ErrorContains(t, err, c.want, name)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"../../images/apt.yaml", "../../airgap/apt.yaml"} {
		data, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("apt.yaml", data)
		if err != nil {
			return
		}
		// whatever parses renders without error for a listed ID, and every line is a deb822 field or a comment
		for id := range p.Distributions {
			out, err := p.Sources(OSRelease{ID: id, VersionCodename: "noble", VersionID: "1"})
			require.NoError(t, err)
			for _, line := range splitLines(out) {
				if line != "" && line[0] != '#' {
					assert.Regexp(t, `^[A-Z][A-Za-z-]*: \S`, line)
				}
			}
		}
	})
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
