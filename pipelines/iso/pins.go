package iso

import (
	"net/url"
	"regexp"

	"github.com/project-unisonOS/unison-platform/pipelines/yamlx"
)

// Pin is a download pinned by SHA-256.
type Pin struct {
	URL    string
	SHA256 string
}

// Pins are the pinned Ubuntu inputs of images/ubuntu.yaml.
type Pins map[string]Pin

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ParsePins reads images/ubuntu.yaml: name -> {url, sha256}.
func ParsePins(file string, data []byte) (Pins, error) {
	d, err := yamlx.Parse(file, data)
	if err != nil {
		return nil, err
	}
	top, err := d.Mapping(d.Root, "", nil)
	if err != nil {
		return nil, err
	}
	out := Pins{}
	for _, p := range top {
		fields, err := d.Mapping(p.Value, p.Key, []string{"url", "sha256"})
		if err != nil {
			return nil, err
		}
		var pin Pin
		for _, f := range fields {
			s, err := d.String(f.Value, p.Key+"."+f.Key)
			if err != nil {
				return nil, err
			}
			if f.Key == "url" {
				u, err := url.Parse(s)
				if err != nil || u.Scheme != "https" || u.Host == "" {
					return nil, d.Errorf(f.Value, p.Key+".url", "want an https:// URL")
				}
				pin.URL = s
			} else {
				if !hex64.MatchString(s) {
					return nil, d.Errorf(f.Value, p.Key+".sha256", "want 64 lowercase hex digits")
				}
				pin.SHA256 = s
			}
		}
		if pin.URL == "" || pin.SHA256 == "" {
			return nil, d.Errorf(p.Value, p.Key, "needs both url and sha256")
		}
		out[p.Key] = pin
	}
	return out, nil
}
