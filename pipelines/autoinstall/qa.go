package autoinstall

import (
	"bytes"
	"fmt"

	"gopkg.in/yaml.v3"
)

// QAVariant is the user-data qa-install boots: the ISO's own, with
// `shutdown: poweroff` (the test sees the install end when the machine
// stops) and the QA key added to the admin's SSH keys (the test logs in to
// the installed system). It returns the document and the admin's name. A
// public ISO, whose installer asks for the admin, cannot install unattended.
func QAVariant(userData, qaKey string) (string, string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil || len(doc.Content) == 0 {
		return "", "", fmt.Errorf("iso: /nocloud/user-data is not valid YAML (not a UnisonOS ISO?)")
	}
	ai := mapValue(doc.Content[0], "autoinstall")
	if ai == nil || ai.Kind != yaml.MappingNode {
		return "", "", fmt.Errorf("iso: /nocloud/user-data has no autoinstall section (not a UnisonOS ISO?)")
	}
	if mapValue(ai, "interactive-sections") != nil {
		return "", "", fmt.Errorf("iso: its installer asks for the admin (a public ISO): personalize it first (build with-admin ... personalize-iso)")
	}
	setValue(ai, "shutdown", &yaml.Node{Kind: yaml.ScalarNode, Value: "poweroff"})
	key := &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: qaKey}
	var user string
	if id := mapValue(ai, "identity"); id != nil {
		user = scalar(id, "username")
		ssh := mapValue(ai, "ssh")
		keys := mapValue(ssh, "authorized-keys")
		if keys == nil {
			keys = &yaml.Node{Kind: yaml.SequenceNode}
			setValue(ssh, "authorized-keys", keys)
		}
		keys.Content = append(keys.Content, key)
		// a password-only ISO: with a key, password SSH goes off (the rule of every build)
		setValue(ssh, "allow-pw", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
	} else if users := mapValue(mapValue(ai, "user-data"), "users"); users != nil && len(users.Content) > 0 {
		u := users.Content[0]
		user = scalar(u, "name")
		keys := mapValue(u, "ssh_authorized_keys")
		if keys == nil {
			keys = &yaml.Node{Kind: yaml.SequenceNode}
			setValue(u, "ssh_authorized_keys", keys)
		}
		keys.Content = append(keys.Content, key)
	}
	if user == "" {
		return "", "", fmt.Errorf("iso: the user-data names no admin user")
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", "", err
	}
	out := b.String()
	if err := Validate(out, false); err != nil {
		return "", "", err
	}
	return out, user, nil
}
