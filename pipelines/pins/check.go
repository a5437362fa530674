package pins

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Fetcher reads the web: Get returns a body (an error for any status but
// 200), Size the Content-Length of a HEAD (an error for any status but 200).
type Fetcher interface {
	Get(ctx context.Context, url string) (string, error)
	Size(ctx context.Context, url string) (int64, error)
}

// Check tries every URL of a pin: it must answer, and the SHA256SUMS next to
// it must list the file with the pinned digest. It returns one report line a
// URL; the error says what is wrong when no URL is good or a published
// checksum disagrees with the pin (the pin, or the download, is wrong).
func Check(ctx context.Context, f Fetcher, p Pin) ([]string, error) {
	var lines, problems []string
	good := 0
	for _, u := range p.URLs {
		size, err := f.Size(ctx, u)
		if err != nil {
			lines = append(lines, fmt.Sprintf("FAIL %s: %v", u, err))
			continue
		}
		sums, err := f.Get(ctx, SumsURL(u))
		if err != nil {
			lines = append(lines, fmt.Sprintf("FAIL %s: %d bytes, but no SHA256SUMS beside it: %v", u, size, err))
			continue
		}
		if err := signed(ctx, f, p, SumsURL(u), sums); err != nil {
			lines = append(lines, fmt.Sprintf("FAIL %s: %v", u, err))
			problems = append(problems, fmt.Sprintf("%s: %v", p.Name, err))
			continue
		}
		got, ok := ParseSums(sums)[FileName(u)]
		switch {
		case !ok:
			lines = append(lines, fmt.Sprintf("FAIL %s: %s does not list %s", u, SumsURL(u), FileName(u)))
		case got != p.SHA256:
			lines = append(lines, fmt.Sprintf("FAIL %s: published SHA-256 %s, pinned %s", u, got, p.SHA256))
			problems = append(problems, fmt.Sprintf("%s: %s publishes SHA-256 %s for %s, the pin says %s", p.Name, SumsURL(u), got, FileName(u), p.SHA256))
		default:
			lines = append(lines, fmt.Sprintf("ok   %s: %d bytes, SHA-256 matches %s", u, size, SumsURL(u)))
			good++
		}
	}
	if len(problems) > 0 {
		return lines, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if good == 0 {
		return lines, fmt.Errorf("%s: none of its %d URLs serves the pinned file: run `dagger call pins update` (or add a mirror to images/ubuntu.yaml)", p.Name, len(p.URLs))
	}
	return lines, nil
}

// signed checks the detached signature published next to a SHA256SUMS
// (url) against the pin's keys: nothing it lists is trusted without it.
func signed(ctx context.Context, f Fetcher, p Pin, url, sums string) error {
	sig, err := f.Get(ctx, SigURL(url))
	if err != nil {
		return fmt.Errorf("%s is not signed (no %s: %v)", url, SigURL(url), err)
	}
	if _, err := VerifySums(p.Keys, sums, sig); err != nil {
		return fmt.Errorf("%s: its signature %s does not verify with %s: %v (a tampered or replaced file, or the wrong signed_by key)", url, SigURL(url), p.SignedBy, err)
	}
	return nil
}

var serialRE = regexp.MustCompile(`(?m)^serial=([0-9A-Za-z.]+)\s*$`)

// Update finds the newest release a pin's rule announces and returns the
// pin rewritten to it (URLs from the templates, SHA-256 from the index);
// changed is false when the pin is already the newest.
func Update(ctx context.Context, f Fetcher, p Pin) (Pin, bool, error) {
	r := p.Update
	if r == nil {
		return p, false, nil
	}
	text, err := f.Get(ctx, r.Index)
	if err != nil {
		return p, false, fmt.Errorf("%s.update.index: %w", p.Name, err)
	}
	if err := signed(ctx, f, p, r.Index, text); err != nil {
		return p, false, fmt.Errorf("%s.update.index: %w", p.Name, err)
	}
	file, ver, sum := "", "", ""
	for name, digest := range ParseSums(text) {
		m := r.File.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		v := ""
		if i := r.File.SubexpIndex("version"); i >= 0 {
			v = m[i]
		}
		if file == "" || newer(v, ver) || (v == ver && name > file) {
			file, ver, sum = name, v, digest
		}
	}
	if file == "" {
		return p, false, fmt.Errorf("%s.update: %s lists no file matching %s", p.Name, r.Index, r.File)
	}
	if r.Serial != "" {
		info, err := f.Get(ctx, r.Serial)
		if err != nil {
			return p, false, fmt.Errorf("%s.update.serial: %w", p.Name, err)
		}
		m := serialRE.FindStringSubmatch(info)
		if m == nil {
			return p, false, fmt.Errorf("%s.update.serial: %s has no serial=... line", p.Name, r.Serial)
		}
		ver = m[1]
	}
	out := p
	out.SHA256, out.URLs = sum, nil
	for _, t := range r.URLs {
		out.URLs = append(out.URLs, strings.NewReplacer("{file}", file, "{version}", ver).Replace(t))
	}
	changed := out.SHA256 != p.SHA256 || strings.Join(out.URLs, " ") != strings.Join(p.URLs, " ")
	return out, changed, nil
}

// newer compares dotted numeric versions (24.04.4 > 24.04.10 is false).
func newer(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x > y
		}
	}
	return false
}
