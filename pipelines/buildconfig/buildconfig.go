// Package buildconfig reads one build's settings from a YAML file (such as
// unison.yaml): the build identity, the admin identity and the installer's
// form (with the installed system's kernel arguments), what bootc-image-builder keeps in config.toml and Talos in a
// profile. It is strict: an unknown or mistyped key, a wrong type or a value
// the build would refuse is an error naming file:line and the field, before
// anything is built. Flags given next to the file override its values
// (Merge); secrets never go in it.
package buildconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/project-unisonOS/unison-platform/pipelines/autoinstall"
	"github.com/project-unisonOS/unison-platform/pipelines/ident"
	"github.com/project-unisonOS/unison-platform/pipelines/version"
	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
	"gopkg.in/yaml.v3"
)

// Config is one build's settings; zero values mean "not set here".
type Config struct {
	// File is the name errors carry.
	File            string
	Version         string
	Flavor          string
	PlatformVersion string
	Public          bool
	Admin           Admin
	Locale          string
	Keyboard        string
	Timezone        string
	Packages        []string
	KernelArgs      []string
	// lines are the line of each field set (for errors found later).
	lines map[string]int
}

// Admin is the admin identity of an unattended build.
type Admin struct {
	User              string
	Hostname          string
	SSHAuthorizedKeys []string
}

// Set reports whether the file sets any admin field.
func (a Admin) Set() bool {
	return a.User != "" || a.Hostname != "" || len(a.SSHAuthorizedKeys) > 0
}

var (
	topKeys   = []string{"version", "flavor", "platform-version", "public", "admin", "locale", "keyboard", "timezone", "packages", "kernel-arguments"}
	adminKeys = []string{"user", "hostname", "ssh-authorized-keys"}
	// secretKeys are keys people reach for that must never be in a file.
	secretKeys = map[string]string{
		"password":      "a password never goes in a build file: pass --password-hash env:VAR (a Dagger secret holding a crypt(3) hash) to with-admin or the door",
		"password-hash": "a password hash is a secret: pass --password-hash env:VAR (a Dagger secret) to with-admin or the door, never in the build file",
	}
)

// Parse reads and validates a build file. file names it in errors. A file
// with nothing in it (comments, a bare ---) sets nothing.
func Parse(file string, data []byte) (*Config, error) {
	if empty(data) {
		return &Config{File: file, lines: map[string]int{}}, nil
	}
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	c := &Config{File: file, lines: map[string]int{}}
	pairs, err := d.Mapping(d.Root, "", nil)
	if err != nil {
		return nil, err
	}
	for _, p := range pairs {
		if err := c.set(d, p); err != nil {
			return nil, err
		}
	}
	return c, c.check()
}

// empty reports a YAML stream with no content: no document, or one null document.
func empty(data []byte) bool {
	var n yaml.Node
	err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&n)
	if errors.Is(err, io.EOF) {
		return true
	}
	return err == nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 &&
		n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null"
}

func (c *Config) set(d *yamlx.Doc, p yamlx.Pair) error {
	if msg, ok := secretKeys[p.Key]; ok {
		return d.Errorf(p.KeyN, p.Key, "%s", msg)
	}
	c.lines[p.Key] = p.KeyN.Line
	var err error
	switch p.Key {
	case "version":
		c.Version, err = d.String(p.Value, p.Key)
	case "flavor":
		c.Flavor, err = d.String(p.Value, p.Key)
	case "platform-version":
		c.PlatformVersion, err = d.String(p.Value, p.Key)
	case "public":
		c.Public, err = d.Bool(p.Value, p.Key)
	case "admin":
		err = c.setAdmin(d, p.Value)
	case "locale":
		c.Locale, err = d.String(p.Value, p.Key)
	case "keyboard":
		c.Keyboard, err = d.String(p.Value, p.Key)
	case "timezone":
		c.Timezone, err = d.String(p.Value, p.Key)
	case "packages":
		c.Packages, err = d.Strings(p.Value, p.Key)
	case "kernel-arguments":
		c.KernelArgs, err = d.Strings(p.Value, p.Key)
	default:
		return d.Errorf(p.KeyN, p.Key, "unknown key%s (known: %s)", suggest(p.Key, topKeys), strings.Join(topKeys, ", "))
	}
	return err
}

func (c *Config) setAdmin(d *yamlx.Doc, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		_, err := d.Mapping(n, "admin", adminKeys)
		return err
	}
	pairs, err := d.Mapping(n, "admin", nil)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		field := "admin." + p.Key
		if msg, ok := secretKeys[p.Key]; ok {
			return d.Errorf(p.KeyN, field, "%s", msg)
		}
		c.lines[field] = p.KeyN.Line
		switch p.Key {
		case "user":
			c.Admin.User, err = d.String(p.Value, field)
		case "hostname":
			c.Admin.Hostname, err = d.String(p.Value, field)
		case "ssh-authorized-keys":
			c.Admin.SSHAuthorizedKeys, err = d.Strings(p.Value, field)
		default:
			return d.Errorf(p.KeyN, field, "unknown key%s (known: %s)", suggest(p.Key, adminKeys), strings.Join(adminKeys, ", "))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// check validates every value set with the rules the build applies to the
// same value given as a flag (version label, admin identity, installer form).
func (c *Config) check() error {
	if c.Version != "" {
		if err := version.CheckLabel(c.Version); err != nil {
			return c.errorf("version", "%v", err)
		}
	}
	if c.Public && c.Admin.Set() {
		return c.errorf("admin", "a public build carries no operator credentials: drop public: true, or the admin section (personalize-iso adds the admin to a public ISO)")
	}
	if c.Admin.Set() {
		a := ident.Admin{User: c.Admin.User, Hostname: c.Admin.Hostname, Keys: c.Admin.SSHAuthorizedKeys}.WithDefaults()
		if err := a.Check(); err != nil {
			var e *ident.Error
			if errors.As(err, &e) {
				return c.errorf(adminField(e.Field), "%s", e.Msg)
			}
			return err
		}
	}
	form := autoinstall.Config{Public: true, Locale: c.Locale, KeyboardLayout: c.Keyboard, Timezone: c.Timezone, ExtraPackages: c.Packages, KernelArgs: c.KernelArgs}
	if err := form.WithDefaults().CheckForm(); err != nil {
		var e *autoinstall.InputError
		if errors.As(err, &e) {
			return c.errorf(e.Field, "%s", e.Msg)
		}
		return err
	}
	return nil
}

// adminField maps the identity's flag names to the file's fields.
func adminField(flag string) string {
	switch flag {
	case "admin-user":
		return "admin.user"
	case "hostname", "ssh-authorized-keys":
		return "admin." + flag
	}
	return "admin"
}

// errorf is an error at the line of field (file:line: field: msg).
func (c *Config) errorf(field, format string, a ...any) error {
	return &yamlx.Error{File: c.File, Line: c.lines[field], Field: field, Msg: fmt.Sprintf(format, a...)}
}

// suggest names a known key one or two edits away.
func suggest(key string, known []string) string {
	for _, k := range known {
		if distance(key, k) <= 2 {
			return fmt.Sprintf("; did you mean %q?", k)
		}
	}
	return ""
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Flags are the same settings given as flags next to the file (zero: not
// given). Keys holds the keys of --ssh-authorized-keys and its file.
type Flags struct {
	Version, Flavor, PlatformVersion string
	Public                           bool
	User, Hostname                   string
	Keys                             []string
	KeysFile, PasswordHash           bool
	Locale, Keyboard, Timezone       string
	Packages, KernelArgs             []string
}

// Merge returns the settings of the build: each flag given overrides the
// file's value (a list flag replaces the file's list). A flag that
// contradicts the file, rather than overriding one of its values, is an
// error naming both: admin credentials next to public: true, --public next
// to an admin section. A nil Config is no file.
func (c *Config) Merge(f Flags) (Flags, error) {
	if c == nil {
		return f, nil
	}
	admin := f.User != "" || f.Hostname != "" || len(f.Keys) > 0 || f.KeysFile || f.PasswordHash
	if c.Public && admin {
		return f, c.errorf("public", "true conflicts with the admin flags (--ssh-authorized-keys, --password-hash, --admin-user, --hostname): a public build carries no operator credentials; drop public: true from the file or the flags")
	}
	if f.Public && c.Admin.Set() {
		return f, c.errorf("admin", "conflicts with --public: a public build carries no operator credentials; drop --public or the file's admin section")
	}
	out := Flags{
		Version: or(f.Version, c.Version), Flavor: or(f.Flavor, c.Flavor), PlatformVersion: or(f.PlatformVersion, c.PlatformVersion),
		Public: f.Public || c.Public, User: or(f.User, c.Admin.User), Hostname: or(f.Hostname, c.Admin.Hostname),
		Keys: orList(f.Keys, c.Admin.SSHAuthorizedKeys), KeysFile: f.KeysFile, PasswordHash: f.PasswordHash,
		Locale: or(f.Locale, c.Locale), Keyboard: or(f.Keyboard, c.Keyboard), Timezone: or(f.Timezone, c.Timezone),
		Packages: orList(f.Packages, c.Packages), KernelArgs: orList(f.KernelArgs, c.KernelArgs),
	}
	return out, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orList(a, b []string) []string {
	if len(a) > 0 {
		return a
	}
	return b
}
