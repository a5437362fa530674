package ident

import (
	"fmt"
	"regexp"
	"strings"
)

// The defaults of the admin identity, written once.
const (
	DefaultUser     = "unison"
	DefaultHostname = "unisonos"
)

// Admin is the administrator identity an image is built with: one value,
// validated by Check for the ISO, the VM disk and the WSL distribution.
type Admin struct {
	User     string
	Hostname string
	// Keys are OpenSSH public key lines.
	Keys []string
	// PasswordHash is a crypt(3) hash ($6$ or $y$), never a plain password.
	PasswordHash string
}

// Error names the argument and the fix.
type Error struct{ Field, Msg string }

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func bad(field, format string, a ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, a...)}
}

var cryptRE = regexp.MustCompile(`^\$(6|y)\$[^$\s]+\$[./A-Za-z0-9$]+$`)

// CryptHash reports whether s has the shape of a crypt(3) hash.
func CryptHash(s string) bool { return cryptRE.MatchString(s) }

// placeholderMarkers in a password hash mean nobody replaced the example.
var placeholderMarkers = []string{"changeme", "change_me", "placeholder", "example", "xxxx", "todo"}

// WithDefaults fills the user and host name, trims the keys and drops a
// file's final newline from the hash: nothing else of the hash is changed, so
// the value checked (Check, the weak-password check) is the value rendered.
func (a Admin) WithDefaults() Admin {
	if a.User == "" {
		a.User = DefaultUser
	}
	if a.Hostname == "" {
		a.Hostname = DefaultHostname
	}
	keys := make([]string, 0, len(a.Keys))
	for _, k := range a.Keys {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	a.Keys = keys
	a.PasswordHash = strings.TrimSuffix(strings.TrimSuffix(a.PasswordHash, "\n"), "\r")
	return a
}

// Check validates every field that is set (after WithDefaults). Whether keys
// are required is the artifact's rule: see RequireKeys.
func (a Admin) Check() error {
	if !Hostname(a.Hostname) {
		return bad("hostname", "%q is not a valid host name (lowercase letters, digits, '-', at most 63)", a.Hostname)
	}
	if Reserved(a.User) {
		return bad("admin-user", "%q is a system account or reserved name: choose a personal admin name (e.g. unison)", a.User)
	}
	if !User(a.User) {
		return bad("admin-user", "%q is not a valid user name (lowercase letters, digits, '_', '-', at most 32)", a.User)
	}
	for i, k := range a.Keys {
		if !SSHKey(k) {
			return bad("ssh-authorized-keys", "key %d is not an OpenSSH public key line (ssh-ed25519 AAAA... comment); ed25519 is recommended", i+1)
		}
	}
	if a.PasswordHash == "" {
		return nil
	}
	if strings.TrimSpace(a.PasswordHash) != a.PasswordHash || strings.ContainsAny(a.PasswordHash, "\n\r\t ") {
		return bad("password-hash", "white space or a second line around the hash: give the crypt(3) hash alone, on one line (a file may end in one newline)")
	}
	if !cryptRE.MatchString(a.PasswordHash) {
		return bad("password-hash", "want a crypt(3) hash ($6$ sha512crypt or $y$ yescrypt, e.g. from `mkpasswd -m yescrypt`), never a plain password or a weaker method ($1$, $5$)")
	}
	low := strings.ToLower(a.PasswordHash)
	for _, m := range placeholderMarkers {
		if strings.Contains(low, m) {
			return bad("password-hash", "looks like a placeholder (%q): generate a real one with `mkpasswd -m sha-512`", m)
		}
	}
	if salt := strings.Split(a.PasswordHash, "$")[2]; len(salt) < 8 && !strings.HasPrefix(a.PasswordHash, "$y$") {
		return bad("password-hash", "salt %q is too short (hand-made example hash?): generate one with `mkpasswd -m sha-512`", salt)
	}
	return nil
}

// RequireKeys fails when no SSH key is set; why says what would break.
func (a Admin) RequireKeys(why string) error {
	if len(a.Keys) == 0 {
		return bad("ssh-authorized-keys", "give at least one SSH public key (ed25519 recommended; --ssh-authorized-keys or --ssh-authorized-keys-file): %s", why)
	}
	return nil
}

// ParseKeys reads an authorized_keys-style file: one key a line, blank lines
// and # comments skipped.
func ParseKeys(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// WeakPasswords are checked against a given hash (re-hashed with its own
// salt, see scripts/weak-hash.sh): documentation examples and the
// passwords people type first.
var WeakPasswords = []string{"ubuntu", "password", "changeme", "change_me", "unison", "unisonos", "admin",
	"root", "123456", "12345678", "qwerty", "letmein", "welcome", "secret", "passw0rd", "Password1", "debian", "toor"}

// WeakHashError is the refusal of a hash that matches a weak password.
func WeakHashError() error {
	return bad("password-hash", "is the hash of a well-known weak password (e.g. the example in Ubuntu's autoinstall documentation): generate one from a strong password with `mkpasswd -m yescrypt`")
}
