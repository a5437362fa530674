package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"dagger.io/dagger"
	"github.com/project-unisonOS/unison-platform/pipelines/qa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceImages publishes the reference service (images/reference-service)
// as every service of platform 0.6.0 with the module's reference-services
// (service-build, as the reusable workflow builds a service repository)
// under reg/owner; it returns SERVICE=sha256:... pins.
func referenceImages(t *testing.T, reg, owner string) []string {
	t.Helper()
	args := []string{"lab", "reference-services", "--registry", reg, "--owner", owner, "--platform-version", "0.6.0"}
	if user, _ := registryCredentials(t); user != "" {
		args = append(args, "--username", user, "--secret", "file:"+os.Getenv("UNISON_REGISTRY_PASSWORD_FILE"))
	}
	out := mustCall(t, 30*time.Minute, args...)
	var pins []string
	for _, svc := range []string{"auth", "context", "inference", "orchestrator"} {
		imageName, tag, _ := strings.Cut(serviceTags[svc], ":")
		m := regexp.MustCompile(`(?m)^` + svc + ` ` + regexp.QuoteMeta(reg+"/"+owner+"/"+imageName+":"+tag) + `@(sha256:[0-9a-f]{64})$`).FindStringSubmatch(out)
		require.NotNil(t, m, "reference-services printed no digest for %s: %s", svc, out)
		pins = append(pins, svc+"="+m[1])
	}
	return pins
}

// reference is the reference services of one test process, built and
// published once under the shared registry's "reference" owner (the same
// inputs give the same digests, so a rerun republishes what is there).
var reference struct {
	sync.Mutex
	pins []string
}

// referencePlatform returns the registry prefix holding the reference
// services at the tags of platform 0.6.0 and their SERVICE=sha256:... pins.
// Every test that starts the platform (in a container, in a VM) runs them.
func referencePlatform(t *testing.T) (string, []string) {
	t.Helper()
	reg := sharedRegistry(t)
	reference.Lock()
	defer reference.Unlock()
	if reference.pins == nil {
		reference.pins = referenceImages(t, reg, "reference")
	}
	return reg + "/reference", reference.pins
}

// platformHost is a machine with real Docker Engine and Compose v2 from
// Debian 13's archive (docker.io 26 with docker-cli, docker-compose 2.26: what Ubuntu 24.04
// ships as docker.io and docker-compose-v2), the tools the checks use, and
// the bundle unpacked in /b.
func platformHost(c *dagger.Client, bundle *dagger.File, reg string) *dagger.Container {
	sources := "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: trixie trixie-updates\nComponents: main\n" +
		"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
	return c.Container().From(baseImage()).
		WithNewFile("/etc/apt/sources.list.d/debian.sources", sources).
		WithExec([]string{"sh", "-c", "rm -f /etc/apt/sources.list && apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " +
			"docker.io docker-cli docker-compose iptables jq curl iproute2 procps ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*"}).
		WithNewFile("/etc/docker/daemon.json", fmt.Sprintf(`{"insecure-registries": [%q]}`+"\n", reg)).
		WithMountedFile("/in/bundle.tar.gz", bundle).
		WithExec([]string{"sh", "-c", "mkdir -p /b && tar -xzf /in/bundle.tar.gz -C /b"})
}

// The platform as it ships, running for real: the reference services built
// by service-build and pinned by digest in the bundle's compose.yaml, the
// installer and the systemd unit's own commands on a machine with real
// Docker and Compose v2 (bridge networking, overlay2, iptables), every
// service healthy by compose's account, the service contract as Docker
// applied it, loopback-only ports, an inference answer naming the model of
// models.json read through the contract's read-only mount, the platform back
// after the Docker daemon restarts, and two broken machines refused.
func TestPlatformCompose(t *testing.T) {
	requireEngine(t)
	reg := sharedRegistry(t)
	owner := "plat" + time.Now().UTC().Format("150405")
	prefix, pins := referencePlatform(t)
	images := imagesFor(t, prefix)
	bundlePath := filepath.Join(outDir(t), "bundle.tar.gz")
	args := append([]string{"--images", images}, bundleArgs()...)
	for _, p := range pins {
		args = append(args, "--digests", p)
	}
	mustCall(t, 10*time.Minute, append(args, "export", "--path", bundlePath)...)

	c, ctx := connect(t)
	script, err := os.ReadFile(filepath.Join(repoRoot(t), "integration", "testdata", "platform-host.sh"))
	require.NoError(t, err)
	host := platformHost(c, c.Host().File(bundlePath), reg).
		WithNewFile("/usr/local/bin/platform-host", string(script), dagger.ContainerWithNewFileOpts{Permissions: 0o755}).
		// Docker's storage: not the container's own overlay root, a fresh one per run
		WithMountedCache("/var/lib/docker", c.CacheVolume("unison-platform-docker-"+owner)).
		WithEnvVariable("UNISON_TEST_NONCE", owner)
	if user, pass := registryCredentials(t); user != "" {
		host = host.WithEnvVariable("REGISTRY", reg).WithEnvVariable("REGISTRY_USER", user).
			WithMountedSecret("/run/secrets/registry-password", c.SetSecret("registry-password-"+owner, pass))
	}
	out, err := host.WithExec([]string{"platform-host"}, dagger.ContainerWithExecOpts{InsecureRootCapabilities: true}).Stdout(ctx)
	require.NoError(t, err)
	t.Log("\n" + out)
	require.Contains(t, out, "CHECKS DONE")

	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^CHECK ([a-z-]+): (.*)$`).FindAllStringSubmatch(out, -1) {
		got[m[1]] = m[2]
	}
	want := []string{"install", "unit-start", "healthy", "loopback-only", "health-auth", "health-context", "health-inference",
		"health-orchestrator", "inference-model", "after-restart", "missing-models-refused", "unreadable-models-refused"}
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	assert.ElementsMatch(t, want, names)
	for _, n := range want {
		assert.Equal(t, "ok", got[n], n)
	}
	// real components: Debian 13's Docker 26 and Compose v2, overlay2, Docker's bridge network
	assert.Regexp(t, `(?m)^docker 26\.`, out)
	assert.Regexp(t, `(?m)^Docker Compose version v?2\.`, out)
	assert.Regexp(t, `(?m)^storage overlay2, networks .*bridge`, out)
	checkComposeContract(t, out)
	// the machine paths platform.env names, mounted at the contract's paths
	inf := regexp.MustCompile(`(?m)^inspect: inference .*$`).FindString(out)
	assert.Contains(t, inf, "/opt/unison-platform/models.json->/unison/models/models.json:ro")
	assert.Contains(t, inf, "/var/lib/unisonos/models->/unison/models/store:ro")
	assert.Contains(t, regexp.MustCompile(`(?m)^inspect: auth .*$`).FindString(out), "network=unison-platform_default", "Docker's bridge network of the project")
	// the images that ran are the pinned reference images
	for _, p := range pins {
		svc, digest, _ := strings.Cut(p, "=")
		assert.Contains(t, out, "@"+digest, svc)
	}
}

// checkComposeContract judges, with qa.Containers, the contract as Docker applied
// it (compose ps and docker inspect of platform-host.sh), and the machine
// whose models.json is unreadable: QA names the service and the rule.
func checkComposeContract(t *testing.T, out string) {
	jsonOf := func(key string) []byte {
		m := regexp.MustCompile(`(?m)^json-` + key + `: (.*)$`).FindStringSubmatch(out)
		require.NotNil(t, m, key)
		return []byte(m[1])
	}
	services := jsonOf("services")
	judged, err := qa.Containers(services, jsonOf("up-ps"), jsonOf("up-inspect"))
	require.NoError(t, err)
	require.Len(t, judged, 4*7+2+3, "every rule of every service judged")
	for _, r := range judged {
		assert.True(t, r.Passed, "%s: %s", r.Name, r.Message)
	}
	// the machine with an unreadable models.json: QA names the service and the rule
	judged, err = qa.Containers(services, jsonOf("unreadable-ps"), jsonOf("unreadable-inspect"))
	require.NoError(t, err)
	failed := map[string]string{}
	for _, r := range judged {
		if !r.Passed {
			failed[r.Name] = r.Message
		}
	}
	assert.Len(t, failed, 2, "%v", failed)
	assert.Contains(t, failed["inference running healthy"], `health "unhealthy": the contract wants GET /health to answer 200`)
	assert.Contains(t, failed["orchestrator running healthy"], "state created")
}
