package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/release"
)

// release-assets.sh, as the github-release job runs it on the publish job's
// directory and the artifact jobs' files: a release with one split file
// (parts of 4 bytes here), records dropped, every listed file checked.
func TestReleaseAssetsScript(t *testing.T) {
	script, _ := filepath.Abs("../../../.github/scripts/release-assets.sh")
	iso, wsl := "0123456789", "wsl bytes"
	layout := func(t *testing.T) (dist, built string) {
		dist, built = t.TempDir(), t.TempDir()
		write := func(dir, name, content string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		asset := func(name, content string) release.Asset {
			s := sha256.Sum256([]byte(content))
			return release.Asset{Name: name, Size: int64(len(content)), SHA256: hex.EncodeToString(s[:])}
		}
		whole := asset("unisonos-baremetal-v1.0.0.iso", iso)
		parts := []release.Asset{asset(whole.Name+".part01", iso[:4]), asset(whole.Name+".part02", iso[4:8]), asset(whole.Name+".part03", iso[8:])}
		w := asset("unisonos-v1.0.0.wsl", wsl)
		sums, err := release.SHA256SUMS(append([]release.Asset{whole, w}, parts...))
		if err != nil {
			t.Fatal(err)
		}
		man, _ := json.Marshal(release.Manifest{Version: "v1.0.0", Assets: append([]release.Asset{w}, parts...), Split: []release.Asset{whole}})
		write(dist, "release.json", string(man))
		write(dist, "SHA256SUMS-v1.0.0.txt", sums)
		write(dist, "SHA256SUMS-v1.0.0.txt.sig", "sig")
		write(dist, "cosign.pub", "key")
		write(dist, "RELEASE_NOTES.md", "notes")
		write(dist, "REASSEMBLE-"+whole.Name+".txt", "cat ...")
		write(built, whole.Name, iso)
		write(built, w.Name, wsl)
		write(built, "built-baremetal-iso.json", "{}")
		write(built, w.Name+".sha256", w.SHA256+"  "+w.Name+"\n")
		return dist, built
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command("bash", append([]string{script}, args...)...).CombinedOutput()
		return string(out), err
	}

	t.Run("split, moved, checked", func(t *testing.T) {
		dist, built := layout(t)
		out, err := run(dist, built)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		entries, _ := os.ReadDir(dist)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{"REASSEMBLE-unisonos-baremetal-v1.0.0.iso.txt", "RELEASE_NOTES.md", "SHA256SUMS-v1.0.0.txt", "SHA256SUMS-v1.0.0.txt.sig", "cosign.pub", "release.json",
			"unisonos-baremetal-v1.0.0.iso.part01", "unisonos-baremetal-v1.0.0.iso.part02", "unisonos-baremetal-v1.0.0.iso.part03", "unisonos-v1.0.0.wsl"}
		if !slices.Equal(names, want) {
			t.Errorf("dist holds %q, want %q", names, want)
		}
		if b, _ := os.ReadFile(filepath.Join(dist, "unisonos-baremetal-v1.0.0.iso.part03")); string(b) != "89" {
			t.Errorf("part03 %q", b)
		}
		if left, _ := os.ReadDir(built); len(left) != 2 || left[0].Name() != "built-baremetal-iso.json" {
			t.Errorf("moved, not copied; records and .sha256 files left: built holds %v", left)
		}
	})
	for _, tc := range []struct {
		name  string
		alter func(dist, built string)
		want  string
	}{
		{"a file changed after its job", func(_, built string) {
			os.WriteFile(filepath.Join(built, "unisonos-v1.0.0.wsl"), []byte("WSL bytes"), 0o644)
		}, "unisonos-v1.0.0.wsl: FAILED"},
		{"a split file changed", func(_, built string) {
			os.WriteFile(filepath.Join(built, "unisonos-baremetal-v1.0.0.iso"), []byte("0123456780"), 0o644)
		}, "part03: FAILED"},
		{"a file missing", func(_, built string) { os.Remove(filepath.Join(built, "unisonos-v1.0.0.wsl")) }, "unisonos-v1.0.0.wsl"},
		{"a file nobody listed", func(_, built string) {
			os.WriteFile(filepath.Join(built, "extra.bin"), []byte("x"), 0o644)
		}, "extra.bin is not in SHA256SUMS-v1.0.0.txt: not attached"},
		{"a name in both", func(dist, _ string) {
			os.WriteFile(filepath.Join(dist, "unisonos-v1.0.0.wsl"), []byte("wsl bytes"), 0o644)
		}, "unisonos-v1.0.0.wsl is in both"},
		{"not the publish job's directory", func(dist, _ string) { os.Remove(filepath.Join(dist, "release.json")) }, "release.json missing: DIST is the publishing job's directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dist, built := layout(t)
			tc.alter(dist, built)
			out, err := run(dist, built)
			if err == nil {
				t.Fatalf("accepted:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output %q lacks %q", out, tc.want)
			}
		})
	}
	if out, err := run(); err == nil || !strings.Contains(out, "usage:") {
		t.Errorf("no arguments: %v %q", err, out)
	}
}
