package workflows

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/artifact"
)

// The product table (pipelines/artifact.Products) drives the release's
// fan-out: release-jobs.yml's job matrix lists exactly its products (the
// optional ones behind vars.RELEASE_OFFLINE_ISO), and disk.sh's need per job
// is the product's DiskGiB. Adding a product fails here until both follow.
func TestMatrixIsTheProductTable(t *testing.T) {
	wf, err := os.ReadFile("../../../.github/workflows/release-jobs.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := "artifact: ${{ fromJSON(vars.RELEASE_OFFLINE_ISO == 'true' && '" + artifact.MatrixJSON(true) + "' || '" + artifact.MatrixJSON(false) + "') }}"
	lines := regexp.MustCompile(`(?m)^\s+artifact: \$\{\{ fromJSON\(.*$`).FindAllString(string(wf), -1)
	if len(lines) != 1 {
		t.Fatalf("release-jobs.yml: want one artifact matrix line, found %d", len(lines))
	}
	if got := regexp.MustCompile(`^\s+`).ReplaceAllString(lines[0], ""); got != want {
		t.Errorf("release-jobs.yml's matrix is not the product table; write:\n        %s\ngot:\n        %s", want, got)
	}

	disk, err := os.ReadFile("../../../.github/scripts/disk.sh")
	if err != nil {
		t.Fatal(err)
	}
	need := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^\s+([a-z-]+)\) need=([0-9]+) ;;`).FindAllStringSubmatch(string(disk), -1) {
		need[m[1]], _ = strconv.Atoi(m[2])
	}
	for _, p := range artifact.Products {
		if need[p.Name] != p.DiskGiB {
			t.Errorf("disk.sh: %s) need=%d, the product table says %d GiB", p.Name, need[p.Name], p.DiskGiB)
		}
	}
	if len(need) != len(artifact.Products)+2 { // + publish, github-release
		t.Errorf("disk.sh has %d jobs, want the %d products, publish and github-release", len(need), len(artifact.Products))
	}
}
