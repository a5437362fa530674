// Package pins reads, checks and updates images/ubuntu.yaml: the Ubuntu
// downloads a build starts from, each pinned by SHA-256 and reachable at a
// list of URLs tried in order (Ubuntu moves superseded point releases and
// prunes cloud-image serials, so one URL rots). The SHA-256 decides what is
// accepted, so any scheme will do.
package pins

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"gopkg.in/yaml.v3"

	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
)

// Pin is one pinned download.
type Pin struct {
	Name   string
	URLs   []string
	SHA256 string
	// SignedBy is the armored public key file (a path under images/) whose
	// signature (SHA256SUMS.gpg) every SHA256SUMS read for this pin must carry.
	SignedBy string
	// Keys are SignedBy's keys, read by the caller (ReadKeys): Check and
	// Update trust no SHA256SUMS without a good signature by one of them.
	Keys openpgp.EntityList
	// Update says where newer releases are announced (nil: pinned for good).
	Update *Rule
}

// Rule finds the newest release of a pin.
type Rule struct {
	// Index is a SHA256SUMS file listing the newest release.
	Index string
	// File matches the file name in Index (whole name, a regexp); a
	// (?P<version>...) group orders candidates and fills {version}.
	File *regexp.Regexp
	// Serial (optional) is a file with a serial=... line that gives {version}
	// when the file name has none (cloud images).
	Serial string
	// URLs are the new pin's URLs: {file} and {version} are filled in.
	URLs []string
}

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Parse reads images/ubuntu.yaml: name -> {urls, sha256, update}.
func Parse(file string, data []byte) ([]Pin, error) {
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	top, err := d.Mapping(d.Root, "", nil)
	if err != nil {
		return nil, err
	}
	var out []Pin
	for _, p := range top {
		pin, err := parsePin(d, p.Key, p.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, pin)
	}
	return out, nil
}

func parsePin(d *yamlx.Doc, name string, n *yaml.Node) (Pin, error) {
	fields, err := d.Mapping(n, name, []string{"urls", "sha256", "signed_by", "update"})
	if err != nil {
		return Pin{}, err
	}
	pin := Pin{Name: name}
	for _, f := range fields {
		field := name + "." + f.Key
		switch f.Key {
		case "urls":
			if pin.URLs, err = d.Strings(f.Value, field); err != nil {
				return Pin{}, err
			}
			for i, u := range pin.URLs {
				if err := checkURL(u); err != nil {
					return Pin{}, d.Errorf(f.Value.Content[i], fmt.Sprintf("%s[%d]", field, i), "%v", err)
				}
			}
		case "sha256":
			if pin.SHA256, err = d.String(f.Value, field); err != nil {
				return Pin{}, err
			}
			if !hex64.MatchString(pin.SHA256) {
				return Pin{}, d.Errorf(f.Value, field, "want 64 lowercase hex digits")
			}
		case "signed_by":
			if pin.SignedBy, err = d.String(f.Value, field); err != nil {
				return Pin{}, err
			}
			if err := checkKeyPath(pin.SignedBy); err != nil {
				return Pin{}, d.Errorf(f.Value, field, "%v", err)
			}
		case "update":
			if pin.Update, err = parseRule(d, field, f.Value); err != nil {
				return Pin{}, err
			}
		}
	}
	if len(pin.URLs) == 0 || pin.SHA256 == "" || pin.SignedBy == "" {
		return Pin{}, d.Errorf(n, name, "needs urls (at least one), sha256 and signed_by (the public key file, under images/, that signs the SHA256SUMS beside each URL)")
	}
	return pin, nil
}

func parseRule(d *yamlx.Doc, field string, n *yaml.Node) (*Rule, error) {
	fields, err := d.Mapping(n, field, []string{"index", "file", "serial", "urls"})
	if err != nil {
		return nil, err
	}
	r := &Rule{}
	for _, f := range fields {
		var s string
		if f.Key == "urls" {
			if r.URLs, err = d.Strings(f.Value, field+".urls"); err != nil {
				return nil, err
			}
			continue
		}
		if s, err = d.String(f.Value, field+"."+f.Key); err != nil {
			return nil, err
		}
		switch f.Key {
		case "index":
			r.Index = s
		case "serial":
			r.Serial = s
		case "file":
			if r.File, err = regexp.Compile("^(?:" + s + ")$"); err != nil {
				return nil, d.Errorf(f.Value, field+".file", "not a regexp: %v", err)
			}
		}
	}
	if r.Index == "" || r.File == nil || len(r.URLs) == 0 {
		return nil, d.Errorf(n, field, "needs index (a SHA256SUMS URL), file (a regexp) and urls (templates with {file} and {version})")
	}
	if r.File.SubexpIndex("version") < 0 && r.Serial == "" {
		return nil, d.Errorf(n, field, "file needs a (?P<version>...) group, or give serial (a file with serial=...)")
	}
	for _, u := range append([]string{r.Index, r.Serial}, r.URLs...) {
		if u == "" {
			continue
		}
		if err := checkURL(strings.NewReplacer("{file}", "f", "{version}", "1").Replace(u)); err != nil {
			return nil, d.Errorf(n, field, "%q: %v", u, err)
		}
	}
	return r, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%q: want an http(s):// URL (the SHA-256 decides, so http will do)", s)
	}
	return nil
}

// SumsURL is the SHA256SUMS next to a download (Ubuntu publishes one per directory).
func SumsURL(download string) string {
	u, err := url.Parse(download)
	if err != nil {
		return ""
	}
	u.Path = path.Join(path.Dir(u.Path), "SHA256SUMS")
	return u.String()
}

// FileName is the last path element of a URL.
func FileName(download string) string {
	u, err := url.Parse(download)
	if err != nil {
		return ""
	}
	return path.Base(u.Path)
}

// ParseSums reads a SHA256SUMS file: file name -> digest ("*name" binary marks dropped).
func ParseSums(text string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && hex64.MatchString(strings.ToLower(f[0])) {
			out[strings.TrimPrefix(f[1], "*")] = strings.ToLower(f[0])
		}
	}
	return out
}
