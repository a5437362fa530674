package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"dagger.io/dagger"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/project-unisonOS/unison-platform/pipelines/wsl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWslBundle(t *testing.T) {
	c, ctx := connect(t)
	dir := outDir(t)
	argsAt := func(commit, out string) []string {
		return []string{"build", "--version", "v1.2.3", "--flavor", "light", "--commit", commit,
			"--commit-time", "2026-11-20T10:00:00Z", "--platform-version", "0.6.0", "wsl", "export", "--path", out}
	}
	args := func(out string) []string { return argsAt("0123456", out) }
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	r := daggerCall(t, 30*time.Minute, args(a)...)
	require.NoError(t, r.Err, tail(r.Stderr, 60))
	// rebuilt (the apt install of the root filesystem included), not replayed from the cache
	rb := daggerCall(t, 30*time.Minute, append([]string{freshNonce()}, args(b)...)...)
	require.NoError(t, rb.Err, tail(rb.Stderr, 60))
	t.Logf("WSL: first build %.1fs, rebuilt with the cache defeated %.1fs", r.Took.Seconds(), rb.Took.Seconds())
	// the air-gapped lab installs from the live archive (no snapshot service): a first build
	// cached before the archive moved has other packages; then both are rebuilt, the same hour
	if fa, fb := filepath.Join(a, "unisonos-wsl-rootfs-v1.2.3.tar.gz"), filepath.Join(b, "unisonos-wsl-rootfs-v1.2.3.tar.gz"); fileSHA(t, fa) != fileSHA(t, fb) {
		if moved := packageChanges(t, fa, fb); moved != "" {
			t.Logf("the archive moved since the cached build (%s): rebuilding the first one", moved)
			require.NoError(t, os.RemoveAll(a))
			r = daggerCall(t, 30*time.Minute, append([]string{freshNonce()}, args(a)...)...)
			require.NoError(t, r.Err, tail(r.Stderr, 60))
		}
	}
	for _, f := range []string{"unisonos-wsl-rootfs-v1.2.3.tar.gz", "unisonos-v1.2.3.wsl", "unisonos-wsl-v1.2.3.tar.gz"} {
		pa := filepath.Join(a, f)
		assert.Equal(t, fileSHA(t, pa), fileSHA(t, filepath.Join(b, f)), "%s: same inputs, rebuilt: same bytes", f)
		sum, err := os.ReadFile(pa + ".sha256")
		require.NoError(t, err, f)
		assert.Equal(t, fileSHA(t, pa)+"  "+f+"\n", string(sum))
	}
	rootfs := filepath.Join(a, "unisonos-wsl-rootfs-v1.2.3.tar.gz")
	assert.Equal(t, fileSHA(t, rootfs), fileSHA(t, filepath.Join(a, "unisonos-v1.2.3.wsl")), "the .wsl is the same gzip tar")

	// another commit changes only the bundle: the base's gzip member is reused byte for byte and
	// only the bundle's member, the last, is new (what makes an incremental build cheap)
	cdir := filepath.Join(dir, "c")
	rc := daggerCall(t, 30*time.Minute, argsAt("89abcde", cdir)...)
	require.NoError(t, rc.Err, tail(rc.Stderr, 60))
	t.Logf("WSL: another commit on the cached base %.1fs", rc.Took.Seconds())
	ma, mc := gzipMembers(t, rootfs), gzipMembers(t, filepath.Join(cdir, "unisonos-wsl-rootfs-v1.2.3.tar.gz"))
	require.Len(t, ma, 2, "base member, bundle member")
	require.Len(t, mc, 2)
	assert.Equal(t, ma[0], mc[0], "same base member")
	assert.NotEqual(t, ma[1], mc[1], "the bundle member carries the commit")
	assert.Less(t, mc[1].size, mc[0].size/100, "the bundle member is the small one")

	entries, got := checkWSLRootfsListing(ctx, t, c, rootfs)
	checkWSLImports(ctx, t, c, a, rootfs, len(entries), got)

	// the bundle tarball
	bentries, _ := readTarGz(t, filepath.Join(a, "unisonos-wsl-v1.2.3.tar.gz"))
	names := map[string]string{}
	for _, e := range bentries {
		names[e.hdr.Name] = string(e.body)
	}
	assert.Contains(t, names["unisonos-wsl/metadata.json"], `"build_date": "2026-11-20T10:00:00Z"`)
	assert.Contains(t, names["unisonos-wsl/metadata.json"], `"flavor": "light"`)
	assert.Contains(t, names, "unisonos-wsl/install-wsl.sh")
	assert.Contains(t, names, "unisonos-wsl/README.md")
	assert.Contains(t, names, "unisonos-wsl/unison-platform-bundle.tar.gz")
}

// checkWSLRootfsListing reads the root filesystem's listing: owners,
// required files, forbidden files, the shipped apt sources, masked units,
// /etc/shadow; it returns the entries and what each holds.
func checkWSLRootfsListing(ctx context.Context, t *testing.T, c *dagger.Client, rootfs string) ([]tarEntry, map[string]tarEntryInfo) {
	entries, gh := readTarGz(t, rootfs)
	assert.True(t, gh.ModTime.IsZero() || gh.ModTime.Unix() == 0)
	commit := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	got := map[string]tarEntryInfo{}
	lastChild := map[string]string{}
	for _, e := range entries {
		n := strings.TrimPrefix(e.hdr.Name, "./")
		if n == "" {
			continue
		}
		got[strings.TrimSuffix(n, "/")] = tarEntryInfo{uid: e.hdr.Uid, gid: e.hdr.Gid, mode: e.hdr.Mode, link: e.hdr.Linkname, body: string(e.body)}
		assert.Less(t, e.hdr.Uid, 1000, "%s owned by a user account", n)
		assert.False(t, e.hdr.ModTime.After(commit), "%s mtime %s after the commit time", n, e.hdr.ModTime)
		assert.False(t, strings.HasPrefix(e.hdr.Name, "/"), "absolute path %s", e.hdr.Name)
		parent, base := path.Split(strings.TrimSuffix(n, "/"))
		assert.True(t, lastChild[parent] < base, "sorted: %s after %s in %s", base, lastChild[parent], parent)
		lastChild[parent] = base
	}
	for _, f := range []string{"etc/wsl.conf", "etc/wsl-distribution.conf", "usr/lib/wsl/oobe.sh", "opt/unison-platform/compose.yaml",
		"opt/unison-platform/installer/install-wsl.sh", "etc/os-release", "usr/share/wsl/unisonos.ico", "usr/lib/wsl/terminal-profile.json"} {
		e, ok := got[f]
		if assert.True(t, ok, "missing %s", f) {
			assert.Equal(t, 0, e.uid, f)
			assert.Equal(t, 0, e.gid, f)
		}
	}
	assert.Equal(t, int64(0o640), got["usr/lib/wsl/terminal-profile.json"].mode&0o777)
	// no platform.env (neither secrets nor placeholders) in the image: install-wsl.sh creates it on the machine
	for _, f := range []string{"etc/resolv.conf", ".dockerenv", "var/log/dpkg.log", "etc/unison/platform.env"} {
		_, ok := got[f]
		assert.False(t, ok, "%s must not be in the rootfs", f)
	}
	// installed from the pinned archive, shipped with the OS image's own sources, byte for byte
	_, ok := got["etc/apt/sources.list.d/unison-pinned.sources"]
	assert.False(t, ok, "the build's pinned sources do not ship")
	imageSources, err := c.Container().From(osImage(t)).WithExec([]string{"sh", "-c",
		"cd / && find etc/apt/sources.list etc/apt/sources.list.d -type f 2>/dev/null | sort | while read -r f; do echo \"== $f\"; cat \"$f\"; done"}).Stdout(ctx)
	require.NoError(t, err)
	var shipped strings.Builder
	for _, e := range entries {
		n := strings.TrimPrefix(e.hdr.Name, "./")
		if e.hdr.Typeflag == tar.TypeReg && (n == "etc/apt/sources.list" || strings.HasPrefix(n, "etc/apt/sources.list.d/")) {
			fmt.Fprintf(&shipped, "== %s\n%s", n, e.body)
		}
	}
	assert.NotEmpty(t, imageSources)
	assert.Equal(t, imageSources, shipped.String(), "the OS image's sources ship as they were")
	for _, u := range []string{"systemd-resolved.service", "systemd-networkd.service", "NetworkManager.service", "tmp.mount"} {
		assert.Equal(t, "/dev/null", got["etc/systemd/system/"+u].link, "%s masked", u)
	}
	for _, line := range strings.Split(got["etc/shadow"].body, "\n") {
		if f := strings.Split(line, ":"); len(f) > 1 {
			assert.Contains(t, []string{"*", "!", "!*"}, f[1], "no password hash and no empty password for %s", f[0])
			// the last password change is the commit's day, not the build's (same bytes on another day)
			assert.Equal(t, fmt.Sprint(commit.Unix()/86400), f[2], "/etc/shadow: %s's last change", f[0])
		}
	}
	assert.Equal(t, "# UnisonOS on WSL\n[boot]\nsystemd=true\n", got["etc/wsl.conf"].body)
	return entries, got
}

// checkWSLImports: Microsoft's rules on the .wsl a user installs, bsdtar
// (what WSL 2 imports with) reading it, and the out-of-box script run in it.
func checkWSLImports(ctx context.Context, t *testing.T, c *dagger.Client, a, rootfs string, entries int, got map[string]tarEntryInfo) {
	// Microsoft's rules for modern distributions, on the .wsl a user installs
	wslFile, err := os.Open(filepath.Join(a, "unisonos-v1.2.3.wsl"))
	require.NoError(t, err)
	defer wslFile.Close()
	problems, err := wsl.CheckRootfs(wslFile)
	require.NoError(t, err)
	assert.Empty(t, problems, "the .wsl breaks Microsoft's distribution rules")

	// bsdtar (libarchive: what WSL 2 imports with) reads both members as one archive, as GNU tar does
	wslIn := c.Host().File(filepath.Join(a, "unisonos-v1.2.3.wsl"))
	bsd, err := c.Container().From(baseImage()).
		WithExec([]string{"sh", "-c", "apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends libarchive-tools >/dev/null"}).
		WithMountedFile("/in/x.wsl", wslIn).
		WithExec([]string{"sh", "-c", "bsdtar -tzf /in/x.wsl | wc -l && bsdtar -xzOf /in/x.wsl ./opt/unison-platform/installer/install-wsl.sh | sha256sum"}).Stdout(ctx)
	require.NoError(t, err)
	installer := sha256.Sum256([]byte(got["opt/unison-platform/installer/install-wsl.sh"].body))
	assert.Equal(t, fmt.Sprintf("%d\n%x  -\n", entries, installer), bsd, "bsdtar: every entry, and the bundle's files")

	// run it: the out-of-box script creates uid 1000, idempotently; systemd and the bundle are in place
	rootDir := c.Container().From(baseImage()).
		WithMountedFile("/in/rootfs.tar.gz", c.Host().File(rootfs)).
		WithExec([]string{"sh", "-c", "mkdir /r && tar -xzpf /in/rootfs.tar.gz -C /r --numeric-owner"}).
		Directory("/r")
	out, err := c.Container().WithRootfs(rootDir).
		WithEnvVariable("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").
		WithExec([]string{"/bin/sh", "-c", `set -e
/usr/lib/wsl/oobe.sh </dev/null
/usr/lib/wsl/oobe.sh </dev/null
getent passwd 1000
id -nG unison
readlink -f /sbin/init
grep -A1 '^\[boot\]' /etc/wsl.conf
test -f /opt/unison-platform/models.json && echo bundle-ok
su unison -c 'sudo -n true' && echo sudo-ok`}).Stdout(ctx)
	require.NoError(t, err)
	assert.Contains(t, out, "created unison (uid 1000)")
	assert.Contains(t, out, "user unison (uid 1000) already exists")
	assert.Contains(t, out, "unison:x:1000:1000:")
	assert.Contains(t, out, "docker")
	assert.Contains(t, out, "/lib/systemd/systemd")
	assert.Contains(t, out, "systemd=true")
	assert.Contains(t, out, "bundle-ok")
	assert.Contains(t, out, "sudo-ok")
}

// gzipMember is one member of a gzip file: its compressed bytes' digest and size.
type gzipMember struct {
	sha  string
	size int64
}

// gzipMembers splits a gzip file into its members (RFC 1952: a series of
// members), reading each exactly to its end.
func gzipMembers(t *testing.T, p string) []gzipMember {
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	cr := &countingReader{r: bytes.NewReader(raw)}
	zr, err := gzip.NewReader(cr)
	require.NoError(t, err)
	var out []gzipMember
	var start int64
	for {
		zr.Multistream(false)
		_, err := io.Copy(io.Discard, zr)
		require.NoError(t, err)
		sum := sha256.Sum256(raw[start:cr.n])
		out = append(out, gzipMember{hex.EncodeToString(sum[:]), cr.n - start})
		start = cr.n
		if err := zr.Reset(cr); err == io.EOF {
			return out
		} else {
			require.NoError(t, err)
		}
	}
}

// countingReader counts what gzip consumed; as an io.ByteReader it is never
// read ahead of the member's end.
type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

type tarEntryInfo struct {
	uid, gid int
	mode     int64
	link     string
	body     string
}

// The apt pins decide where the packages that ship come from: a malformed
// file is refused before any container runs, an archive that cannot be read
// fails the install naming the file, not with "no installation candidate".
func TestWslAptPins(t *testing.T) {
	dir := outDir(t)
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: 1\nsnapshot: yesterday\ndistributions: {}\n"), 0o644))
	down := filepath.Join(dir, "down.yaml")
	require.NoError(t, os.WriteFile(down, []byte(`version: 1
distributions:
  debian:
    signed-by: /usr/share/keyrings/debian-archive-keyring.gpg
    sources:
      - uri: http://127.0.0.1:9/debian
        suites: ["{codename}"]
        components: [main]
`), 0o644))
	call := func(pins string) callResult {
		return daggerCall(t, 10*time.Minute, "--apt-pins="+pins, freshNonce(), "wsl-bundle", "--version", "v0.6.0",
			"--commit", "0123456", "--commit-time", "2026-11-20T10:00:00Z", "export", "--path", filepath.Join(dir, "out"))
	}
	r := call(bad)
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, `apt-pins:2: snapshot: want a UTC date and time like 20261120T000000Z, got "yesterday"`)
	assert.NotContains(t, r.Stderr, "withExec", "refused before any container ran")
	// a snapshot over http: apt reads it with Valid-Until unchecked, so an older signed index could be replayed
	plain := filepath.Join(dir, "plain.yaml")
	require.NoError(t, os.WriteFile(plain, []byte("version: 1\nsnapshot: 20261120T000000Z\ndistributions:\n  debian:\n    signed-by: /usr/share/keyrings/debian-archive-keyring.gpg\n    sources:\n      - {uri: \"http://snapshot.debian.org/archive/debian/{snapshot}\", suites: [\"{codename}\"], components: [main]}\n"), 0o644))
	r = call(plain)
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "apt-pins:7: distributions.debian.sources[0].uri: uses {snapshot} over http")
	assert.NotContains(t, r.Stderr, "withExec", "refused before any container ran")
	r = call(down)
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "apt: pinned archive http://127.0.0.1:9/debian")
	assert.Contains(t, r.Stderr, "apt: the pinned archive cannot be read (above): check the URIs and snapshot of apt.yaml (--apt-pins")
	assert.NoDirExists(t, filepath.Join(dir, "out"), "nothing exported")
}

// packageChanges names the packages whose versions differ between two root
// filesystems (their dpkg status), "" when they install the same versions.
func packageChanges(t *testing.T, a, b string) string {
	t.Helper()
	versions := func(p string) map[string]string {
		entries, _ := readTarGz(t, p)
		v := map[string]string{}
		for _, e := range entries {
			if strings.TrimPrefix(e.hdr.Name, "./") != "var/lib/dpkg/status" {
				continue
			}
			for _, stanza := range strings.Split(string(e.body), "\n\n") {
				var pkg, ver string
				for _, l := range strings.Split(stanza, "\n") {
					if k, val, ok := strings.Cut(l, ": "); ok && k == "Package" {
						pkg = val
					} else if ok && k == "Version" {
						ver = val
					}
				}
				if pkg != "" {
					v[pkg] = ver
				}
			}
		}
		require.NotEmpty(t, v, "%s: no var/lib/dpkg/status", p)
		return v
	}
	va, vb := versions(a), versions(b)
	var changed []string
	for pkg, ver := range va {
		if vb[pkg] != ver {
			changed = append(changed, pkg+" "+ver+" -> "+vb[pkg])
		}
	}
	for pkg, ver := range vb {
		if _, ok := va[pkg]; !ok {
			changed = append(changed, pkg+" new "+ver)
		}
	}
	sort.Strings(changed)
	return strings.Join(changed, ", ")
}
