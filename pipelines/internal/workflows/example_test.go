package workflows

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The caller example is what docs/service-repos.md shows, and it passes
// only inputs and secrets reusable-build.yml declares, with every required
// input (actionlint cannot read a remote reusable workflow's inputs).
func TestServiceRepoExample(t *testing.T) {
	ex, err := os.ReadFile("../../../docs/examples/service-build.yml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../../docs/service-repos.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```yaml\n"+string(ex)+"```\n") {
		t.Error("docs/service-repos.md does not show docs/examples/service-build.yml verbatim")
	}
	checkCaller(t, ex, "docs/examples/service-build.yml")
}

// The README's service-repository snippet: the same reusable workflow at the
// same version as the complete example, and only inputs it declares.
func TestReadmeServiceSnippet(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## A service repository")
	if !ok {
		t.Fatal("README.md: no \"## A service repository\" section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	snippet, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README.md: no yaml block in \"## A service repository\"")
	}
	ex, err := os.ReadFile("../../../docs/examples/service-build.yml")
	if err != nil {
		t.Fatal(err)
	}
	use := regexp.MustCompile(`uses: (\S+reusable-build\.yml@\S+)`)
	if a, b := use.FindStringSubmatch(snippet), use.FindStringSubmatch(string(ex)); a == nil || b == nil || a[1] != b[1] {
		t.Errorf("README.md's snippet calls %v, the example %v: the same workflow at the same version", a, b)
	}
	checkCaller(t, []byte(snippet), "README.md")
}

// checkCaller holds a caller's jobs to reusable-build.yml's inputs and
// secrets (actionlint cannot read a remote reusable workflow's inputs).
func checkCaller(t *testing.T, ex []byte, name string) {
	t.Helper()
	var caller struct {
		Jobs map[string]struct {
			Uses    string            `yaml:"uses"`
			With    map[string]any    `yaml:"with"`
			Secrets map[string]string `yaml:"secrets"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(ex, &caller); err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile("../../../.github/workflows/reusable-build.yml")
	if err != nil {
		t.Fatal(err)
	}
	var called struct {
		On struct {
			WorkflowCall struct {
				Inputs map[string]struct {
					Required bool `yaml:"required"`
				} `yaml:"inputs"`
				Secrets map[string]any `yaml:"secrets"`
			} `yaml:"workflow_call"`
		} `yaml:"on"`
	}
	if err := yaml.Unmarshal(rb, &called); err != nil {
		t.Fatal(err)
	}
	calls := 0
	for job, j := range caller.Jobs {
		if !strings.Contains(j.Uses, "/.github/workflows/reusable-build.yml@") {
			continue
		}
		calls++
		for in := range j.With {
			if _, ok := called.On.WorkflowCall.Inputs[in]; !ok {
				t.Errorf("%s: job %s: input %s is not one reusable-build.yml declares", name, job, in)
			}
		}
		for in, def := range called.On.WorkflowCall.Inputs {
			if _, ok := j.With[in]; def.Required && !ok {
				t.Errorf("%s: job %s: required input %s missing", name, job, in)
			}
		}
		for s := range j.Secrets {
			if _, ok := called.On.WorkflowCall.Secrets[s]; !ok {
				t.Errorf("%s: job %s: secret %s is not one reusable-build.yml declares", name, job, s)
			}
		}
	}
	if calls != 1 {
		t.Fatalf("%s: %d calls of reusable-build.yml, want 1", name, calls)
	}
}
