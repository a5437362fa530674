package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"html"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Digest reads a file's bytes to the end and returns it as an Asset (size,
// SHA-256) and, when parts is its split plan (SplitPlan), each part too, in
// the same pass: a file served from another machine is read once.
func Digest(name string, r io.Reader, parts []Part) (Asset, []Asset, error) {
	whole := sha256.New()
	var n int64
	var out []Asset
	for _, p := range parts {
		if p.Offset != n {
			return Asset{}, nil, fmt.Errorf("%s: part %s starts at %d, not %d", name, p.Name, p.Offset, n)
		}
		h := sha256.New()
		got, err := io.CopyN(io.MultiWriter(whole, h), r, p.Size)
		n += got
		if err != nil {
			return Asset{}, nil, fmt.Errorf("%s: %d bytes, the split plan needs %d: %w", name, n, p.Offset+p.Size, err)
		}
		out = append(out, Asset{Name: p.Name, Size: p.Size, SHA256: sum(h)})
	}
	rest, err := io.Copy(whole, r)
	n += rest
	if err != nil {
		return Asset{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(parts) > 0 && rest != 0 {
		return Asset{}, nil, fmt.Errorf("%s: %d bytes more than its split plan", name, rest)
	}
	return Asset{Name: name, Size: n, SHA256: sum(whole)}, out, nil
}

func sum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

var hrefRE = regexp.MustCompile(`(?i)<a\s[^>]*href="([^"]*)"`)

// IndexNames are the files a directory listing over HTTP links to (the
// index page of python3 -m http.server, nginx or Go's http.FileServer):
// the links of the page, unescaped, without sub-folders, parents, queries
// or anything that is not a plain file name; sorted.
func IndexNames(page string) ([]string, error) {
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		ref, err := url.PathUnescape(html.UnescapeString(m[1]))
		if err != nil {
			return nil, fmt.Errorf("listing: link %q: %w", m[1], err)
		}
		ref = strings.TrimPrefix(ref, "./")
		if ref == "" || strings.ContainsAny(ref, "/?#:") || strings.HasPrefix(ref, ".") {
			continue
		}
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	slices.Sort(out)
	return out, nil
}
