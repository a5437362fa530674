package workflows

import (
	"os"
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
	for name, j := range caller.Jobs {
		if !strings.Contains(j.Uses, "/.github/workflows/reusable-build.yml@") {
			continue
		}
		calls++
		for in := range j.With {
			if _, ok := called.On.WorkflowCall.Inputs[in]; !ok {
				t.Errorf("job %s: input %s is not one reusable-build.yml declares", name, in)
			}
		}
		for in, def := range called.On.WorkflowCall.Inputs {
			if _, ok := j.With[in]; def.Required && !ok {
				t.Errorf("job %s: required input %s missing", name, in)
			}
		}
		for s := range j.Secrets {
			if _, ok := called.On.WorkflowCall.Secrets[s]; !ok {
				t.Errorf("job %s: secret %s is not one reusable-build.yml declares", name, s)
			}
		}
	}
	if calls != 1 {
		t.Fatalf("%d calls of reusable-build.yml in the example, want 1", calls)
	}
}
