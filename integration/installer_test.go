package integration

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dagger.io/dagger"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const dockerStub = `#!/bin/sh
# test double for the docker CLI: records calls, answers "compose version"
echo "docker $*" >> /var/log/docker-stub.log
[ "$1 $2" = "compose version" ] && echo "Docker Compose version v2.24.6"
exit 0
`

const systemctlStub = `#!/bin/sh
echo "systemctl $*" >> /var/log/systemctl-stub.log
exit 0
`

// run executes a bash script and returns its combined output and exit code.
func run(ctx context.Context, t *testing.T, c *dagger.Container, script string) (string, int, *dagger.Container) {
	t.Helper()
	next := c.WithExec([]string{"bash", "-c", "(" + script + ") 2>&1; echo \"rc=$?\""})
	out, err := next.Stdout(ctx)
	require.NoError(t, err)
	m := regexp.MustCompile(`rc=(\d+)\n$`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	rc, _ := strconv.Atoi(m[1])
	return strings.TrimSuffix(out, m[0]), rc, next
}

// unpackedBundle is a Debian container with the built bundle unpacked in /b.
func unpackedBundle(t *testing.T) (context.Context, *dagger.Container) {
	requireEngine(t)
	bundlePath := buildBundle(t, outDir(t))
	c, ctx := connect(t)
	return ctx, c.Container().From(baseImage()).
		WithMountedFile("/in/bundle.tar.gz", c.Host().File(bundlePath)).
		WithExec([]string{"sh", "-c", "mkdir -p /b && tar -xzf /in/bundle.tar.gz -C /b"})
}

// The installers run for real in containers: files, unit contents,
// permissions, idempotence, and every refusal with its exit code.
func TestInstallers(t *testing.T) {
	ctx, base := unpackedBundle(t)
	stubbed := base.
		WithNewFile("/usr/local/bin/docker", dockerStub, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/usr/local/bin/systemctl", systemctlStub, dagger.ContainerWithNewFileOpts{Permissions: 0o755})
	checkInstallerRefusals(ctx, t, base, stubbed)

	const inst = installerDir
	out, rc, _ := run(ctx, t, stubbed, inst+"install-docker.sh --dry-run; test ! -e /opt/unison-platform && test ! -e /etc/unison && echo NOTHING-WRITTEN")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "would run: install -D -m 644 /b/unison-platform/compose.yaml /opt/unison-platform/compose.yaml")
	assert.Contains(t, out, "NOTHING-WRITTEN")

	out, rc, installed := run(ctx, t, stubbed, inst+"install-docker.sh")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "created /etc/unison/platform.env (mode 600) with secrets generated on this machine")
	assert.Contains(t, out, "installed; it starts at boot")

	facts, rc, _ := run(ctx, t, installed, `set -e
stat -c 'env-mode=%a owner=%u' /etc/unison/platform.env
grep -v '_SECRET=' /etc/unison/platform.env > /a; grep -v '_SECRET=' /b/unison-platform/platform.env.template > /b.t; cmp /a /b.t && echo other-keys-from-template
grep '_SECRET=' /etc/unison/platform.env
ls -A /etc/unison
stat -c 'installer-mode=%a' /opt/unison-platform/installer/install-docker.sh
stat -c 'compose-mode=%a' /opt/unison-platform/compose.yaml
echo "wants=$(readlink /etc/systemd/system/multi-user.target.wants/unison-platform.service)"
cat /etc/systemd/system/unison-platform.service`)
	require.Equal(t, 0, rc, facts)
	assert.Contains(t, facts, "env-mode=600 owner=0")
	assert.Contains(t, facts, "other-keys-from-template")
	secrets := regexp.MustCompile(`(?m)^UNISON_(AUTH|JWT)_SECRET=([0-9a-f]{64})$`).FindAllStringSubmatch(facts, -1)
	require.Len(t, secrets, 2, "two generated secrets of 32 bytes:\n%s", facts)
	assert.NotEqual(t, secrets[0][2], secrets[1][2], "distinct secrets")
	assert.NotContains(t, out, secrets[0][2], "a secret reached the installer's output")
	assert.NotContains(t, facts, ".platform.env.", "no temporary file left in /etc/unison")
	assert.Contains(t, facts, "installer-mode=755")
	assert.Contains(t, facts, "compose-mode=644")
	assert.Contains(t, facts, "wants=/etc/systemd/system/unison-platform.service")
	assert.Contains(t, facts, "\nExecStart=/usr/bin/docker compose --env-file /etc/unison/platform.env --project-directory /opt/unison-platform -f /opt/unison-platform/compose.yaml up -d --remove-orphans\n")
	assert.Contains(t, facts, "\nExecStartPre=/bin/bash /opt/unison-platform/installer/common.sh check-env /etc/unison/platform.env\n")
	assert.Contains(t, facts, "\nWantedBy=multi-user.target\n")
	assert.NotRegexp(t, `\d+files|\$\$`, facts, "no shell expansion leaked into the unit")

	// another machine, same bundle: other secrets (a different exec: the engine
	// would replay a cached one, its random bytes included)
	_, _, other := run(ctx, t, stubbed.WithEnvVariable("UNISON_TEST_MACHINE", "2"), inst+"install-docker.sh")
	otherEnv, _, _ := run(ctx, t, other, "grep _SECRET= /etc/unison/platform.env")
	assert.NotContains(t, otherEnv, secrets[0][2])
	assert.NotContains(t, otherEnv, secrets[1][2])

	checkReinstall(ctx, t, installed)
	checkInstallerEdges(ctx, t, installed, stubbed)
}

// installerDir is where the unpacked bundle's installers are.
const installerDir = "/b/unison-platform/installer/"

// checkInstallerRefusals: not root, no Docker, an unknown argument, the
// native installer's dry run, the WSL installer outside and inside WSL.
func checkInstallerRefusals(ctx context.Context, t *testing.T, base, stubbed *dagger.Container) {
	const inst = installerDir
	t.Run("not root", func(t *testing.T) {
		out, rc, _ := run(ctx, t, base.WithUser("nobody"), inst+"install-docker.sh")
		assert.Equal(t, 3, rc, out)
		assert.Contains(t, out, "must run as root")
	})
	t.Run("no docker", func(t *testing.T) {
		out, rc, _ := run(ctx, t, base, inst+"install-docker.sh")
		assert.Equal(t, 4, rc, out)
		assert.Contains(t, out, "docker is not installed")
	})
	t.Run("unknown argument", func(t *testing.T) {
		out, rc, _ := run(ctx, t, base, inst+"install-docker.sh --frobnicate")
		assert.Equal(t, 2, rc, out)
		assert.Contains(t, out, "unknown argument: --frobnicate")
	})
	t.Run("native dry run on a host without docker", func(t *testing.T) {
		out, rc, _ := run(ctx, t, base, inst+"install-native.sh --dry-run; test ! -e /opt/unison-platform && echo NOTHING-WRITTEN")
		assert.Equal(t, 0, rc, out)
		assert.Contains(t, out, "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io docker-compose-v2")
		assert.Contains(t, out, "NOTHING-WRITTEN")
	})

	t.Run("wsl installer outside WSL", func(t *testing.T) {
		out, rc, _ := run(ctx, t, stubbed, inst+"install-wsl.sh")
		assert.Equal(t, 6, rc, out)
		assert.Contains(t, out, "not running inside WSL")
	})
	t.Run("wsl installer inside WSL", func(t *testing.T) {
		out, rc, _ := run(ctx, t, stubbed.WithEnvVariable("WSL_DISTRO_NAME", "UnisonOS"), inst+"install-wsl.sh && test -f /opt/unison-platform/compose.yaml && echo INSTALLED")
		assert.Equal(t, 0, rc, out)
		assert.Contains(t, out, "no [boot] systemd=true")
		assert.Contains(t, out, "INSTALLED")
	})
}

// checkReinstall: a second run changes nothing and keeps an edited
// platform.env; an upgrade adds a newer template's keys and keeps the values.
func checkReinstall(ctx context.Context, t *testing.T, installed *dagger.Container) {
	const inst = installerDir
	// idempotent: a second run changes nothing and keeps an edited platform.env
	edited := installed.WithExec([]string{"sh", "-c", "sed -i 's/^UNISON_LOG_LEVEL=.*/UNISON_LOG_LEVEL=debug/' /etc/unison/platform.env; chmod 644 /etc/unison/platform.env"})
	out, rc, again := run(ctx, t, edited, inst+"install-docker.sh")
	require.Equal(t, 0, rc, out)
	assert.NotContains(t, out, "unison: install ", "second run reinstalls nothing")
	assert.Contains(t, out, "keep existing /etc/unison/platform.env")
	assert.Contains(t, out, "fix mode of /etc/unison/platform.env to 600")
	check, _, _ := run(ctx, t, again, "grep LOG_LEVEL /etc/unison/platform.env; stat -c %a /etc/unison/platform.env")
	assert.Equal(t, "UNISON_LOG_LEVEL=debug\n600\n", check)

	// an upgrade: a platform.env of an older template (no UNISON_MODELS_STORE, no
	// JWT secret, no newline at its end) keeps its values and gets the new keys
	older := installed.WithExec([]string{"sh", "-c", "grep -v -e UNISON_MODELS_STORE -e UNISON_JWT_SECRET /etc/unison/platform.env | head -c -1 > /tmp/e && cat /tmp/e > /etc/unison/platform.env"})
	before, _, _ := run(ctx, t, older, "grep UNISON_AUTH_SECRET= /etc/unison/platform.env")
	out, rc, upgraded := run(ctx, t, older, inst+"install-docker.sh")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "added to /etc/unison/platform.env the keys of the new template: UNISON_JWT_SECRET UNISON_MODELS_STORE")
	upgradedEnv, _, _ := run(ctx, t, upgraded, "cat /etc/unison/platform.env")
	assert.Contains(t, upgradedEnv, strings.TrimSpace(before)+"\n", "the existing secret is kept")
	assert.Contains(t, upgradedEnv, "\nUNISON_MODELS_STORE=/var/lib/unisonos/models\n")
	assert.Regexp(t, `\nUNISON_JWT_SECRET=[0-9a-f]{64}\n`, upgradedEnv)
	out, rc, _ = run(ctx, t, upgraded, "bash /opt/unison-platform/installer/common.sh check-env /etc/unison/platform.env")
	assert.Equal(t, 0, rc, "the upgraded file passes check-env: %s", out)
}

// checkInstallerEdges: --start and --pull through systemctl, control flags
// from arguments only, a symlinked platform.env refused, a failed unit
// install leaving no temporary file.
func checkInstallerEdges(ctx context.Context, t *testing.T, installed, stubbed *dagger.Container) {
	const inst = installerDir
	// it starts with no edit (through systemctl), and pulls with the env file
	out, rc, started := run(ctx, t, installed, inst+"install-docker.sh --start --pull")
	require.Equal(t, 0, rc, out)
	log, _, _ := run(ctx, t, started, "cat /var/log/systemctl-stub.log /var/log/docker-stub.log")
	assert.Contains(t, log, "systemctl start unison-platform.service")
	assert.Contains(t, log, "docker compose --env-file /etc/unison/platform.env --project-directory /opt/unison-platform -f /opt/unison-platform/compose.yaml pull")

	// control flags come from arguments only; --prefix is checked
	out, rc, _ = run(ctx, t, stubbed.WithEnvVariable("PREFIX", "/tmp/evil").WithEnvVariable("DRY_RUN", "0"), inst+"install-docker.sh --dry-run")
	assert.Equal(t, 0, rc, out)
	assert.Contains(t, out, "/opt/unison-platform/compose.yaml")
	assert.NotContains(t, out, "/tmp/evil")
	for arg, want := range map[string]string{
		"--prefix relative/dir":                       "give an absolute path",
		"--prefix $'/opt/x\\nExecStartPre=/bin/evil'": "only letters, digits",
		"--prefix /opt/../etc":                        "no '..'",
	} {
		out, rc, _ = run(ctx, t, stubbed, inst+"install-docker.sh "+arg)
		assert.Equal(t, 2, rc, "%s: %s", arg, out)
		assert.Contains(t, out, want, arg)
	}

	// a symlinked platform.env is refused, never followed
	linked := stubbed.WithExec([]string{"sh", "-c", "mkdir -p /etc/unison && touch /root/target && ln -s /root/target /etc/unison/platform.env"})
	out, rc, _ = run(ctx, t, linked, inst+"install-docker.sh")
	assert.Equal(t, 5, rc, out)
	assert.Contains(t, out, "is a symbolic link: refusing to follow it")
	out, rc, _ = run(ctx, t, linked, "bash "+inst+"common.sh check-env /etc/unison/platform.env")
	assert.Equal(t, 5, rc, out)

	// a failed unit install leaves no temporary file behind
	broken := stubbed.WithExec([]string{"sh", "-c", "rm -rf /etc/systemd/system && touch /etc/systemd/system"})
	out, rc, after := run(ctx, t, broken, inst+"install-docker.sh")
	assert.NotEqual(t, 0, rc, out)
	left, _, _ := run(ctx, t, after, "ls /tmp | grep -c '^tmp\\.' || true")
	assert.Equal(t, "0\n", left, "temporary files left in /tmp")
}

// The platform.env guard reads files the way docker compose does and
// refuses every unsafe one, naming the key and the rule.
func TestCheckEnv(t *testing.T) {
	ctx, base := unpackedBundle(t)
	const a, j = "8c1f0e6a9d2b4f7e3a5c6d8e9f0a1b2c", "f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8"
	good := "UNISON_AUTH_SECRET=" + a + "\nUNISON_JWT_SECRET=" + j + "\nUNISON_ADMIN_EMAIL=\nUNISON_MODEL_FLAVOR=light\n" +
		"UNISON_MODELS_FILE=/opt/unison-platform/models.json\nUNISON_MODELS_STORE=/var/lib/unisonos/models\nUNISON_LOG_LEVEL=info\n"
	swap := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	cases := []struct{ name, env, want string }{
		{"good", good, ""},
		{"inline comment", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=CHANGE_ME   # set me"), "UNISON_AUTH_SECRET: value has a space"},
		{"spaces around =", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET = "+a), "line 1 (UNISON_AUTH_SECRET): not KEY=value"},
		{"yaml style", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET: "+a), "line 1 (UNISON_AUTH_SECRET): not KEY=value"},
		{"quoted placeholder", swap("UNISON_AUTH_SECRET="+a, `UNISON_AUTH_SECRET="CHANGE_ME" # todo`), "UNISON_AUTH_SECRET: value has a space, quote"},
		{"interpolation", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=${UNSET}"), "UNISON_AUTH_SECRET: value has a space, quote, '$'"},
		{"deleted secret", swap("UNISON_AUTH_SECRET="+a+"\n", ""), "UNISON_AUTH_SECRET: missing"},
		{"shared secret", swap("UNISON_JWT_SECRET="+j, "UNISON_JWT_SECRET="+a), "UNISON_JWT_SECRET: the same secret as UNISON_AUTH_SECRET"},
		{"low entropy", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=abababababababababab"), "UNISON_AUTH_SECRET: low-entropy"},
		{"placeholder elsewhere", swap("UNISON_LOG_LEVEL=info", "UNISON_LOG_LEVEL=change_me"), "UNISON_LOG_LEVEL: still the placeholder"},
		{"export", swap("UNISON_AUTH_SECRET="+a, "export UNISON_AUTH_SECRET="+a), "line 1 (UNISON_AUTH_SECRET): not KEY=value"},
		{"empty secret", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET="), "UNISON_AUTH_SECRET: empty secret"},
		{"short secret", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=abcdef123"), "UNISON_AUTH_SECRET: secret shorter than 16"},
		{"well-known", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=mypassword123456789"), "UNISON_AUTH_SECRET: a well-known weak value"},
		{"key twice", good + "UNISON_LOG_LEVEL=debug\n", "UNISON_LOG_LEVEL: set twice"},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"), "line endings: CRLF"},
		{"placeholder in another case", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET=xChange_Me1234567890abcdef"), "UNISON_AUTH_SECRET: still the placeholder"},
		// bytes compose and bash may read differently: secrets are printable ASCII
		{"control character", swap("UNISON_AUTH_SECRET="+a, "UNISON_AUTH_SECRET="+a[:10]+"\x01"+a[10:]), "UNISON_AUTH_SECRET: a character that is not printable ASCII"},
		{"non-ASCII letter", swap("UNISON_JWT_SECRET="+j, "UNISON_JWT_SECRET="+j[:10]+"é"+j[10:]), "UNISON_JWT_SECRET: a character that is not printable ASCII"},
	}
	// the secrets are root's alone: another owner, or a mode the group or others can read, is refused
	files := []struct {
		name, owner string
		mode        int
		want        string
	}{
		{"mode 644", "0:0", 0o644, "mode 644: the group or others can read it: chmod 600 /etc/unison/platform.env"},
		{"mode 640", "0:0", 0o640, "mode 640: the group or others can read it"},
		{"mode 400", "0:0", 0o400, ""},
		{"owner 1000", "1000:1000", 0o600, "owner uid 1000, not root: chown root:root /etc/unison/platform.env"},
	}
	for _, tc := range files {
		t.Run(tc.name, func(t *testing.T) {
			// a comment of its own: the engine's cache must not give another case's file (owner) for it
			f := base.WithNewFile("/etc/unison/platform.env", good+"# file: "+tc.name+"\n", dagger.ContainerWithNewFileOpts{Permissions: tc.mode, Owner: tc.owner})
			out, rc, _ := run(ctx, t, f, "bash /b/unison-platform/installer/common.sh check-env /etc/unison/platform.env")
			if tc.want == "" {
				assert.Equal(t, 0, rc, out)
				return
			}
			assert.Equal(t, 5, rc, out)
			assert.Contains(t, out, tc.want)
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base.WithNewFile("/etc/unison/platform.env", tc.env+"# case: "+tc.name+"\n", dagger.ContainerWithNewFileOpts{Permissions: 0o600, Owner: "0:0"})
			out, rc, _ := run(ctx, t, f, "bash /b/unison-platform/installer/common.sh check-env /etc/unison/platform.env")
			if tc.want == "" {
				assert.Equal(t, 0, rc, out)
				return
			}
			assert.Equal(t, 5, rc, out)
			assert.Contains(t, out, tc.want)
		})
	}
}

// offline.sh installs and loads only what the medium's SHA256SUMS lists,
// checked: an unlisted or altered package or image archive stops it before
// dpkg or docker runs (the real dpkg on packages made here; docker is a
// recorder: TestOfflineVM loads real images with real Docker).
func TestOfflineScript(t *testing.T) {
	requireEngine(t)
	c, ctx := connect(t)
	script := c.Host().File(filepath.Join(repoRoot(t), "installer", "offline.sh"))
	medium := c.Container().From(baseImage()).
		WithMountedFile("/opt/unison-platform/installer/offline.sh", script).
		WithNewFile("/usr/local/bin/docker", "#!/bin/sh\necho \"$*\" >> /tmp/docker.log\n", dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithExec([]string{"sh", "-c", `set -e
O=/opt/unison-platform/offline; mkdir -p $O/debs $O/images /tmp/pkg
for p in unison-a unison-b; do
  mkdir -p /tmp/pkg/$p/DEBIAN
  printf 'Package: %s\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: test\n' $p > /tmp/pkg/$p/DEBIAN/control
  dpkg-deb -b /tmp/pkg/$p $O/debs/${p}_1.0_all.deb >/dev/null
done
echo auth > $O/images/auth.tar; echo context > $O/images/context.tar
(cd $O/debs && sha256sum -- *.deb > SHA256SUMS) && (cd $O/images && sha256sum -- *.tar > SHA256SUMS)`})
	offline := "sh /opt/unison-platform/installer/offline.sh "
	cases := []struct{ name, change, cmd, want string }{
		{"unlisted package", "cp $O/debs/unison-a_1.0_all.deb $O/debs/extra_1.0_all.deb", "debs", "extra_1.0_all.deb is on the medium but not in /opt/unison-platform/offline/debs/SHA256SUMS: refusing it"},
		{"altered package", "echo x >> $O/debs/unison-b_1.0_all.deb", "debs", "the files in /opt/unison-platform/offline/debs do not match their checksums"},
		{"a path in the list", "echo \"$(sha256sum $O/debs/unison-a_1.0_all.deb | cut -c1-64)  ../unison-a_1.0_all.deb\" >> $O/debs/SHA256SUMS", "debs", "names ../unison-a_1.0_all.deb: not a file of that folder"},
		{"unlisted image", "echo other > $O/images/other.tar", "images", "other.tar is on the medium but not in /opt/unison-platform/offline/images/SHA256SUMS"},
		{"altered image", "echo changed > $O/images/context.tar", "images", "the files in /opt/unison-platform/offline/images do not match their checksums"},
		{"no image list", "rm $O/images/SHA256SUMS", "images", "has no SHA256SUMS: nothing is loaded unchecked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, rc, _ := run(ctx, t, medium, "O=/opt/unison-platform/offline; "+tc.change+" && "+offline+tc.cmd+"; rc=$?; "+
				"dpkg -s unison-a >/dev/null 2>&1 && echo INSTALLED; cat /tmp/docker.log 2>/dev/null; exit $rc")
			assert.Equal(t, 1, rc, out)
			assert.Contains(t, out, tc.want)
			assert.NotContains(t, out, "INSTALLED", "nothing installed after a refusal")
			assert.NotContains(t, out, "load -i", "nothing loaded after a refusal")
		})
	}
	// the listed files: both packages installed, both archives loaded once (the second start skips)
	out, rc, _ := run(ctx, t, medium, offline+"debs && dpkg -s unison-a unison-b | grep -c 'install ok installed' && "+
		offline+"images && "+offline+"images && cat /tmp/docker.log")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "installed Docker from the medium\n2\n")
	assert.Equal(t, 1, strings.Count(out, "load -i /opt/unison-platform/offline/images/auth.tar"), out)
	assert.Equal(t, 1, strings.Count(out, "load -i /opt/unison-platform/offline/images/context.tar"), out)
}
