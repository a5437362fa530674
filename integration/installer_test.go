package integration

import (
	"context"
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

// The installers run for real in containers: files, unit contents,
// permissions, idempotence, and every refusal with its exit code.
func TestInstallers(t *testing.T) {
	requireEngine(t)
	bundlePath := buildBundle(t, outDir(t))
	c, ctx := connect(t)
	base := c.Container().From(baseImage()).
		WithMountedFile("/in/bundle.tar.gz", c.Host().File(bundlePath)).
		WithExec([]string{"sh", "-c", "mkdir -p /b && tar -xzf /in/bundle.tar.gz -C /b"})
	const inst = "/b/unison-platform/installer/"

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

	stubbed := base.
		WithNewFile("/usr/local/bin/docker", dockerStub, dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		WithNewFile("/usr/local/bin/systemctl", systemctlStub, dagger.ContainerWithNewFileOpts{Permissions: 0o755})

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

	out, rc, _ := run(ctx, t, stubbed, inst+"install-docker.sh --dry-run; test ! -e /opt/unison-platform && test ! -e /etc/unison && echo NOTHING-WRITTEN")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "would run: install -D -m 644 /b/unison-platform/compose.yaml /opt/unison-platform/compose.yaml")
	assert.Contains(t, out, "NOTHING-WRITTEN")

	out, rc, installed := run(ctx, t, stubbed, inst+"install-docker.sh")
	require.Equal(t, 0, rc, out)
	assert.Contains(t, out, "Next: edit /etc/unison/platform.env")

	facts, rc, _ := run(ctx, t, installed, `set -e
stat -c 'env-mode=%a owner=%u' /etc/unison/platform.env
cmp /etc/unison/platform.env /b/unison-platform/platform.env.template && echo env-from-template
stat -c 'installer-mode=%a' /opt/unison-platform/installer/install-docker.sh
stat -c 'compose-mode=%a' /opt/unison-platform/compose.yaml
echo "wants=$(readlink /etc/systemd/system/multi-user.target.wants/unison-platform.service)"
cat /etc/systemd/system/unison-platform.service`)
	require.Equal(t, 0, rc, facts)
	assert.Contains(t, facts, "env-mode=600 owner=0")
	assert.Contains(t, facts, "env-from-template")
	assert.Contains(t, facts, "installer-mode=755")
	assert.Contains(t, facts, "compose-mode=644")
	assert.Contains(t, facts, "wants=/etc/systemd/system/unison-platform.service")
	assert.Contains(t, facts, "\nExecStart=/usr/bin/docker compose --project-directory /opt/unison-platform -f /opt/unison-platform/compose.yaml up -d --remove-orphans\n")
	assert.Contains(t, facts, "\nExecStartPre=/bin/bash /opt/unison-platform/installer/common.sh check-env /etc/unison/platform.env\n")
	assert.Contains(t, facts, "\nWantedBy=multi-user.target\n")
	assert.NotRegexp(t, `\d+files|\$\$`, facts, "no shell expansion leaked into the unit")

	// idempotent: a second run changes nothing and keeps an edited platform.env
	edited := installed.WithExec([]string{"sh", "-c", "echo 'UNISON_LOG_LEVEL=debug' >> /etc/unison/platform.env; chmod 644 /etc/unison/platform.env"})
	out, rc, again := run(ctx, t, edited, inst+"install-docker.sh")
	require.Equal(t, 0, rc, out)
	assert.NotContains(t, out, "unison: install ", "second run reinstalls nothing")
	assert.Contains(t, out, "keep existing /etc/unison/platform.env")
	assert.Contains(t, out, "fix mode of /etc/unison/platform.env to 600")
	check, _, _ := run(ctx, t, again, "tail -1 /etc/unison/platform.env; stat -c %a /etc/unison/platform.env")
	assert.Equal(t, "UNISON_LOG_LEVEL=debug\n600\n", check)

	// refuses to start with placeholders, and with weak secrets
	out, rc, _ = run(ctx, t, installed, inst+"install-docker.sh --start")
	assert.Equal(t, 5, rc, out)
	assert.Contains(t, out, "refusing to start")
	assert.Contains(t, out, "UNISON_AUTH_SECRET (placeholder)")
	weak := installed.WithExec([]string{"sh", "-c", `sed -i 's/^UNISON_AUTH_SECRET=.*/UNISON_AUTH_SECRET=password12345678/; s/^UNISON_JWT_SECRET=.*/UNISON_JWT_SECRET=short/; s/^UNISON_ADMIN_EMAIL=.*/UNISON_ADMIN_EMAIL=ops@example.com/' /etc/unison/platform.env`})
	out, rc, _ = run(ctx, t, weak, "bash /opt/unison-platform/installer/common.sh check-env /etc/unison/platform.env")
	assert.Equal(t, 5, rc, out)
	assert.Contains(t, out, "UNISON_AUTH_SECRET (a well-known weak value)")
	assert.Contains(t, out, "UNISON_JWT_SECRET (shorter than 16 characters)")

	// good values: it starts (through systemctl)
	good := installed.WithExec([]string{"sh", "-c", `sed -i 's/^UNISON_AUTH_SECRET=.*/UNISON_AUTH_SECRET=8c1f0e6a9d2b4f7e3a5c6d8e9f0a1b2c/; s/^UNISON_JWT_SECRET=.*/UNISON_JWT_SECRET=f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8/; s/^UNISON_ADMIN_EMAIL=.*/UNISON_ADMIN_EMAIL=ops@example.com/' /etc/unison/platform.env`})
	out, rc, started := run(ctx, t, good, inst+"install-docker.sh --start --pull")
	require.Equal(t, 0, rc, out)
	log, _, _ := run(ctx, t, started, "cat /var/log/systemctl-stub.log /var/log/docker-stub.log")
	assert.Contains(t, log, "systemctl start unison-platform.service")
	assert.Contains(t, log, "docker compose --project-directory /opt/unison-platform -f /opt/unison-platform/compose.yaml pull")
}
