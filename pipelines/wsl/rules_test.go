package wsl

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// elf64 is the start of an x86-64 ELF executable header.
var elf64 = append([]byte("\x7fELF\x02\x01\x01\x00"), append(make([]byte, 10), 0x3e, 0x00)...)

type file struct {
	name, link string
	mode       int64
	uid, gid   int
	body       []byte
}

func tarball(t *testing.T, files []file) *bytes.Buffer {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		h := &tar.Header{Name: "./" + f.name, Mode: f.mode, Uid: f.uid, Gid: f.gid, Size: int64(len(f.body)), Typeflag: tar.TypeReg}
		if f.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		}
		require.NoError(t, tw.WriteHeader(h))
		_, err := tw.Write(f.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	return &b
}

// good is a minimal root filesystem that follows the rules, built from our own config files.
func good() []file {
	c := Config{DefaultUser: "unison", Version: "v1"}
	return []file{
		{name: "etc/wsl-distribution.conf", mode: 0o644, body: []byte(c.DistributionConf())},
		{name: "etc/wsl.conf", mode: 0o644, body: []byte(c.WslConf())},
		{name: "usr/lib/wsl/oobe.sh", mode: 0o755, body: []byte(OOBEScript)},
		{name: "usr/share/wsl/unisonos.ico", mode: 0o644, body: Icon()},
		{name: "usr/lib/wsl/terminal-profile.json", mode: 0o640, body: []byte(c.TerminalProfile())},
		{name: "etc/passwd", mode: 0o644, body: []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n")},
		{name: "etc/shadow", mode: 0o640, gid: 42, body: []byte("root:!*:1::::::\n")},
		{name: "bin", link: "usr/bin"},
		{name: "usr/bin/bash", mode: 0o755, body: elf64},
		{name: "usr/bin/dash", mode: 0o755, body: elf64},
		{name: "usr/bin/sh", link: "dash"},
		{name: "sbin", link: "usr/sbin"},
		{name: "usr/sbin/init", link: "../lib/systemd/systemd"},
		{name: "usr/lib/systemd/systemd", mode: 0o755, body: elf64},
		{name: "etc/systemd/system/systemd-resolved.service", link: "/dev/null"},
		{name: "etc/systemd/system/multi-user.target.wants/systemd-resolved.service", link: "/usr/lib/systemd/system/systemd-resolved.service"},
		{name: "etc/machine-id", mode: 0o444},
		{name: "var/lib/dbus/machine-id", link: "/etc/machine-id"},
	}
}

func TestCheckRootfsGood(t *testing.T) {
	problems, err := CheckRootfs(tarball(t, good()))
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestCheckRootfsFindsEveryRule(t *testing.T) {
	fs := good()
	set := func(name string, f func(*file)) {
		for i := range fs {
			if fs[i].name == name {
				f(&fs[i])
			}
		}
	}
	set("etc/wsl.conf", func(f *file) { f.body = []byte("[boot]\nsystemd=true\n[user]\ndefault=unison\n") })
	set("usr/lib/wsl/terminal-profile.json", func(f *file) { f.mode = 0o644 })
	set("usr/lib/wsl/oobe.sh", func(f *file) { f.uid = 1000 })
	set("etc/passwd", func(f *file) { f.body = append(f.body, []byte("unison:x:1000:1000::/home/unison:/bin/bash\n")...) })
	set("usr/bin/dash", func(f *file) { f.body = []byte("#!/bin/busybox\n") })
	set("etc/systemd/system/systemd-resolved.service", func(f *file) { f.link = "/usr/lib/systemd/system/systemd-resolved.service" })
	set("usr/share/wsl/unisonos.ico", func(f *file) { f.body = make([]byte, 2<<20) })
	set("etc/shadow", func(f *file) { f.uid = 42 })
	set("var/lib/dbus/machine-id", func(f *file) { f.link, f.mode, f.body = "", 0o444, []byte("984fe4ec61f6a1b2c3d4e5f6a7b8c9d0\n") })
	problems, err := CheckRootfs(tarball(t, fs))
	require.NoError(t, err)
	for _, want := range []string{
		"/etc/wsl.conf: key user.default is not allowed",
		"/usr/lib/wsl/terminal-profile.json: mode 644, want one of 640, 660",
		"/usr/lib/wsl/oobe.sh: owner 1000:0, want 0:0",
		"/etc/passwd: uid 1000 (unison) exists already",
		"/bin/sh: not a 64-bit x86-64 ELF executable",
		"systemd-resolved.service: discouraged unit enabled",
		"/usr/share/wsl/unisonos.ico: 2097152 bytes, at most 1048576",
		"/etc/shadow: owner 42:42, want 0:0",
		"/var/lib/dbus/machine-id: holds a machine ID",
	} {
		assert.True(t, containsPrefix(problems, want), "want %q in %q", want, problems)
	}
	_, err = CheckRootfs(bytes.NewReader([]byte("not gzip")))
	assert.ErrorContains(t, err, "not a gzip tarball")
}

func containsPrefix(l []string, s string) bool {
	for _, x := range l {
		if bytes.Contains([]byte(x), []byte(s)) {
			return true
		}
	}
	return false
}

func TestIcon(t *testing.T) {
	ico := Icon()
	assert.Equal(t, ico, Icon(), "same bytes every time")
	assert.Equal(t, []byte{0, 0, 1, 0, 1, 0, 64, 64}, ico[:8])
	img, err := png.Decode(bytes.NewReader(ico[22:]))
	require.NoError(t, err)
	assert.Equal(t, 64, img.Bounds().Dx())
	assert.Less(t, len(ico), 1<<20)
}
