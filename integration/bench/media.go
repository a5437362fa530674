package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"dagger.io/dagger"
)

// Real-size stand-ins, generated here from the lab's small ones (never
// committed): the same layouts at the sizes of Ubuntu's media.
//
//   - the live-server ISO: casper/ with the squashfs layers Ubuntu 24.04
//     ships (real squashfs files whose payload is incompressible, as
//     compressed squashfs data is), pool/ with .debs and dists/ with the
//     archive's index, added to the small stand-in's boot layout with xorriso;
//   - the cloud image: the small stand-in's GPT layout, its root file system
//     grown in place (resize2fs, debugfs write: no loop device, every file
//     keeps its mode) to hold the given MiB of files in a disk of 1.4 times that, compressed qcow2 as Ubuntu
//     ships it;
//   - the OS image of the WSL root filesystem: the mirror's Debian 13 with the
//     same MiB of files, pushed to the lab's shared registry.
//
// The added files are copies of the image's own /usr (ELF binaries,
// libraries, text: what a root file system compresses like; a tar of it in
// the cloud image), so gzip and
// qcow2 compression meet realistic data; the ISO's squashfs payloads are
// pseudo-random (openssl aes-ctr of zeros, seeded by name: the same bytes
// every time).

// benchSize is one input size of the size bench.
type benchSize struct {
	Name     string // small, 1g, real
	ISOMiB   int    // the live-server ISO (0: the small stand-in as built)
	FilesMiB int    // files in the cloud image's and the WSL image's root (0: as built)
}

var benchSizes = []benchSize{
	{"small", 0, 0},
	{"1g", 1024, 1024},
	{"real", 2700, 2560}, // Ubuntu 24.04 live-server ~2.7 GiB; cloud image ~2.5 GiB of files in 3.5 GiB raw
}

func sizeByName(n string) benchSize {
	for _, s := range benchSizes {
		if s.Name == n {
			return s
		}
	}
	log.Fatalf("unknown size %q: small, 1g or real", n)
	return benchSize{}
}

// liveServerLayout is where a live-server ISO's bytes are, as shares of its
// size: the casper squashfs layers (the installer's layered system) and the
// pool of .debs the installer may install offline.
var liveServerLayout = []struct {
	path  string
	share float64
}{
	{"casper/ubuntu-server-minimal.squashfs", 0.17},
	{"casper/ubuntu-server-minimal.ubuntu-server.squashfs", 0.20},
	{"casper/ubuntu-server-minimal.ubuntu-server.installer.squashfs", 0.08},
	{"casper/ubuntu-server-minimal.ubuntu-server.installer.generic.squashfs", 0.15},
	{"casper/ubuntu-server-minimal.ubuntu-server.installer.generic-hwe.squashfs", 0.14},
	{"pool/main/l/linux-firmware/linux-firmware_20240318.git3b128b60-0ubuntu2_amd64.deb", 0.12},
	{"pool/main/l/linux-signed-hwe-6.11/linux-modules-extra-6.11.0-29-generic_6.11.0-29.29~24.04.1_amd64.deb", 0.06},
	{"pool/main/l/linux-signed/linux-modules-extra-6.8.0-71-generic_6.8.0-71.71_amd64.deb", 0.05},
	{"pool/main/z/zfs-linux/zfsutils-linux_2.2.2-0ubuntu9.3_amd64.deb", 0.01},
	{"pool/restricted/n/nvidia-graphics-drivers-535/nvidia-kernel-common-535_535.247.01-0ubuntu0.24.04.1_amd64.deb", 0.02},
}

// sizedISO writes the live-server stand-in of s.ISOMiB from the small one.
func sizedISO(small string, s benchSize) string {
	if s.ISOMiB == 0 {
		return small
	}
	out := filepath.Join(work, "standin-live-server-"+s.Name+".iso")
	if exists(out) {
		return out
	}
	tree := filepath.Join(work, "iso-tree-"+s.Name)
	os.RemoveAll(tree)
	payload := int64(s.ISOMiB)<<20 - size(small)
	for _, f := range liveServerLayout {
		n := int64(float64(payload) * f.share)
		dst := filepath.Join(tree, f.path)
		must(os.MkdirAll(filepath.Dir(dst), 0o755))
		if strings.HasSuffix(f.path, ".squashfs") {
			// a real squashfs (unsquashfs -ls reads it), its data stored as is
			src := filepath.Join(work, "squash-src")
			os.RemoveAll(src)
			must(os.MkdirAll(src, 0o755))
			sh(fmt.Sprintf("%s > %s/payload.bin", random(f.path, n), src))
			sh(fmt.Sprintf("mksquashfs %s %s -noappend -quiet -no-progress -noI -noD -noF -noX -all-root -mkfs-time 0 -all-time 0 >/dev/null", src, dst))
			os.RemoveAll(src)
			os.WriteFile(strings.TrimSuffix(dst, ".squashfs")+".size", []byte(fmt.Sprintln(n)), 0o644)
			continue
		}
		sh(fmt.Sprintf("%s > %s", random(f.path, n), dst))
	}
	must(os.MkdirAll(filepath.Join(tree, "dists/noble/main/binary-amd64"), 0o755))
	must(os.WriteFile(filepath.Join(tree, "dists/noble/Release"), []byte("Origin: Ubuntu\nLabel: Ubuntu\nSuite: noble\nCodename: noble\nComponents: main restricted\nArchitectures: amd64\n"), 0o644))
	must(os.WriteFile(filepath.Join(tree, "dists/noble/main/binary-amd64/Packages"), nil, 0o644))
	sh(fmt.Sprintf("find %s -exec touch -h -d @1700000000 {} + && xorriso -indev %s -outdev %s.tmp -map %s/casper /casper -map %s/pool /pool -map %s/dists /dists -boot_image any replay 2>/dev/null && mv %s.tmp %s",
		tree, small, out, tree, tree, tree, out, out))
	os.RemoveAll(tree)
	log.Printf("bench: stand-in live-server ISO %s: %s", s.Name, mib(size(out)))
	return out
}

// random is a shell pipeline writing n pseudo-random bytes seeded by seed.
func random(seed string, n int64) string {
	return fmt.Sprintf("openssl enc -aes-128-ctr -nosalt -pass pass:%q -pbkdf2 -in /dev/zero 2>/dev/null | head -c %d", seed, n)
}

// cloudGrow grows the cloud image's root file system in place (cloud-grow.sh).
//
//go:embed cloud-grow.sh
var cloudGrow string

// sizedCloud writes the cloud image stand-in with s.FilesMiB of files in its root.
func sizedCloud(small string, s benchSize) string {
	if s.FilesMiB == 0 {
		return small
	}
	out := filepath.Join(work, "standin-cloudimg-"+s.Name+".qcow2")
	if exists(out) {
		return out
	}
	w := filepath.Join(work, "cloud-"+s.Name)
	os.RemoveAll(w)
	must(os.MkdirAll(w, 0o755))
	sh(fmt.Sprintf("qemu-img convert -O raw %s %s/small.raw", small, w))
	var table struct {
		PartitionTable struct {
			Partitions []struct {
				Node        string
				Start, Size int64
			}
		}
	}
	js, err := exec.Command("sfdisk", "-J", w+"/small.raw").Output()
	must(err)
	must(json.Unmarshal(js, &table))
	var start, sectors int64
	for _, p := range table.PartitionTable.Partitions {
		if strings.HasSuffix(p.Node, "raw1") {
			start, sectors = p.Start, p.Size
		}
	}
	if start == 0 {
		log.Fatalf("%s: no root partition (#1)", small)
	}
	rawMiB := int64(float64(s.FilesMiB) * 1.4)
	rootMiB := rawMiB - start/2048 - 1
	script := filepath.Join(w, "cloud-grow.sh")
	must(os.WriteFile(script, []byte(cloudGrow), 0o755))
	sh(fmt.Sprintf("cd %s && ./cloud-grow.sh %d %d %d %d %d %s", w, start, sectors, s.FilesMiB, rootMiB, rawMiB, out))
	os.RemoveAll(w)
	log.Printf("bench: stand-in cloud image %s: %s qcow2, %d MiB raw", s.Name, mib(size(out)), rawMiB)
	return out
}

// sizedOSImage pushes the WSL bench's OS image (the mirror's Debian with
// s.FilesMiB of files) to the shared registry and returns it by digest: a
// new image every run, so that its first build is a first build.
func sizedOSImage(s benchSize) string {
	base := os.Getenv("UNISON_DEBIAN13_IMAGE")
	if base == "" {
		return base
	}
	// the small one too: an image of its own (its first build then builds a root filesystem)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(io.Discard))
	must(err)
	defer c.Close()
	reg := os.Getenv("UNISON_SHARED_REGISTRY")
	pass, err := os.ReadFile(os.Getenv("UNISON_REGISTRY_PASSWORD_FILE"))
	must(err)
	img := c.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).From(base).
		WithExec([]string{"sh", "-c", fmt.Sprintf(`i=0; mkdir -p /opt/standin-payload
while [ "$(du -smx / | cut -f1)" -lt %d ]; do cp -a /usr /opt/standin-payload/usr-$i; i=$((i+1)); done`, s.FilesMiB)}).
		WithRegistryAuth(reg, os.Getenv("UNISON_REGISTRY_USER"), c.SetSecret("bench-registry", strings.TrimSpace(string(pass))))
	d, err := img.Publish(ctx, fmt.Sprintf("%s/bench/os-%s:%s", reg, s.Name, nonce))
	must(err)
	log.Printf("bench: OS image %s: %s", s.Name, d)
	return d
}
