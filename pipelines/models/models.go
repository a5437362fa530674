// Package models renders images/models.yaml into the models.json of one
// flavor. The YAML is read strictly: unknown keys, unknown flavors and wrong
// types are errors naming the file, line and field; nothing is ever rendered
// from a file that did not parse.
package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
	"gopkg.in/yaml.v3"
)

// DefaultFlavor is the flavor built when none is asked for.
const DefaultFlavor = "default"

// Providers are the model runtimes the platform knows how to drive.
var Providers = []string{"ollama"}

var (
	specKeys = []string{"provider", "text_model", "multimodal_model", "preload", "models"}
	topKeys  = []string{"version", "default", "flavors"}
	modelRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?$`)
	flavorRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)
)

// Spec is one flavor's model selection: the content of models.json.
type Spec struct {
	Flavor          string   `json:"flavor"`
	Provider        string   `json:"provider"`
	TextModel       string   `json:"text_model"`
	MultimodalModel string   `json:"multimodal_model,omitempty"`
	Preload         bool     `json:"preload"`
	Models          []string `json:"models"`
}

// Manifest is a parsed models.yaml.
type Manifest struct {
	Default Spec
	Flavors map[string]Spec
}

// Names lists the flavors, default first.
func (m *Manifest) Names() []string {
	names := []string{DefaultFlavor}
	var rest []string
	for n := range m.Flavors {
		rest = append(rest, n)
	}
	sort.Strings(rest)
	return append(names, rest...)
}

// Parse reads models.yaml; file names the file in errors.
func Parse(file string, data []byte) (*Manifest, error) {
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	pairs, err := d.Mapping(d.Root, "", topKeys)
	if err != nil {
		return nil, err
	}
	m := &Manifest{Flavors: map[string]Spec{}}
	var haveVersion, haveDefault bool
	var flavorsNode *yamlx.Pair
	for i, p := range pairs {
		switch p.Key {
		case "version":
			v, err := d.Int(p.Value, "version")
			if err != nil {
				return nil, err
			}
			if v != 1 {
				return nil, d.Errorf(p.Value, "version", "unsupported version %d (this build reads version 1)", v)
			}
			haveVersion = true
		case "default":
			if err := apply(d, p.Value, "default", &m.Default); err != nil {
				return nil, err
			}
			haveDefault = true
		case "flavors":
			flavorsNode = &pairs[i]
		}
	}
	if !haveVersion {
		return nil, d.Errorf(d.Root, "version", "missing: add `version: 1`")
	}
	if !haveDefault {
		return nil, d.Errorf(d.Root, "default", "missing: the default flavor is required")
	}
	m.Default.Flavor = DefaultFlavor
	if err := check(d, d.Root, "default", &m.Default); err != nil {
		return nil, err
	}
	if flavorsNode != nil {
		fl, err := d.Mapping(flavorsNode.Value, "flavors", nil)
		if err != nil {
			return nil, err
		}
		for _, f := range fl {
			field := "flavors." + f.Key
			if !flavorRE.MatchString(f.Key) || f.Key == DefaultFlavor {
				return nil, d.Errorf(f.KeyN, field, "flavor names are lowercase letters, digits and '-' (at most 31), and not %q", DefaultFlavor)
			}
			s := m.Default
			s.Models = append([]string(nil), m.Default.Models...)
			s.Flavor = f.Key
			if err := apply(d, f.Value, field, &s); err != nil {
				return nil, err
			}
			if err := check(d, f.Value, field, &s); err != nil {
				return nil, err
			}
			m.Flavors[f.Key] = s
		}
	}
	return m, nil
}

func apply(d *yamlx.Doc, n *yaml.Node, field string, s *Spec) error {
	pairs, err := d.Mapping(n, field, specKeys)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		f := yamlx.Join(field, p.Key)
		switch p.Key {
		case "provider":
			s.Provider, err = d.String(p.Value, f)
		case "text_model":
			s.TextModel, err = d.String(p.Value, f)
		case "multimodal_model":
			s.MultimodalModel, err = d.String(p.Value, f)
		case "preload":
			s.Preload, err = d.Bool(p.Value, f)
		case "models":
			s.Models, err = d.Strings(p.Value, f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func check(d *yamlx.Doc, n *yaml.Node, field string, s *Spec) error {
	if !contains(Providers, s.Provider) {
		return d.Errorf(n, field+".provider", "unknown provider %q (known: %s)", s.Provider, strings.Join(Providers, ", "))
	}
	if s.TextModel == "" {
		return d.Errorf(n, field+".text_model", "required")
	}
	for _, x := range append([]string{s.TextModel, s.MultimodalModel}, s.Models...) {
		if x != "" && !modelRE.MatchString(x) {
			return d.Errorf(n, field, "%q is not a model reference like qwen2.5:1.5b", x)
		}
	}
	if s.Preload {
		for _, need := range []string{s.TextModel, s.MultimodalModel} {
			if need != "" && !contains(s.Models, need) {
				return d.Errorf(n, field+".models", "preload is on but %q is not in models", need)
			}
		}
	}
	return nil
}

// Render returns the models.json of a flavor ("" means default).
func (m *Manifest) Render(flavor string) ([]byte, error) {
	s, err := m.Flavor(flavor)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Flavor returns one flavor's spec.
func (m *Manifest) Flavor(flavor string) (Spec, error) {
	if flavor == "" || flavor == DefaultFlavor {
		return m.Default, nil
	}
	s, ok := m.Flavors[flavor]
	if !ok {
		return Spec{}, fmt.Errorf("flavor %q: unknown (known: %s)", flavor, strings.Join(m.Names(), ", "))
	}
	return s, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
