// Package dockerbuild checks the Docker build options a service repository
// passes through the reusable workflow: build arguments and build secrets.
package dockerbuild

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var (
	argRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	secretRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

// Arg is one --build-arg.
type Arg struct{ Name, Value string }

// ParseArgs reads NAME=VALUE build arguments (blank lines and # comments
// skipped, so a workflow input can hold one a line). A secret never goes
// here: build arguments end up in the image history.
func ParseArgs(lines []string) ([]Arg, error) {
	var out []Arg
	seen := map[string]bool{}
	for _, block := range lines {
		for _, l := range strings.Split(block, "\n") {
			l = strings.TrimSpace(l)
			if l == "" || strings.HasPrefix(l, "#") {
				continue
			}
			k, v, ok := strings.Cut(l, "=")
			if !ok || !argRE.MatchString(k) {
				return nil, fmt.Errorf("build-args: %q is not NAME=VALUE (NAME: letters, digits, _)", l)
			}
			if seen[k] {
				return nil, fmt.Errorf("build-args: %s given twice", k)
			}
			if looksSecret(k) {
				return nil, fmt.Errorf("build-args: %s looks like a secret; build arguments are kept in the image history: pass it as a build secret (secrets: BUILD_SECRETS, mounted at /run/secrets/<id>)", k)
			}
			seen[k] = true
			out = append(out, Arg{k, v})
		}
	}
	return out, nil
}

func looksSecret(k string) bool {
	u := strings.ToUpper(k)
	for _, s := range []string{"TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "PRIVATE_KEY"} {
		if strings.Contains(u, s) {
			return true
		}
	}
	return false
}

// ParseSecrets reads build secrets, one ID=VALUE a line (what the
// BUILD_SECRETS workflow secret holds); the values are never printed.
func ParseSecrets(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		id, v, ok := strings.Cut(l, "=")
		if !ok || !secretRE.MatchString(id) {
			// the line may hold a secret: name the line, never show it
			return nil, fmt.Errorf("build-secrets: line %d is not ID=VALUE (ID: letters, digits, . _ -, at most 64)", i+1)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("build-secrets: id %s given twice", id)
		}
		out[id] = v
	}
	return out, nil
}

// IDs are the secret ids, sorted.
func IDs(secrets map[string]string) []string {
	ids := make([]string, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
