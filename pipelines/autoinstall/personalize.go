package autoinstall

import (
	"bytes"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// accessKeys are the sections of the user-data that say who may log in.
var accessKeys = []string{"interactive-sections", "identity", "user-data", "ssh"}

// Personalize turns the user-data of a public ISO (the installer asks for
// the identity and the SSH keys) into an unattended one for the admin of c:
// only the access sections change (identity or user-data, ssh; the
// interactive-sections go). Everything else, the late-commands included,
// stays as published. The form values (locale, keyboard, time zone, extra
// packages) come from the published document; tmpl renders the access
// sections with the same rules as a build.
func Personalize(tmpl, published string, c Config) (string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(published), &doc); err != nil || len(doc.Content) == 0 {
		return "", fmt.Errorf("iso: /nocloud/user-data is not valid YAML (not a UnisonOS ISO?)")
	}
	ai := mapValue(doc.Content[0], "autoinstall")
	if ai == nil || ai.Kind != yaml.MappingNode {
		return "", fmt.Errorf("iso: /nocloud/user-data has no autoinstall section (not a UnisonOS ISO?)")
	}
	// access given in a way the rewrite below would keep (a top-level key, an
	// anchor or merge key reused under autoinstall) is refused, not carried over
	if err := checkStructure(published); err != nil {
		return "", fmt.Errorf("iso: /nocloud/user-data: %w", err)
	}
	if mapValue(ai, "interactive-sections") == nil {
		return "", fmt.Errorf("iso: its installer asks for nothing: it is personalized already (use a public release ISO)")
	}
	c.Public = false
	c.Locale, c.Timezone = scalar(ai, "locale"), scalar(ai, "timezone")
	if kb := mapValue(ai, "keyboard"); kb != nil {
		c.KeyboardLayout = scalar(kb, "layout")
	}
	if p := mapValue(ai, "packages"); p != nil {
		for _, n := range p.Content {
			if !slices.Contains(BasePackages, n.Value) {
				c.ExtraPackages = append(c.ExtraPackages, n.Value)
			}
		}
	}
	fresh, err := Render(tmpl, c)
	if err != nil {
		return "", err
	}
	var fdoc yaml.Node
	if err := yaml.Unmarshal([]byte(fresh), &fdoc); err != nil {
		return "", err
	}
	fai := mapValue(fdoc.Content[0], "autoinstall")
	for _, k := range accessKeys {
		setValue(ai, k, mapValue(fai, k))
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	out := b.String()
	if !bytes.HasPrefix(b.Bytes(), []byte("#cloud-config\n")) {
		out = "#cloud-config\n" + out
	}
	if err := Validate(out, c.Stable); err != nil {
		return "", err
	}
	return out, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(m *yaml.Node, key string) string {
	if v := mapValue(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// setValue sets key to v in mapping m, or removes it when v is nil.
func setValue(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			if v == nil {
				m.Content = append(m.Content[:i], m.Content[i+2:]...)
			} else {
				m.Content[i+1] = v
			}
			return
		}
	}
	if v != nil {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	}
}
