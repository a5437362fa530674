package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireDocker skips unless the tests run in Docker mode (airgap/docker.sh
// env: the stock CLI starts its own engine in Docker); CI runs them in it
// after the air-gapped suite (UNISON_DOCKER_SMOKE=1: a missing Docker fails).
func requireDocker(t *testing.T) {
	t.Helper()
	if !dockerMode() {
		if os.Getenv("UNISON_DOCKER_SMOKE") == "1" {
			t.Fatal("UNISON_DOCKER_SMOKE=1 but not in Docker mode: eval \"$(./airgap/docker.sh env)\" after ./airgap/docker.sh start")
		}
		t.Skip("Docker mode only: ./airgap/docker.sh start; eval \"$(./airgap/docker.sh env)\"")
	}
	require.Empty(t, os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST"), "Docker mode: the CLI starts its own engine, no runner host")
	out, err := exec.Command("docker", "version", "-f", "{{.Server.Version}}").CombinedOutput()
	require.NoError(t, err, "docker version: %s", out)
	t.Logf("Docker %s", strings.TrimSpace(string(out)))
}

// quickstartCalls are the README's laptop quickstart calls, as written.
func quickstartCalls(t *testing.T) []string {
	t.Helper()
	readme := readFile(t, filepath.Join(repoRoot(t), "README.md"))
	_, after, ok := strings.Cut(readme, "M=github.com/project-unisonOS/unison-platform@v0.6.0\n")
	require.True(t, ok, "README: no quickstart block setting M")
	block, _, _ := strings.Cut(after, "```")
	calls := strings.Split(strings.TrimSpace(block), "\n")
	require.Len(t, calls, 4, "README quickstart: the ISO, VM, WSL and QA calls")
	for _, c := range calls {
		require.True(t, strings.HasPrefix(c, "dagger call -m $M "), "README quickstart: %q is not a remote-module call", c)
	}
	return calls
}

// labCall runs one README call through a shell, as a user types it (M and ~
// expanded), with what only the lab adds: the module arguments naming its
// mirror's images and build inputs, after "-m $M", and the stand-in media
// after the function (stand-ins keyed by the function's words).
func labCall(t *testing.T, dir, home, module string, call string, moduleExtra []string, standins map[string][]string) callResult {
	t.Helper()
	words := strings.Fields(call)
	fn := 4
	if words[fn] == "qa" {
		fn++
	}
	key := strings.Join(words[4:fn+1], " ")
	extra, ok := standins[key]
	require.True(t, ok, "no stand-in media for %q", key)
	line := append(append([]string{}, words[:2]...), "--progress=plain")
	line = append(line, words[2:4]...)
	line = append(line, append(moduleArgs(), moduleExtra...)...)
	line = append(append(line, words[4:fn+1]...), extra...)
	line = append(line, words[fn+1:]...)
	cmd := exec.Command("bash", "-c", strings.Join(line, " "))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "M="+module, "HOME="+home)
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	r := callResult{Stdout: so.String(), Stderr: ansi.ReplaceAllString(se.String(), ""), Err: err, Took: time.Since(start)}
	t.Logf("%s: %.1fs (err=%v)", strings.Join(line, " "), r.Took.Seconds(), err)
	require.NoError(t, err, tail(r.Stderr, 60))
	return r
}

// gitIn runs git in dir and returns its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	require.NoError(t, err, "git %v: %s", args, out)
	return strings.TrimSpace(string(out))
}

// labModule puts this checkout's HEAD on the lab's git server as
// unison-platform.git with the tag v0.6.0, and checks it out the way
// actions/checkout does for a tag: one commit deep, detached. It returns
// the remote module reference, the checkout, the commit and its time.
func labModule(t *testing.T, dir string) (string, string, string, string) {
	t.Helper()
	root := os.Getenv("UNISON_GIT_ROOT")
	require.NotEmpty(t, root, "UNISON_GIT_ROOT (airgap/docker.sh env)")
	commit := gitIn(t, repoRoot(t), "rev-parse", "HEAD")
	when := gitIn(t, repoRoot(t), "show", "-s", "--format=%cI", "HEAD")
	bare := filepath.Join(root, "unison-platform.git")
	require.NoError(t, os.RemoveAll(bare))
	gitIn(t, repoRoot(t), "clone", "-q", "--bare", "--no-tags", ".", bare)
	gitIn(t, bare, "tag", "-a", "-m", "v0.6.0", "v0.6.0", commit)
	work := filepath.Join(dir, "checkout")
	require.NoError(t, os.MkdirAll(work, 0o755))
	// actions/checkout's own commands for a tag, fetch-depth 1
	gitIn(t, work, "init", "-q")
	gitIn(t, work, "remote", "add", "origin", "file://"+bare)
	gitIn(t, work, "-c", "protocol.version=2", "fetch", "--no-tags", "--prune", "--no-recurse-submodules", "--depth=1", "origin", "+refs/tags/v0.6.0:refs/tags/v0.6.0")
	gitIn(t, work, "checkout", "-q", "--force", "refs/tags/v0.6.0")
	require.Equal(t, "true", gitIn(t, work, "rev-parse", "--is-shallow-repository"))
	require.Error(t, exec.Command("git", "-C", work, "symbolic-ref", "-q", "HEAD").Run(), "detached HEAD")
	return os.Getenv("UNISON_GIT_SERVER") + "/unison-platform.git@v0.6.0", work, commit, when
}

// standinMedia returns the stand-ins for Ubuntu's live-server ISO and cloud
// image (Ubuntu's are not reachable here) and the probe kernel that boots
// the stand-in disk: those `make standins` left in UNISON_STANDINS (CI makes
// them with the air-gapped engine's cache before Docker mode starts: they
// are the same bytes, and none of what a user runs), else made here with
// the shallow checkout's module (gen runs a call in it).
func standinMedia(t *testing.T, dir string, gen func(args ...string)) (iso, cloud, probe string) {
	t.Helper()
	made := os.Getenv("UNISON_STANDINS")
	media := or(made, filepath.Join(dir, "media"))
	iso = filepath.Join(media, "standin-live-server.iso")
	cloud = filepath.Join(media, "standin-cloudimg.qcow2")
	probe = filepath.Join(media, "probe")
	if made != "" {
		for _, f := range []string{iso, cloud, filepath.Join(probe, "vmlinuz"), filepath.Join(probe, "initrd.gz")} {
			_, err := os.Stat(f)
			require.NoError(t, err, "UNISON_STANDINS: run `make standins OUT=...` and name its demo folder")
		}
		t.Logf("stand-in media from %s (make standins)", media)
		return iso, cloud, probe
	}
	gen("lab", "standin-iso", "export", "--path", iso)
	gen("lab", "standin-cloud-image", "export", "--path", cloud)
	gen("lab", "probe-boot", "export", "--path", probe)
	return iso, cloud, probe
}

// The README's quickstart, run as a laptop or a runner runs it: the stock
// dagger CLI starts its engine in Docker (no runner host), the module is
// called by reference from a git server (-m URL@v0.6.0) and from a shallow,
// detached checkout; local files go up (key file, base ISO, base image,
// boot files), outputs come back with export and are checked as a user
// would: the ISO's user-data and build identity, the VM disk, the WSL
// files, and the platform healthy in the booted VM.
func TestDockerQuickstart(t *testing.T) {
	requireDocker(t)
	dir := outDir(t)
	module, work, commit, when := labModule(t, dir)
	calls := quickstartCalls(t)

	home := filepath.Join(dir, "home")
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".ssh"), 0o700))
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "quickstart", "-f", filepath.Join(home, ".ssh", "id_ed25519")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	key := strings.TrimSpace(readFile(t, filepath.Join(home, ".ssh", "id_ed25519.pub")))

	inWork := func(args ...string) {
		full := append([]string{"call", "--progress=plain"}, append(moduleArgs(), args...)...)
		cmd := exec.Command("dagger", full...)
		cmd.Dir = work
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "dagger %v:\n%s", args, tail(ansi.ReplaceAllString(string(b), ""), 40))
	}
	iso, cloud, probe := standinMedia(t, dir, inWork)

	// the platform's services from the lab registry: build inputs naming it
	reg := os.Getenv("UNISON_DOCKER_REGISTRY")
	require.NotEmpty(t, reg, "UNISON_DOCKER_REGISTRY (airgap/docker.sh env)")
	referenceImages(t, reg, "reference")
	images := filepath.Join(dir, "images")
	require.NoError(t, exec.Command("cp", "-r", filepath.Join(work, "images"), images).Run())
	compat := readFile(t, filepath.Join(images, "compat.yaml"))
	compat = regexp.MustCompile(`(?m)^registry: .*$`).ReplaceAllString(compat, "registry: "+reg+"/reference")
	require.NoError(t, os.WriteFile(filepath.Join(images, "compat.yaml"), []byte(compat), 0o644))

	standins := map[string][]string{
		"baremetal-iso": {"--base-iso", iso},
		"linux-vm":      {"--base-image", cloud},
		"wsl-bundle":    {},
		"qa vm":         {"--boot-files", probe, "--insecure-registry", reg, "--health-timeout", "300"},
	}
	for _, call := range calls {
		labCall(t, work, home, module, call, []string{"--images=" + images}, standins)
	}

	// docs/running.md's call, by reference; and the build identity from the shallow, detached checkout
	tools := labCall(t, work, home, module, "dagger call -m $M lab toolbox versions", nil, map[string][]string{"lab": {}})
	assert.Contains(t, tools.Stdout, "xorriso")
	inWork("build", "--version", "v0.6.0", "bundle", "export", "--path", filepath.Join(work, "out", "bundle.tar.gz"))
	t.Run("checkout", func(t *testing.T) { checkBundleIdentity(t, filepath.Join(work, "out", "bundle.tar.gz"), commit, when) })

	t.Run("iso", func(t *testing.T) { checkQuickstartISO(t, work, key, commit, when) })
	t.Run("vm", func(t *testing.T) { checkQuickstartVM(t, work) })
	t.Run("wsl", func(t *testing.T) { checkQuickstartWSL(t, work, commit) })
	t.Run("qa", func(t *testing.T) {
		checkPlatformReport(t, filepath.Join(work, "out", "qa"), regexp.QuoteMeta(reg)+`/reference/unison-inference:[^ ]+`)
	})
}

// checkQuickstartISO: the remote module's ISO carries the key file's key,
// and the build identity of the tagged commit (from the git server's
// repository: commit and commit time, no flags).
func checkQuickstartISO(t *testing.T, work, key, commit, when string) {
	iso := filepath.Join(work, "out", "iso", "unisonos-baremetal-v0.6.0.iso")
	assert.Equal(t, fileSHA(t, iso)+"  unisonos-baremetal-v0.6.0.iso\n", readFile(t, iso+".sha256"))
	ud := extractUserData(t, iso)
	assert.Contains(t, ud, key, "the key file's key in the autoinstall user-data")
	c, ctx := connect(t)
	meta, err := verifier(c).WithMountedFile("/in/out.iso", c.Host().File(iso)).
		WithExec([]string{"sh", "-c", "xorriso -osirrox on -indev /in/out.iso -extract /nocloud/unison-platform-bundle.tar.gz /b.tgz >/dev/null 2>&1 && tar -xzOf /b.tgz unison-platform/metadata.json"}).Stdout(ctx)
	require.NoError(t, err)
	assert.Contains(t, meta, `"commit": "`+commit+`"`, "the tagged commit, read by the remote module")
	assert.Contains(t, meta, `"version": "v0.6.0"`)
	wantTime, err := time.Parse(time.RFC3339, when)
	require.NoError(t, err)
	assert.Contains(t, meta, `"build_date": "`+wantTime.UTC().Format(time.RFC3339)+`"`, "the commit time is the build date")
}

// The real CLI's errors when Docker is missing and when Docker cannot pull
// the engine image get what to run from ./airgap/dagger (every make target).
func TestDockerNoEngine(t *testing.T) {
	requireDocker(t)
	cli, err := exec.LookPath("dagger")
	require.NoError(t, err)
	wrapper := filepath.Join(repoRoot(t), "airgap", "dagger")
	run := func(env ...string) string {
		cmd := exec.Command(wrapper, "--progress=plain", "core", "version")
		cmd.Env = append(os.Environ(), append([]string{"_EXPERIMENTAL_DAGGER_CLI_BIN=" + cli}, env...)...)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "no engine: the call fails")
		return ansi.ReplaceAllString(string(out), "")
	}
	// no docker on PATH (the wrapper's own tools only): the CLI's image driver is not available
	tools := t.TempDir()
	for _, name := range []string{"bash", "dirname", "mktemp", "tee", "grep", "rm", "cut", "head"} {
		p, err := exec.LookPath(name)
		require.NoError(t, err)
		require.NoError(t, os.Symlink(p, filepath.Join(tools, name)))
	}
	out := run("PATH=" + tools)
	assert.Contains(t, out, `driver for scheme "image" was not available`)
	assert.Contains(t, out, "unison: no engine: the dagger CLI starts its engine in Docker, and no Docker answers here")
	// an engine image Docker has not and cannot pull here (no registry is reachable)
	out = run("_EXPERIMENTAL_DAGGER_RUNNER_HOST=image://registry.dagger.io/engine:v0.0.0-absent")
	assert.Contains(t, out, "failed to pull image")
	assert.Contains(t, out, "unison: Docker has no engine image registry.dagger.io/engine:v0.0.0-absent and could not pull it")
}

// checkBundleIdentity: the bundle's metadata.json names the commit and its
// time (the build date), read from the checkout's git without flags.
func checkBundleIdentity(t *testing.T, bundle, commit, when string) {
	entries, _ := readTarGz(t, bundle)
	var meta string
	for _, e := range entries {
		if strings.HasSuffix(e.hdr.Name, "/metadata.json") {
			meta = string(e.body)
		}
	}
	assert.Contains(t, meta, `"commit": "`+commit+`"`)
	wantTime, err := time.Parse(time.RFC3339, when)
	require.NoError(t, err)
	assert.Contains(t, meta, `"build_date": "`+wantTime.UTC().Format(time.RFC3339)+`"`)
}

// checkQuickstartVM: qcow2 and vmdk with their checksums, a sane qcow2.
func checkQuickstartVM(t *testing.T, work string) {
	vm := filepath.Join(work, "out", "vm")
	for _, f := range []string{"unisonos-linux-vm-v0.6.0.qcow2", "unisonos-linux-vm-v0.6.0.vmdk"} {
		assert.Equal(t, fileSHA(t, filepath.Join(vm, f))+"  "+f+"\n", readFile(t, filepath.Join(vm, f+".sha256")))
	}
	c, ctx := connect(t)
	out, err := verifier(c).WithMountedFile("/in/vm.qcow2", c.Host().File(filepath.Join(vm, "unisonos-linux-vm-v0.6.0.qcow2"))).
		WithExec([]string{"qemu-img", "check", "/in/vm.qcow2"}).Stdout(ctx)
	require.NoError(t, err)
	assert.Contains(t, out, "No errors were found on the image.")
}

// checkQuickstartWSL: the .wsl is the root filesystem tarball; the bundle
// carries the commit of the checkout the module was called with.
func checkQuickstartWSL(t *testing.T, work, commit string) {
	wsl := filepath.Join(work, "out", "wsl")
	rootfs := filepath.Join(wsl, "unisonos-wsl-rootfs-v0.6.0.tar.gz")
	assert.Equal(t, fileSHA(t, rootfs), fileSHA(t, filepath.Join(wsl, "unisonos-v0.6.0.wsl")), "the .wsl is the rootfs tarball")
	entries, _ := readTarGz(t, filepath.Join(wsl, "unisonos-wsl-v0.6.0.tar.gz"))
	var meta string
	for _, e := range entries {
		if strings.HasSuffix(e.hdr.Name, "metadata.json") {
			meta = string(e.body)
		}
	}
	assert.Contains(t, meta, `"commit": "`+commit+`"`)
}
