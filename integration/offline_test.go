package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/offline"
)

// ollamaStore writes a small model store with the given models (manifests
// and the blobs they name), as `ollama pull` leaves it.
func ollamaStore(t *testing.T, modelNames ...string) string {
	t.Helper()
	dir := filepath.Join(outDir(t), "models")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "manifests"), 0o755))
	blob := func(content string) string {
		p := filepath.Join(dir, "blobs", "sha256-"+sha256hex(content))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return "sha256:" + sha256hex(content)
	}
	for _, m := range modelNames {
		n, tag, _ := strings.Cut(m, ":")
		cfg, weights := blob(`{"model_family":"`+n+`"}`), blob("weights of "+m)
		p := filepath.Join(dir, "manifests", "registry.ollama.ai", "library", n, tag)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(`{"schemaVersion":2,"config":{"digest":"`+cfg+`"},"layers":[{"digest":"`+weights+`"}]}`), 0o644))
	}
	return dir
}

// The offline VM, end to end: the reference services (built by
// service-build), Debian 13's Docker and Compose v2 packages, the images and
// a model store on the disk; booted with the guest cut off any network,
// first boot installs Docker from the medium, loads the images, generates
// the secrets, starts the platform unit, and QA makes every check of an
// online VM (health, an answer by the model of the mounted models.json,
// compose's and Docker's account against the service contract, the reboot):
// real containers on Docker's bridge network, compose never pulls. Bad
// inputs are refused before anything is built.
func TestOfflineVM(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	prefix, _ := referencePlatform(t)
	images := imagesFor(t, prefix)
	cloud := filepath.Join(dir, "standin-cloudimg.qcow2")
	mustCall(t, 20*time.Minute, "lab", "standin-cloud-image", "export", "--path", cloud)
	probe := filepath.Join(dir, "probe")
	mustCall(t, 10*time.Minute, "lab", "probe-boot", "export", "--path", probe)
	store := ollamaStore(t, "qwen2.5:0.5b")
	build := func(offline ...string) []string {
		a := []string{"--images", images, "build", "--version", "v0.6.0", "--flavor", "light", "--platform-version", "0.6.0",
			"--commit", sampleSHA, "--commit-time", sampleTime, "with-admin", "--ssh-authorized-keys", testKey, "with-offline"}
		return append(a, offline...)
	}

	// bad input: a store without the preloaded model, a payload over the limit
	empty := ollamaStore(t)
	r := daggerCall(t, 10*time.Minute, append(build("--models-store", empty), "vm", "--base-image", cloud, "export", "--path", filepath.Join(dir, "bad"))...)
	require.Error(t, r.Err)
	assert.Contains(t, r.Stderr, "models-store: flavor light preloads models the store lacks: qwen2.5:0.5b")
	assertNothingBuilt(t, r)

	refused := daggerCall(t, 10*time.Minute, append(build(), "bundle")...)
	require.Error(t, refused.Err)
	assert.Contains(t, refused.Stderr, "with-offline: bundle: only the VM disk (vm), the ISO (iso) and WSL (wsl) install offline")

	out := filepath.Join(dir, "vm")
	r = daggerCall(t, 40*time.Minute, append(build("--models-store", store), "vm", "--base-image", cloud, "export", "--path", out)...)
	require.NoError(t, r.Err, tail(r.Stderr, 60))
	assert.Regexp(t, `offline payload for debian-13: [0-9.]+ MiB \(packages [0-9.]+ MiB in [0-9]+ files, images [0-9.]+ MiB for 4 services, models 0.0 MiB\)`, r.Stdout+r.Stderr)
	small := daggerCall(t, 40*time.Minute, append(build("--models-store", store, "--max-size-mib", "1"), "vm", "--base-image", cloud, "export", "--path", filepath.Join(dir, "small"))...)
	require.Error(t, small.Err)
	assert.Contains(t, small.Stderr, "max-size-mib 1: offline payload for debian-13")

	t.Run("iso", func(t *testing.T) { offlineISO(t, dir, cloud, append(build("--models-store", store), "iso")) })
	t.Run("wsl", func(t *testing.T) { offlineWSL(t, dir, append(build("--models-store", store), "wsl")) })

	disk := filepath.Join(out, "unisonos-linux-vm-v0.6.0.qcow2")
	report := filepath.Join(dir, "report")
	qa := daggerCall(t, 40*time.Minute, "qa", "vm", "--image", disk, "--boot-files", probe, "--accel", "tcg", "--isolated",
		"--health-timeout", "600", "report", "export", "--path", report)
	require.NoError(t, qa.Err, tail(qa.Stderr, 40))
	summary := readFile(t, filepath.Join(report, "summary.txt"))
	guest := readFile(t, filepath.Join(report, "guest.log"))
	t.Log("\n" + summary + "\n--- guest.log (tail)\n" + tail(guest, 40))
	assert.Regexp(t, `qa-smoke: PASSED \([0-9]+ checks, 0 failed\)`, summary)
	for _, want := range []string{"answered by qwen2.5:0.5b of the models.json mounted in the inference container",
		"only SSH listens beyond loopback", "after a reboot: compose reports every container healthy again",
		"after a reboot: the first-boot unit was skipped", "firewall (ufw) active: incoming denied but SSH", "unattended upgrades on"} {
		assert.Contains(t, summary, want)
	}
	assert.Contains(t, readFile(t, filepath.Join(report, "junit.xml")), `<testcase name="inference models /unison/models/store"`)
	serial := readFile(t, filepath.Join(report, "serial.log"))
	for _, want := range []string{"UNISON-FIRSTBOOT: firewall on", "UNISON-FIRSTBOOT: installed Docker from the medium", "UNISON-FIRSTBOOT: loaded image inference from the medium",
		"UNISON-FIRSTBOOT: unison-platform.service started"} {
		assert.Contains(t, serial, want)
	}
	// real containers, from the images on the medium (compose never pulled: there was no network)
	for svc, tagged := range serviceTags {
		assert.Regexp(t, `unison-platform-`+svc+`-1 +`+regexp.QuoteMeta(prefix+"/"+tagged)+` .* Up .*\(healthy\)`, guest)
	}
	assert.Contains(t, readFile(t, filepath.Join(report, "run.txt")), "network isolated (QEMU restrict=on)")
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The offline ISO: the same payload in the bundle on the medium; no Docker
// package from the archive in its autoinstall. Its late-commands run for
// real against the stand-in cloud image's root (qa-late-commands): Docker is
// installed in the target from the medium's packages, and the platform unit
// loads the medium's images before compose up (first boot, no network).
func offlineISO(t *testing.T, dir, target string, build []string) {
	base := filepath.Join(dir, "standin-live-server.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)
	out := filepath.Join(dir, "iso")
	r := daggerCall(t, 40*time.Minute, append(build, "--base-iso", base, "export", "--path", out)...)
	require.NoError(t, r.Err, tail(r.Stderr, 60))
	iso := filepath.Join(out, "unisonos-baremetal-offline-v0.6.0.iso")
	var payload offline.Manifest
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(out, "unisonos-baremetal-offline-v0.6.0.payload.json"))), &payload))
	assert.NotEmpty(t, payload.Packages, "the payload listing next to the ISO")
	ud := extractUserData(t, iso)
	assert.NotContains(t, ud, `- "docker.io"`, "Docker comes from the medium")
	assert.Contains(t, ud, "curtin in-target --target=/target -- /bin/sh /opt/unison-platform/installer/offline.sh debs")
	summary := passLateCommands(t, iso, target, filepath.Join(dir, "late"),
		"bundle installed", "platform unit", "docker enabled", "firewall", "docker from the medium", "images loaded at start")
	assert.Contains(t, summary, "before the commands: absent")
	t.Logf("offline ISO: build %.1fs", r.Took.Seconds())
}

// The offline WSL distribution, read back from its root filesystem: Docker
// is in it (installed at build time), the images and models are on it, the
// compose file never pulls, and install-wsl.sh's unit loads the images
// before compose up (the same offline.sh the VM's first boot runs).
func offlineWSL(t *testing.T, dir string, build []string) {
	out := filepath.Join(dir, "wsl")
	r := daggerCall(t, 40*time.Minute, append(build, "export", "--path", out)...)
	require.NoError(t, r.Err, tail(r.Stderr, 60))
	rootfs := filepath.Join(out, "unisonos-wsl-rootfs-v0.6.0.tar.gz")
	entries, _ := readTarGz(t, rootfs)
	files := map[string]string{}
	for _, e := range entries {
		files[strings.TrimPrefix(e.hdr.Name, "./")] = string(e.body)
	}
	for _, want := range []string{"usr/bin/docker", "opt/unison-platform/installer/offline.sh", "opt/unison-platform/offline/manifest.json",
		"opt/unison-platform/offline/images/inference.tar", "opt/unison-platform/offline/models/manifests/registry.ollama.ai/library/qwen2.5/0.5b"} {
		_, ok := files[want]
		assert.True(t, ok, "%s in the WSL root filesystem", want)
	}
	compose := files["opt/unison-platform/compose.yaml"]
	assert.Equal(t, 4, strings.Count(compose, "pull_policy: never"), compose)
	t.Logf("offline WSL: build %.1fs", r.Took.Seconds())
}
