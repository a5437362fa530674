// Package workflows runs the GitHub Actions step scripts of this
// repository the way a runner does (bash --noprofile --norc -eo pipefail for
// `shell: bash`, bash -e otherwise) with failing stand-ins for the tools they
// call, and checks that a failure is never hidden by a pipe.
package workflows

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type workflow struct {
	Defaults struct {
		Run struct {
			Shell string `yaml:"shell"`
		} `yaml:"run"`
	} `yaml:"defaults"`
	Jobs map[string]struct {
		Steps []struct {
			Name  string `yaml:"name"`
			Run   string `yaml:"run"`
			Shell string `yaml:"shell"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// shellArgs is how GitHub runs a step script on Linux runners.
func shellArgs(shell string) []string {
	if shell == "bash" {
		return []string{"bash", "--noprofile", "--norc", "-eo", "pipefail"}
	}
	return []string{"bash", "-e"} // the default when no shell is given
}

// standIns is a PATH folder where every tool a step calls fails loudly.
func standIns(t *testing.T) string {
	dir := t.TempDir()
	for _, tool := range []string{"dagger", "gh", "curl", "jq", "crane", "cosign"} {
		script := "#!/bin/sh\necho \"stand-in $0 failed\" >&2\nexit 3\n"
		if err := os.WriteFile(filepath.Join(dir, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPipesDoNotHideFailures(t *testing.T) {
	files, err := filepath.Glob("../../../.github/workflows/*.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("workflows not found (%v)", err)
	}
	bin := standIns(t)
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var w workflow
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for job, j := range w.Jobs {
			for _, st := range j.Steps {
				if !strings.Contains(st.Run, "| ") || !strings.Contains(st.Run, "dagger") {
					continue
				}
				shell := st.Shell
				if shell == "" {
					shell = w.Defaults.Run.Shell
				}
				cmd := exec.Command(shellArgs(shell)[0], append(shellArgs(shell)[1:], "-c", st.Run)...)
				cmd.Dir = t.TempDir()
				cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_OUTPUT="+filepath.Join(cmd.Dir, "out"),
					"RUNNER_TEMP="+cmd.Dir, "GITHUB_REF=refs/tags/v0.0.1", "GITHUB_SHA=0123456789abcdef0123456789abcdef01234567")
				out, err := cmd.CombinedOutput()
				if err == nil {
					t.Errorf("%s job %s step %q: succeeded although dagger failed (a pipe hides the failure):\n%s", filepath.Base(f), job, st.Name, out)
				}
				t.Logf("%s job %s step %q fails as it must (%s)", filepath.Base(f), job, st.Name, strings.Join(shellArgs(shell), " "))
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no step with a dagger pipe found: the test checks nothing")
	}
}

// The check itself bites: the same pipe under bash -e alone succeeds.
func TestWithoutPipefailTheFailureHides(t *testing.T) {
	bin := standIns(t)
	cmd := exec.Command("bash", "-e", "-c", "dagger call x | tee out.txt")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bash -e should hide the failure (that is the bug the defaults fix): %v %s", err, out)
	}
}

var usesLine = regexp.MustCompile(`(?m)^\s*-?\s*uses:\s*(\S+)(.*)$`)
var pinned = regexp.MustCompile(`^[^@\s]+@[0-9a-f]{40}$`)
var versionComment = regexp.MustCompile(`^\s*#\s*v\d+(\.\d+)*\s*$`)

// Every action is pinned by a full commit SHA with its version as a comment
// (tags can be moved; Dependabot updates both).
func TestActionsPinnedBySHA(t *testing.T) {
	files, _ := filepath.Glob("../../../.github/workflows/*.yml")
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range usesLine.FindAllStringSubmatch(string(data), -1) {
			if strings.HasPrefix(strings.TrimSpace(m[0]), "#") {
				continue // the documented caller snippet
			}
			if strings.HasPrefix(m[1], "./.github/workflows/") {
				continue // a reusable workflow of this repository, at the caller's commit
			}
			n++
			if !pinned.MatchString(m[1]) || !versionComment.MatchString(m[2]) {
				t.Errorf("%s: %q: pin it as owner/repo@<40-hex SHA> # vX.Y.Z", filepath.Base(f), strings.TrimSpace(m[0]))
			}
		}
	}
	if n == 0 {
		t.Fatal("no uses: found")
	}
}

// The workflows install the Dagger version of dagger.json (one version).
func TestDaggerVersionMatchesModule(t *testing.T) {
	data, err := os.ReadFile("../../../dagger.json")
	if err != nil {
		t.Fatal(err)
	}
	var mod struct {
		EngineVersion string `json:"engineVersion"`
	}
	if err := json.Unmarshal(data, &mod); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../../.github/workflows/*.yml")
	n := 0
	for _, f := range files {
		var w struct {
			Env map[string]string `yaml:"env"`
		}
		data, _ := os.ReadFile(f)
		if err := yaml.Unmarshal(data, &w); err != nil {
			t.Fatal(err)
		}
		if v, ok := w.Env["DAGGER_VERSION"]; ok {
			n++
			if "v"+v != mod.EngineVersion {
				t.Errorf("%s: DAGGER_VERSION %s, dagger.json engineVersion %s", filepath.Base(f), v, mod.EngineVersion)
			}
		}
	}
	if n == 0 {
		t.Fatal("no workflow sets DAGGER_VERSION")
	}
	// the Go SDK is the engine's version, and Dependabot never moves it alone
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*dagger\.io/dagger ` + regexp.QuoteMeta(mod.EngineVersion) + `$`).Match(gomod) {
		t.Errorf("go.mod: dagger.io/dagger is not %s (dagger.json engineVersion)", mod.EngineVersion)
	}
	var dep struct {
		Updates []struct {
			Ecosystem string `yaml:"package-ecosystem"`
			Ignore    []struct {
				Name string `yaml:"dependency-name"`
			} `yaml:"ignore"`
		} `yaml:"updates"`
	}
	data, err = os.ReadFile("../../../.github/dependabot.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &dep); err != nil {
		t.Fatal(err)
	}
	for _, u := range dep.Updates {
		if u.Ecosystem != "gomod" {
			continue
		}
		ignored := false
		for _, i := range u.Ignore {
			ignored = ignored || i.Name == "dagger.io/dagger"
		}
		if !ignored {
			t.Error("dependabot.yml: the gomod updates would move dagger.io/dagger past the engine: ignore it")
		}
	}
}
