// Package autoinstall renders and validates the Ubuntu Server autoinstall
// (subiquity) configuration of the bare-metal ISO: NoCloud user-data and
// meta-data, and the autoinstall.yaml placed at the ISO root.
//
// Validation runs on the rendered document, so an edited template is held to
// the same rules: version 1, only known top-level keys, identity/ssh
// consistency, no password SSH when keys are given, stable releases need an
// SSH key and no weak or placeholder password, the firewall and unattended
// upgrades are on, the platform bundle is installed from the medium and its
// service enabled, and no package that Ubuntu does not ship.
package autoinstall

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"unicode"

	"github.com/project-unisonOS/unison-platform/pipelines/ident"
)

// DefaultBundleFile is the platform bundle's name under /cdrom/nocloud/.
const DefaultBundleFile = "unison-platform-bundle.tar.gz"

// Config holds the typed inputs of the template.
type Config struct {
	Hostname          string
	Username          string
	RealName          string
	SSHAuthorizedKeys []string
	// PasswordHash is a crypt(3) hash ($6$ or $y$), never a plain password.
	PasswordHash   string
	ExtraPackages  []string
	Locale         string
	KeyboardLayout string
	Timezone       string
	// Stable applies the stable-channel rules (an SSH key required, ...).
	Stable bool
	// BundleFile is the platform bundle's file name under /cdrom/nocloud/.
	BundleFile string
	// Public: no operator credentials in the payload; the installer asks
	// for the identity and the SSH keys (interactive-sections).
	Public bool
	// Offline: Docker's packages come from the bundle on the medium
	// (OfflineDebsCommand in late-commands), not from the archive.
	Offline bool
	// KernelArgs are added to the installed system's kernel command line
	// (a grub.d file that update-grub reads, written by a late-command).
	KernelArgs []string
}

// BasePackages are always installed (all in Ubuntu's archive).
var BasePackages = []string{"ca-certificates", "curl", "docker.io", "docker-compose-v2", "ufw", "unattended-upgrades"}

// DockerPackages come from Ubuntu's archive, or from the medium in an offline build.
var DockerPackages = []string{"docker.io", "docker-compose-v2"}

// OfflineDebsCommand installs Docker's packages from the bundle on the
// medium (installer/offline.sh): the late-command of offline builds.
const OfflineDebsCommand = "/opt/unison-platform/installer/offline.sh debs"

// notInUbuntu maps packages Ubuntu does not ship to what it ships instead.
var notInUbuntu = map[string]string{
	"docker-compose-plugin": "docker-compose-v2",
	"docker-ce":             "docker.io",
	"docker-ce-cli":         "docker.io",
	"containerd.io":         "containerd",
	"docker-buildx-plugin":  "docker-buildx",
	"docker-compose":        "docker-compose-v2 (docker-compose is the old python v1 without `docker compose`)",
}

// KnownKeys are the autoinstall top-level keys of subiquity (Ubuntu 22.04-24.04).
var KnownKeys = []string{
	"version", "interactive-sections", "early-commands", "locale", "refresh-installer", "keyboard",
	"source", "network", "proxy", "apt", "storage", "identity", "active-directory", "ubuntu-pro",
	"ssh", "codecs", "drivers", "oem", "snaps", "debconf-selections", "packages", "kernel",
	"kernel-crash-dumps", "timezone", "updates", "shutdown", "late-commands", "error-commands",
	"reporting", "user-data", "zdevs",
}

var (
	// kernelArgRE is one kernel argument that GRUB, the shell of a
	// late-command and YAML all take as it is: no space, quote, $, # or ;,
	// not ending in ':' (YAML would read "a: b" as a mapping).
	kernelArgRE = regexp.MustCompile(`^[A-Za-z0-9_]([A-Za-z0-9._,:=/+@-]*[A-Za-z0-9._,=/+@-])?$`)
	localeRE    = regexp.MustCompile(`^[a-z]{2,3}_[A-Z]{2}(\.UTF-8)?$`)
	tzRE        = regexp.MustCompile(`^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$`)
)

// InputError names the field and the fix.
type InputError struct{ Field, Msg string }

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

func bad(field, format string, a ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// WithDefaults fills the optional inputs.
func (c Config) WithDefaults() Config {
	if c.Public {
		c.Hostname = or(c.Hostname, ident.DefaultHostname)
		return c.withFormDefaults()
	}
	a := ident.Admin{User: c.Username, Hostname: c.Hostname, Keys: c.SSHAuthorizedKeys, PasswordHash: c.PasswordHash}.WithDefaults()
	c.Username, c.Hostname, c.SSHAuthorizedKeys, c.PasswordHash = a.User, a.Hostname, a.Keys, a.PasswordHash
	if c.RealName == "" {
		c.RealName = "UnisonOS administrator"
	}
	return c.withFormDefaults()
}

// withFormDefaults fills locale, keyboard, time zone and bundle file name.
func (c Config) withFormDefaults() Config {
	if c.Locale == "" {
		c.Locale = "en_US.UTF-8"
	}
	if c.KeyboardLayout == "" {
		c.KeyboardLayout = "us"
	}
	if c.Timezone == "" {
		c.Timezone = "Etc/UTC"
	}
	if c.BundleFile == "" {
		c.BundleFile = DefaultBundleFile
	}
	return c
}

// CheckInputs validates the typed inputs before anything is rendered or built.
func (c Config) CheckInputs() error {
	if c.Public {
		if len(c.SSHAuthorizedKeys) > 0 || c.PasswordHash != "" {
			return bad("admin", "a public image carries no operator credentials: leave out the keys and password (personalize-iso or nocloud-seed adds them)")
		}
		return c.CheckForm()
	}
	admin := ident.Admin{User: c.Username, Hostname: c.Hostname, Keys: c.SSHAuthorizedKeys, PasswordHash: c.PasswordHash}
	if err := admin.Check(); err != nil {
		var e *ident.Error
		if errors.As(err, &e) {
			return &InputError{Field: e.Field, Msg: e.Msg}
		}
		return err
	}
	if len(c.SSHAuthorizedKeys) == 0 && c.PasswordHash == "" {
		return bad("ssh-authorized-keys", "give at least one SSH public key (or, outside stable releases, a password hash): the installed system would have no way to log in")
	}
	if c.Stable && len(c.SSHAuthorizedKeys) == 0 {
		return bad("ssh-authorized-keys", "stable releases require at least one SSH key (ed25519 recommended); password login over SSH stays off")
	}
	return c.CheckForm()
}

// CheckForm validates packages, locale, keyboard and time zone.
func (c Config) CheckForm() error {
	for _, p := range c.ExtraPackages {
		if c.Offline && slices.Contains(DockerPackages, p) {
			return bad("packages", "%q comes from the medium in an offline build (with-offline): leave it out", p)
		}
		if alt, ok := notInUbuntu[p]; ok {
			return bad("packages", "%q is not in Ubuntu's archive: use %s", p, alt)
		}
		if !ident.Package(p) {
			return bad("packages", "%q is not a Debian package name as apt takes it literally (no -/+ operator suffix, =version, /release or :arch)", p)
		}
	}
	for _, a := range c.KernelArgs {
		if len(a) > 200 || !kernelArgRE.MatchString(a) {
			return bad("kernel-arguments", "%q is not one kernel argument such as quiet, iommu=pt or console=ttyS0,115200n8 (letters, digits and ._,:=/+@-; no spaces, quotes, $, # or ;)", a)
		}
	}
	if !localeRE.MatchString(c.Locale) {
		return bad("locale", "%q is not a locale like en_US.UTF-8", c.Locale)
	}
	if !regexp.MustCompile(`^[a-z]{2,8}$`).MatchString(c.KeyboardLayout) {
		return bad("keyboard", "%q is not a keyboard layout like us or de", c.KeyboardLayout)
	}
	if !tzRE.MatchString(c.Timezone) {
		return bad("timezone", "%q is not a time zone like Europe/Berlin", c.Timezone)
	}
	return nil
}

type view struct {
	Config
	Packages      []string
	AllowPassword bool
}

// Render fills the template (images/autoinstall/user-data.yaml.tmpl) and
// validates the result; it returns the NoCloud user-data.
func Render(tmpl string, c Config) (string, error) {
	c = c.WithDefaults()
	if err := c.CheckInputs(); err != nil {
		return "", err
	}
	pk := map[string]bool{}
	for _, p := range append(append([]string{}, BasePackages...), c.ExtraPackages...) {
		pk[p] = true
	}
	if c.Offline {
		for _, p := range DockerPackages {
			delete(pk, p)
		}
	}
	v := view{Config: c, AllowPassword: len(c.SSHAuthorizedKeys) == 0 && !c.Public}
	for p := range pk {
		v.Packages = append(v.Packages, p)
	}
	sort.Strings(v.Packages)
	t, err := template.New("user-data").Option("missingkey=error").Funcs(template.FuncMap{"q": quote, "join": strings.Join}).Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("autoinstall template: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("autoinstall template: %w", err)
	}
	out := b.String()
	if err := Validate(out, c.Stable); err != nil {
		return "", err
	}
	return out, nil
}

// quote renders s as a YAML double-quoted scalar.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			switch {
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
				fmt.Fprintf(&b, `\x%02x`, r)
			case r == 0xFEFF || (!unicode.IsPrint(r) && r != ' '):
				if r > 0xFFFF {
					fmt.Fprintf(&b, `\U%08x`, r)
				} else {
					fmt.Fprintf(&b, `\u%04x`, r)
				}
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// MetaData is the NoCloud meta-data.
func MetaData(instanceID, hostname string) string {
	return fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", instanceID, hostname)
}

// AutoinstallYAML is the document for the ISO root (autoinstall.yaml): the
// same configuration without the #cloud-config header.
func AutoinstallYAML(userData string) string {
	var keep []string
	for _, l := range strings.Split(userData, "\n") {
		if strings.HasPrefix(l, "#cloud-config") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
