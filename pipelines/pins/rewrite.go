package pins

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Rewrite replaces the urls and sha256 of one pin in images/ubuntu.yaml,
// keeping every other line and comment.
func Rewrite(data []byte, p Pin) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) != 1 {
		return nil, fmt.Errorf("images/ubuntu.yaml: not one YAML document: %v", err)
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != p.Name {
			continue
		}
		pin := top.Content[i+1]
		for j := 0; j+1 < len(pin.Content); j += 2 {
			switch pin.Content[j].Value {
			case "sha256":
				pin.Content[j+1].Value = p.SHA256
			case "urls":
				seq := pin.Content[j+1]
				seq.Content = nil
				for _, u := range p.URLs {
					seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: u})
				}
			}
		}
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		enc.SetIndent(2)
		if err := enc.Encode(&doc); err != nil {
			return nil, err
		}
		return b.Bytes(), enc.Close()
	}
	return nil, fmt.Errorf("images/ubuntu.yaml: no pin %q", p.Name)
}
