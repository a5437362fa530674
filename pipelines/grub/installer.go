package grub

import (
	"strings"
)

// The titles of the two installer entries Installer writes.
const (
	UnattendedTitle  = "Install UnisonOS (unattended: ERASES the largest disk)"
	InteractiveTitle = "Install UnisonOS (asks before touching disks)"
)

// Installer turns the first menu entry of an Ubuntu live-server GRUB config
// into two: the default one installs unattended (autoinstall and the
// datasource on its kernel line, a title that says it erases the disk),
// the second boots the same installer without `autoinstall`, so subiquity
// asks before touching any disk. Every other line is kept byte for byte
// (other entries, such as the HWE kernel, stay interactive too). It is
// idempotent.
func Installer(cfg, datasource string) (string, error) {
	if strings.Contains(cfg, UnattendedTitle) {
		return cfg, nil
	}
	lines := strings.Split(cfg, "\n")
	start, end := firstKernelEntry(lines)
	if start < 0 {
		if _, _, err := Patch(cfg, datasource); err != nil {
			return "", err // no kernel line at all
		}
		return "", ErrNoMenuEntry
	}
	entry := strings.Join(lines[start:end+1], "\n")
	unattended, _, err := Patch(entry, datasource)
	if err != nil {
		return "", err
	}
	out := append([]string{}, lines[:start]...)
	out = append(out, retitle(unattended, UnattendedTitle), retitle(entry, InteractiveTitle))
	out = append(out, lines[end+1:]...)
	return strings.Join(out, "\n"), nil
}

// ErrNoMenuEntry means the kernel lines are not inside a menuentry block.
var ErrNoMenuEntry = errorString("no `menuentry ... {` block with a `linux` kernel line: this does not look like an Ubuntu live-server grub.cfg")

type errorString string

func (e errorString) Error() string { return string(e) }

// firstKernelEntry finds the first top-level menuentry block holding a
// kernel line: the indexes of its `menuentry` line and closing brace.
func firstKernelEntry(lines []string) (int, int) {
	for i := 0; i < len(lines); i++ {
		if !isEntryStart(lines[i]) {
			continue
		}
		hasKernel := false
		for j := i + 1; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if kernelLine.MatchString(lines[j]) {
				hasKernel = true
			}
			if t == "}" {
				if hasKernel {
					return i, j
				}
				i = j
				break
			}
			if isEntryStart(lines[j]) {
				break // unbalanced: not a block we understand
			}
		}
	}
	return -1, -1
}

func isEntryStart(l string) bool {
	t := strings.TrimSpace(l)
	return strings.HasPrefix(t, "menuentry ") && strings.HasSuffix(t, "{")
}

// retitle replaces the title of the block's menuentry line, keeping its
// indentation and options (e.g. --class).
func retitle(block, title string) string {
	first, rest, _ := strings.Cut(block, "\n")
	indent := first[:len(first)-len(strings.TrimLeft(first, " \t"))]
	t := strings.TrimSpace(first)
	after := strings.TrimPrefix(t, "menuentry ")
	opts := ""
	if q := after[0]; q == '"' || q == '\'' {
		if k := strings.IndexByte(after[1:], q); k >= 0 {
			opts = after[k+2:]
		}
	} else if k := strings.IndexAny(after, " \t"); k >= 0 {
		opts = after[k:]
	}
	opts = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(opts), "{"))
	line := indent + `menuentry "` + title + `"`
	if opts != "" {
		line += " " + opts
	}
	return line + " {\n" + rest
}
