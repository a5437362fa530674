package wsl

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Microsoft's rules for modern WSL distributions (the checks of
// distributions/validate-modern.py in microsoft/WSL), applied to a built
// root filesystem tarball: files, owners, modes, allowed configuration keys,
// ELF binaries, /etc/passwd and the discouraged units.

// DistributionConfKeys are the keys /etc/wsl-distribution.conf may hold.
var DistributionConfKeys = []string{"oobe.command", "oobe.defaultuid", "shortcut.icon", "oobe.defaultname", "windowsterminal.profiletemplate"}

// WslConfKeys are the keys /etc/wsl.conf may hold in a distribution.
var WslConfKeys = []string{"boot.systemd"}

// discouragedUnits must not be enabled (unless masked).
var discouragedUnits = []string{"systemd-resolved.service", "systemd-networkd.service", "systemd-networkd-wait-online.service",
	"systemd-tmpfiles-setup.service", "systemd-tmpfiles-clean.service", "systemd-tmpfiles-setup-dev-early.service",
	"systemd-tmpfiles-setup-dev.service", "tmp.mount", "NetworkManager.service", "networking.service"}

type entry struct {
	hdr  *tar.Header
	body []byte // regular files only, first maxRead bytes
}

const maxRead = 1 << 20

// tree is a tarball read into memory (headers, and the start of each file).
type tree map[string]*entry

func readTree(r io.Reader) (tree, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a gzip tarball: %w", err)
	}
	tr := tar.NewReader(zr)
	t := tree{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		e := &entry{hdr: h}
		if h.Typeflag == tar.TypeReg {
			if e.body, err = io.ReadAll(io.LimitReader(tr, maxRead)); err != nil {
				return nil, err
			}
		}
		t["/"+strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = e
	}
}

// resolve follows symbolic links (absolute or relative, parents included).
func (t tree) resolve(p string) (string, *entry) {
	p = path.Clean(p)
	for depth := 0; depth < 16; depth++ {
		if e, ok := t[p]; ok {
			if e.hdr.Typeflag != tar.TypeSymlink {
				return p, e
			}
			target := e.hdr.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(p), target)
			}
			p = path.Clean(target)
			continue
		}
		// a parent may be a symlink (e.g. /bin -> usr/bin)
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		if dir == "/" || dir == p {
			return p, nil
		}
		rd, _ := t.resolve(dir)
		if rd == dir {
			return p, nil
		}
		p = path.Join(rd, base)
	}
	return p, nil
}

type checker struct {
	t        tree
	problems []string
}

func (c *checker) add(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

// file checks a file's modes, owner (uid and gid 0) and size; it returns
// it, or nil when missing.
func (c *checker) file(p string, modes []int64, maxSize int64) *entry {
	return c.fileOwned(p, modes, maxSize, true)
}

// fileOwned is file; with rootGroup false any group is accepted (e.g.
// /etc/shadow, root:shadow on Debian and Ubuntu).
func (c *checker) fileOwned(p string, modes []int64, maxSize int64, rootGroup bool) *entry {
	_, e := c.t.resolve(p)
	if e == nil {
		c.add("%s: missing", p)
		return nil
	}
	if !slices.Contains(modes, e.hdr.Mode&0o7777) {
		c.add("%s: mode %o, want one of %s", p, e.hdr.Mode&0o7777, octs(modes))
	}
	if e.hdr.Uid != 0 || (rootGroup && e.hdr.Gid != 0) {
		c.add("%s: owner %d:%d, want 0:0", p, e.hdr.Uid, e.hdr.Gid)
	}
	if maxSize > 0 && e.hdr.Size > maxSize {
		c.add("%s: %d bytes, at most %d", p, e.hdr.Size, maxSize)
	}
	return e
}

// elf checks an x86-64 ELF executable.
func (c *checker) elf(p string) {
	e := c.file(p, []int64{0o755, 0o775}, 0)
	if e == nil {
		return
	}
	b := e.body
	if len(b) < 20 || !bytes.HasPrefix(b, []byte("\x7fELF")) || b[4] != 2 || b[18] != 0x3e || b[19] != 0 {
		c.add("%s: not a 64-bit x86-64 ELF executable", p)
	}
}

// config parses an INI file into section.key (lowercase) -> value and
// reports keys outside allowed.
func (c *checker) config(p string, e *entry, allowed []string) map[string]string {
	keys := map[string]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(e.body))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = strings.TrimSpace(l[1 : len(l)-1])
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				c.add("%s: line %q is not key = value", p, l)
				continue
			}
			key := strings.ToLower(section + "." + strings.TrimSpace(k))
			keys[key] = strings.TrimSpace(v)
			if !slices.Contains(allowed, key) {
				c.add("%s: key %s is not allowed (allowed: %s)", p, key, strings.Join(allowed, ", "))
			}
		}
	}
	return keys
}

// CheckRootfs applies Microsoft's rules to a WSL root filesystem tarball
// (.wsl or the --import tar.gz) and lists every problem.
func CheckRootfs(r io.Reader) ([]string, error) {
	t, err := readTree(r)
	if err != nil {
		return nil, err
	}
	c := &checker{t: t}
	rw := []int64{0o644, 0o664}
	if e := c.file("/etc/wsl-distribution.conf", rw, 0); e != nil {
		keys := c.config("/etc/wsl-distribution.conf", e, DistributionConfKeys)
		c.distributionConf(keys)
	}
	if _, e := t.resolve("/etc/wsl.conf"); e != nil {
		c.file("/etc/wsl.conf", rw, 0)
		if keys := c.config("/etc/wsl.conf", e, WslConfKeys); keys["boot.systemd"] == "true" {
			c.elf("/sbin/init")
		}
	}
	if e := c.file("/etc/passwd", rw, 0); e != nil {
		c.passwd(e.body)
	}
	c.fileOwned("/etc/shadow", []int64{0o640, 0o600, 0}, 0, false)
	c.elf("/bin/bash")
	c.elf("/bin/sh")
	c.units()
	c.machineID()
	return c.problems, nil
}

// machineID reports a machine ID baked into the image: every install would share it.
func (c *checker) machineID() {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if _, e := c.t.resolve(p); e != nil && len(bytes.TrimSpace(e.body)) > 0 {
			c.add("%s: holds a machine ID: every install would share it (leave it empty: systemd makes one at first boot)", p)
		}
	}
}

func (c *checker) distributionConf(keys map[string]string) {
	if cmd := keys["oobe.command"]; cmd != "" {
		c.file(cmd, []int64{0o755, 0o775}, 0)
		if !strings.HasPrefix(cmd, "/usr/lib/wsl") && !strings.HasPrefix(cmd, "/usr/libexec/wsl") {
			c.add("oobe.command %s: not under /usr/lib/wsl or /usr/libexec/wsl", cmd)
		}
	}
	if uid := keys["oobe.defaultuid"]; uid != "1000" {
		c.add("oobe.defaultUid %q: want 1000", uid)
	}
	if icon := keys["shortcut.icon"]; icon == "" {
		c.add("shortcut.icon: none (a Windows shortcut icon, at most 1 MiB)")
	} else {
		c.file(icon, []int64{0o644, 0o664}, 1<<20)
		if !strings.HasPrefix(icon, "/usr/lib/wsl") && !strings.HasPrefix(icon, "/usr/share/wsl") {
			c.add("shortcut.icon %s: not under /usr/lib/wsl or /usr/share/wsl", icon)
		}
	}
	if tp := keys["windowsterminal.profiletemplate"]; tp != "" {
		c.file(tp, []int64{0o640, 0o660}, 1<<20)
		if !strings.HasPrefix(tp, "/usr/lib/wsl") {
			c.add("windowsTerminal.profileTemplate %s: not under /usr/lib/wsl", tp)
		}
	}
}

func (c *checker) passwd(body []byte) {
	uids := map[int]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		f := strings.Split(l, ":")
		uid, err := strconv.Atoi(f[min(2, len(f)-1)])
		if len(f) != 7 || err != nil {
			c.add("/etc/passwd: invalid entry %q", l)
			continue
		}
		if other, dup := uids[uid]; dup {
			c.add("/etc/passwd: uid %d used by %s and %s", uid, other, f[0])
		}
		uids[uid] = f[0]
	}
	if uids[0] != "root" {
		c.add("/etc/passwd: uid 0 is %q, want root", uids[0])
	}
	if u, ok := uids[1000]; ok {
		c.add("/etc/passwd: uid 1000 (%s) exists already: the out-of-box experience creates it", u)
	}
}

// units reports discouraged units enabled in a *.target.wants and not masked.
func (c *checker) units() {
	for name := range c.t {
		dir, unit := path.Split(name)
		if !strings.HasSuffix(strings.TrimSuffix(dir, "/"), ".target.wants") || !slices.Contains(discouragedUnits, unit) {
			continue
		}
		if rp, _ := c.t.resolve("/etc/systemd/system/" + unit); rp == "/dev/null" {
			continue
		}
		c.add("%s: discouraged unit enabled (mask it)", name)
	}
}

func octs(ms []int64) string {
	var s []string
	for _, m := range ms {
		s = append(s, fmt.Sprintf("%o", m))
	}
	return strings.Join(s, ", ")
}
