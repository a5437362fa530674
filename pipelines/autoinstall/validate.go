package autoinstall

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/project-unisonOS/unison-platform/pipelines/ident"
)

// ValidationError is a rule the rendered autoinstall breaks.
type ValidationError struct{ Rule string }

func (e *ValidationError) Error() string { return "autoinstall user-data: " + e.Rule }

func invalid(format string, a ...any) error {
	return &ValidationError{Rule: fmt.Sprintf(format, a...)}
}

// Validate checks a rendered NoCloud user-data document.
func Validate(userData string, stable bool) error {
	if !strings.HasPrefix(userData, "#cloud-config\n") {
		return invalid("must start with #cloud-config")
	}
	if err := checkStructure(userData); err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil {
		return invalid("not valid YAML: %v", err)
	}
	ai, ok := doc["autoinstall"].(map[string]any)
	if !ok {
		return invalid("no autoinstall: section")
	}
	if v, _ := ai["version"].(int); v != 1 {
		return invalid("version must be 1")
	}
	for k := range ai {
		if !contains(KnownKeys, k) {
			return invalid("unknown top-level key %q (subiquity rejects it)", k)
		}
	}
	if err := validateAccess(ai, stable); err != nil {
		return err
	}
	if err := validatePackages(ai); err != nil {
		return err
	}
	return validateLateCommands(ai)
}

// validateAccess: a user, crypt hashes only, keys and no password SSH.
func validateAccess(ai map[string]any, stable bool) error {
	identity, hasIdentity := ai["identity"].(map[string]any)
	ud, hasUserData := ai["user-data"].(map[string]any)
	interactive := map[string]bool{}
	if l, ok := ai["interactive-sections"].([]any); ok {
		for _, x := range l {
			s, _ := x.(string)
			if s != "identity" && s != "ssh" {
				return invalid("interactive-sections may only hold identity and ssh (the rest installs unattended), not %q", s)
			}
			interactive[s] = true
		}
	}
	if !hasIdentity && !hasUserData && !interactive["identity"] {
		return invalid("identity or user-data is required (subiquity needs a user), or identity in interactive-sections")
	}
	var keys []any
	ssh, _ := ai["ssh"].(map[string]any)
	if ssh == nil {
		return invalid("ssh section is required")
	}
	if k, ok := ssh["authorized-keys"].([]any); ok {
		keys = append(keys, k...)
	}
	if hasIdentity {
		for _, f := range []string{"hostname", "username", "password"} {
			if s, _ := identity[f].(string); s == "" {
				return invalid("identity.%s is required", f)
			}
		}
		if pw, _ := identity["password"].(string); !ident.CryptHash(pw) {
			return invalid("identity.password must be a crypt hash, not a plain password")
		}
	}
	if hasUserData {
		users, _ := ud["users"].([]any)
		if len(users) == 0 && !hasIdentity {
			return invalid("user-data.users is required when there is no identity")
		}
		for _, u := range users {
			um, _ := u.(map[string]any)
			if k, ok := um["ssh_authorized_keys"].([]any); ok {
				keys = append(keys, k...)
			}
			if um["passwd"] != nil || um["plain_text_passwd"] != nil {
				return invalid("user-data.users must not carry passwords")
			}
		}
	}
	if allowPW, _ := ssh["allow-pw"].(bool); len(keys) > 0 && allowPW {
		return invalid("ssh.allow-pw must be false when SSH keys are given")
	}
	if allowPW, _ := ssh["allow-pw"].(bool); interactive["ssh"] && allowPW {
		return invalid("ssh.allow-pw must be false when the installer asks for the SSH keys")
	}
	if stable && len(keys) == 0 && !interactive["ssh"] {
		return invalid("stable releases require at least one SSH authorized key")
	}
	// stable and public media: the installed system keeps password SSH off whatever the installer's SSH screen said
	if allowPW, _ := ssh["allow-pw"].(bool); (stable || interactive["ssh"]) && !allowPW && !strings.Contains(lateText(ai), KeysOnlyFile) {
		return invalid("late-commands must write %s (PasswordAuthentication no) on stable and public media", KeysOnlyFile)
	}
	return nil
}

// KeysOnlyFile is the sshd drop-in that keeps password SSH off on an
// installed system with keys: sshd takes a setting's first value, and this
// name sorts before the 50-cloud-init.conf that an installer's "allow
// password authentication" answer would write.
const KeysOnlyFile = "/etc/ssh/sshd_config.d/05-unisonos-keys-only.conf"

// validatePackages: only what Ubuntu ships, and the hardening packages.
func validatePackages(ai map[string]any) error {
	pkgs := map[string]bool{}
	if l, ok := ai["packages"].([]any); ok {
		for _, p := range l {
			s, _ := p.(string)
			if alt, bad := notInUbuntu[s]; bad {
				return invalid("package %q is not in Ubuntu's archive: use %s", s, alt)
			}
			pkgs[s] = true
		}
	}
	need := []string{"ufw", "unattended-upgrades"}
	// Docker from the archive, or from the medium (offline builds)
	if !strings.Contains(lateText(ai), OfflineDebsCommand) {
		need = append(need, DockerPackages...)
	}
	for _, n := range need {
		if !pkgs[n] {
			return invalid("packages must include %s (or late-commands install it from the medium: %s)", n, OfflineDebsCommand)
		}
	}
	return nil
}

// validateLateCommands: the offline bundle install, firewall and upgrades.
func validateLateCommands(ai map[string]any) error {
	late := lateText(ai)
	for _, rule := range []struct{ needle, why string }{
		{"/cdrom/nocloud/", "install the platform bundle from the install medium (/cdrom/nocloud/)"},
		{"systemctl enable unison-platform.service", "enable unison-platform.service"},
		{"ENABLED=yes", "enable the firewall (ufw)"},
		{"ufw allow OpenSSH", "allow SSH through the firewall"},
		{"Unattended-Upgrade \"1\"", "turn on unattended upgrades"},
	} {
		if !strings.Contains(late, rule.needle) {
			return invalid("late-commands must %s", rule.why)
		}
	}
	for _, forbidden := range []string{"git clone", "curl ", "wget "} {
		if strings.Contains(late, forbidden) {
			return invalid("late-commands must work offline: %q found", strings.TrimSpace(forbidden))
		}
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// lateText is the late-commands, a line each.
func lateText(ai map[string]any) string {
	late := ""
	if l, ok := ai["late-commands"].([]any); ok {
		for _, c := range l {
			s, _ := c.(string)
			late += s + "\n"
		}
	}
	return late
}

// checkStructure refuses what the rules below would not see but cloud-init
// and subiquity act on: a second YAML document, a top-level key other than
// autoinstall (cloud-init applies it in the installer's live session: users,
// ssh_pwauth, runcmd ...), and YAML anchors, aliases and merge keys (a value
// checked in one place can be reused, or merged over, in another).
func checkStructure(userData string) error {
	dec := yaml.NewDecoder(strings.NewReader(userData))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return invalid("not valid YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return invalid("line %d: a second YAML document: the user-data is one document, autoinstall: only", extra.Line)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return invalid("no autoinstall: section")
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if k := top.Content[i]; k.Value != "autoinstall" {
			return invalid("line %d: top-level key %q: only autoinstall: is allowed (cloud-init would apply %q to the installer's live system, outside these rules; put installed-system settings under autoinstall.user-data)", k.Line, k.Value, k.Value)
		}
	}
	return walkNodes(top, func(n *yaml.Node) error {
		switch {
		case n.Kind == yaml.AliasNode:
			return invalid("line %d: YAML alias *%s: write the value out (an alias repeats a value where these rules do not look)", n.Line, n.Value)
		case n.Anchor != "":
			return invalid("line %d: YAML anchor &%s: write the value out, without anchors", n.Line, n.Anchor)
		case n.Tag == "!!merge" || n.Kind == yaml.ScalarNode && n.Value == "<<" && n.Style == 0:
			return invalid("line %d: YAML merge key <<: write the keys out (a merge can add or override keys these rules check)", n.Line)
		}
		return nil
	})
}

// walkNodes calls f on n and every node below it, stopping at the first error.
func walkNodes(n *yaml.Node, f func(*yaml.Node) error) error {
	if err := f(n); err != nil {
		return err
	}
	for _, c := range n.Content {
		if err := walkNodes(c, f); err != nil {
			return err
		}
	}
	return nil
}
