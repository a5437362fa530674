package autoinstall

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// LateCommands reads the autoinstall late-commands of a NoCloud user-data
// document as the shell command lines subiquity runs, in order: a string is
// run by sh -c as it is; a list is an argv, joined here with shell quoting.
func LateCommands(userData string) ([]string, error) {
	var doc struct {
		Autoinstall struct {
			LateCommands []yaml.Node `yaml:"late-commands"`
		} `yaml:"autoinstall"`
	}
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil {
		return nil, fmt.Errorf("user-data: not valid YAML: %v", err)
	}
	var out []string
	for i, n := range doc.Autoinstall.LateCommands {
		var line string
		switch n.Kind {
		case yaml.ScalarNode:
			line = n.Value
		case yaml.SequenceNode:
			var argv []string
			if err := n.Decode(&argv); err != nil {
				return nil, fmt.Errorf("user-data: late-commands[%d]: %v", i, err)
			}
			for j := range argv {
				argv[j] = shellQuote(argv[j])
			}
			line = strings.Join(argv, " ")
		default:
			return nil, fmt.Errorf("user-data: late-commands[%d]: want a command line or a list of arguments", i)
		}
		if strings.TrimSpace(line) == "" || strings.ContainsAny(line, "\n\r") {
			return nil, fmt.Errorf("user-data: late-commands[%d] %q: want one non-empty line", i, line)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("user-data: no autoinstall late-commands")
	}
	return out, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
