// Package grub patches the GRUB configs of an Ubuntu live-server ISO so the
// installer starts unattended from the NoCloud payload on the CD: every
// `linux` line gets `autoinstall` and a quoted "ds=nocloud;s=/cdrom/nocloud/"
// before the `---` separator. The datasource must be quoted: GRUB splits an
// unquoted `;` into two commands and the kernel never sees the datasource.
package grub

import (
	"errors"
	"regexp"
	"strings"
)

// DefaultDatasource is the NoCloud datasource on the install medium.
const DefaultDatasource = "ds=nocloud;s=/cdrom/nocloud/"

// ErrNoKernelLine means the config has no `linux` line to patch.
var ErrNoKernelLine = errors.New("no `linux` kernel line found: this does not look like an Ubuntu live-server grub.cfg")

var kernelLine = regexp.MustCompile(`^(\s*linux(?:efi)?)(\s+)(\S.*?)?(\r?)$`)

// Patch returns cfg with the autoinstall arguments on every kernel line, and
// how many lines it changed. It is idempotent: lines that already carry
// `autoinstall` are left alone. Every other line is untouched byte for byte.
func Patch(cfg, datasource string) (string, int, error) {
	if datasource == "" {
		datasource = DefaultDatasource
	}
	args := `autoinstall "` + datasource + `"`
	lines := strings.Split(cfg, "\n")
	found, changed := 0, 0
	for i, l := range lines {
		m := kernelLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		found++
		rest, cr := m[3], m[4]
		if hasToken(rest, "autoinstall") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue // `linux` without a kernel path: nothing sensible to patch
		}
		if idx := tokenIndex(rest, "---"); idx >= 0 {
			before := strings.TrimRight(rest[:idx], " \t")
			rest = before + " " + args + " " + rest[idx:]
		} else {
			rest = strings.TrimRight(rest, " \t") + " " + args
		}
		lines[i] = m[1] + m[2] + rest + cr
		changed++
	}
	if found == 0 {
		return "", 0, ErrNoKernelLine
	}
	return strings.Join(lines, "\n"), changed, nil
}

// hasToken reports whether s has tok as a whitespace-separated word.
func hasToken(s, tok string) bool {
	for _, f := range strings.Fields(s) {
		if f == tok || strings.HasPrefix(f, tok+"=") {
			return true
		}
	}
	return false
}

// tokenIndex is the byte index of the first whitespace-separated tok in s.
func tokenIndex(s, tok string) int {
	for i := 0; i+len(tok) <= len(s); i++ {
		if s[i:i+len(tok)] != tok {
			continue
		}
		startOK := i == 0 || s[i-1] == ' ' || s[i-1] == '\t'
		end := i + len(tok)
		endOK := end == len(s) || s[end] == ' ' || s[end] == '\t'
		if startOK && endOK {
			return i
		}
	}
	return -1
}
