// Package yamlx reads YAML strictly with gopkg.in/yaml.v3: every error names
// the file, the line and the field path, and unknown keys are errors.
package yamlx

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a problem at a place in a YAML file.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// Doc is a parsed YAML document.
type Doc struct {
	File string
	Root *yaml.Node
}

// Parse parses exactly one YAML document whose top level is a mapping.
func Parse(file string, data []byte) (*Doc, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		return nil, &Error{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document; keep one"}
	}
	root := &n
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	d := &Doc{File: file, Root: root}
	if root.Kind != yaml.MappingNode {
		return nil, d.Errorf(root, "", "the top level must be a mapping")
	}
	return d, nil
}

// Errorf builds an Error at node n.
func (d *Doc) Errorf(n *yaml.Node, field, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{File: d.File, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Pair is one key of a mapping with its value.
type Pair struct {
	Key   string
	KeyN  *yaml.Node
	Value *yaml.Node
}

// Mapping returns the pairs of mapping node n in file order, refusing
// duplicate keys and, when allowed is not nil, keys it does not list.
func (d *Doc) Mapping(n *yaml.Node, field string, allowed []string) ([]Pair, error) {
	if n.Kind != yaml.MappingNode {
		return nil, d.Errorf(n, field, "want a mapping, got %s", kind(n))
	}
	seen := map[string]bool{}
	var out []Pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(field, k.Value)
		if seen[k.Value] {
			return nil, d.Errorf(k, path, "duplicate key")
		}
		seen[k.Value] = true
		if allowed != nil && !contains(allowed, k.Value) {
			return nil, d.Errorf(k, path, "unknown key (known: %s)", strings.Join(allowed, ", "))
		}
		out = append(out, Pair{Key: k.Value, KeyN: k, Value: v})
	}
	return out, nil
}

// String decodes a scalar string.
func (d *Doc) String(n *yaml.Node, field string) (string, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float") {
		return "", d.Errorf(n, field, "want a string, got %s", kind(n))
	}
	return n.Value, nil
}

// Bool decodes a boolean (true/false only).
func (d *Doc) Bool(n *yaml.Node, field string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, d.Errorf(n, field, "want true or false, got %s", kind(n))
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, d.Errorf(n, field, "want true or false, got %q", n.Value)
	}
	return b, nil
}

// Int decodes an integer.
func (d *Doc) Int(n *yaml.Node, field string) (int, error) {
	var i int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
		return 0, d.Errorf(n, field, "want an integer, got %s", kind(n))
	}
	return i, nil
}

// Strings decodes a sequence of strings.
func (d *Doc) Strings(n *yaml.Node, field string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, d.Errorf(n, field, "want a list of strings, got %s", kind(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		s, err := d.String(c, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "a boolean " + n.Value
	case "!!int", "!!float":
		return "a number " + n.Value
	}
	return fmt.Sprintf("%q", n.Value)
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Join exposes the field path joiner.
func Join(a, b string) string { return join(a, b) }
