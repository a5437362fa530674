package integration

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// sharedRegistry is a real registry server (go-containerregistry's
// pkg/registry, run by the air-gapped mode) that the engine publishes to and
// containers read from under the same name.
func sharedRegistry(t testing.TB) string {
	t.Helper()
	r := os.Getenv("UNISON_SHARED_REGISTRY")
	if r == "" {
		t.Skip("no shared test registry: registry tests run on the air-gapped engine (make engine)")
	}
	return r
}

// registryTransport reaches the shared registry as a client holding this
// start's credentials does (airgap.sh env): they go with every request
// that carries no Authorization of its own. The registry refuses anonymous
// writes.
func registryTransport(t testing.TB) http.RoundTripper {
	t.Helper()
	user, pass := registryCredentials(t)
	if user == "" {
		return netnsTransport(t)
	}
	return basicAuth{netnsTransport(t), user, pass}
}

// registryCredentials are the shared registry's user and password ("" when
// the registry takes anonymous writes).
func registryCredentials(t testing.TB) (string, string) {
	t.Helper()
	f := os.Getenv("UNISON_REGISTRY_PASSWORD_FILE")
	if f == "" {
		return "", ""
	}
	pw, err := os.ReadFile(f)
	if err != nil {
		t.Fatalf("registry password (UNISON_REGISTRY_PASSWORD_FILE): %v", err)
	}
	return os.Getenv("UNISON_REGISTRY_USER"), strings.TrimSpace(string(pw))
}

// registryAuthArgs are the release chain's credentials for the shared registry.
func registryAuthArgs() []string {
	if f := os.Getenv("UNISON_REGISTRY_PASSWORD_FILE"); f != "" {
		return []string{"with-registry-auth", "--username", os.Getenv("UNISON_REGISTRY_USER"), "--secret", "file:" + f}
	}
	return nil
}

type basicAuth struct {
	next       http.RoundTripper
	user, pass string
}

func (b basicAuth) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.SetBasicAuth(b.user, b.pass)
	}
	return b.next.RoundTrip(r)
}

// netnsTransport dials from inside the engine's network namespace, where
// the registries listen: each dial runs on a locked OS thread that joined
// that namespace (the thread is discarded afterwards).
func netnsTransport(t testing.TB) http.RoundTripper {
	t.Helper()
	ns := os.Getenv("UNISON_AIRGAP_NETNS")
	if ns == "" {
		return http.DefaultTransport
	}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
			f, err := os.Open(ns)
			if err != nil {
				ch <- result{nil, err}
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				ch <- result{nil, err}
				return
			}
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
	return &http.Transport{DialContext: dial}
}

// remoteImage reads an image (the linux/amd64 one of an index) back from the registry.
func remoteImage(t testing.TB, ref string) (v1.Hash, *v1.ConfigFile, error) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return v1.Hash{}, nil, err
	}
	desc, err := remote.Get(r, remote.WithTransport(registryTransport(t)), remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		return v1.Hash{}, nil, err
	}
	img, err := desc.Image()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	cf, err := img.ConfigFile()
	return desc.Digest, cf, err
}

// The air-gapped registries refuse what a container on the engine could
// abuse: the docker.io mirror is read-only to everyone once seeded, the
// shared registry refuses anonymous or wrong-credential writes (its reads
// stay anonymous, through a read token as GHCR's public packages), and the
// seeded images are handed out by digest.
func TestRegistryRefusesWrites(t *testing.T) {
	reg := sharedRegistry(t)
	user, pass := registryCredentials(t)
	require.NotEmpty(t, user, "the air-gapped registry hands out credentials (airgap.sh env: UNISON_REGISTRY_USER)")
	const mirror = "127.0.0.1:5000" // airgap.sh's MIRROR, inside the engine's namespace
	anon := &http.Client{Transport: netnsTransport(t)}
	do := func(c *http.Client, method, url string, auth [2]string) *http.Response {
		req, err := http.NewRequest(method, url, nil)
		require.NoError(t, err)
		if auth[0] != "" {
			req.SetBasicAuth(auth[0], auth[1])
		}
		resp, err := c.Do(req)
		require.NoError(t, err, "%s %s", method, url)
		resp.Body.Close()
		return resp
	}
	none, wrong, good := [2]string{}, [2]string{user, "not-the-password-0000"}, [2]string{user, pass}
	for _, tc := range []struct {
		method, url string
		auth        [2]string
		want        int
	}{
		{http.MethodPost, "http://" + reg + "/v2/anyone/x/blobs/uploads/", none, http.StatusUnauthorized},
		{http.MethodPost, "http://" + reg + "/v2/anyone/x/blobs/uploads/", wrong, http.StatusUnauthorized},
		{http.MethodPut, "http://" + reg + "/v2/sigstore/cosign/manifests/v2.4.1", none, http.StatusUnauthorized},
		{http.MethodPost, "http://" + reg + "/v2/anyone/x/blobs/uploads/", good, http.StatusAccepted},
		{http.MethodGet, "http://" + reg + "/v2/", none, http.StatusUnauthorized},
		{http.MethodGet, "http://" + reg + "/v2/", good, http.StatusOK},
		{http.MethodPut, "http://" + mirror + "/v2/library/debian/manifests/bookworm", none, http.StatusMethodNotAllowed},
		{http.MethodPost, "http://" + mirror + "/v2/library/debian/blobs/uploads/", good, http.StatusMethodNotAllowed},
		{http.MethodHead, "http://" + mirror + "/v2/library/debian/manifests/bookworm", none, http.StatusOK},
	} {
		resp := do(anon, tc.method, tc.url, tc.auth)
		assert.Equal(t, tc.want, resp.StatusCode, "%s %s (credentials %t)", tc.method, tc.url, tc.auth[0] != "")
		if resp.StatusCode == http.StatusUnauthorized {
			assert.Equal(t, `Bearer realm="http://`+reg+`/token",service="unison-airgap"`, resp.Header.Get("WWW-Authenticate"))
		}
	}
	checkRegistryTokens(t, reg, anon, none, wrong, good)
	// the images builds use are pinned by digest: what the tags point at now
	for env, ref := range map[string]string{"UNISON_DEBIAN_IMAGE": mirror + "/library/debian:bookworm", "UNISON_COSIGN_IMAGE": reg + "/sigstore/cosign:v2.4.1"} {
		pinned := os.Getenv(env)
		_, d, ok := strings.Cut(pinned, "@")
		require.True(t, ok, "%s=%q names a digest", env, pinned)
		r, err := name.ParseReference(ref, name.Insecure)
		require.NoError(t, err)
		desc, err := remote.Head(r, remote.WithTransport(netnsTransport(t)))
		require.NoError(t, err, ref)
		assert.Equal(t, d, desc.Digest.String(), "%s is %s", env, ref)
	}
}

// checkRegistryTokens: anonymous pulls, as Docker makes them from a public
// GHCR package: the challenge's token endpoint hands an anonymous client a
// read token, and a push with it is refused.
func checkRegistryTokens(t *testing.T, reg string, anon *http.Client, none, wrong, good [2]string) {
	tokenOf := func(auth [2]string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, "http://"+reg+"/token?service=unison-airgap&scope=repository:anyone/x:pull,push", nil)
		require.NoError(t, err)
		if auth[0] != "" {
			req.SetBasicAuth(auth[0], auth[1])
		}
		resp, err := anon.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body struct {
			Token string `json:"token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Token
	}
	code, read := tokenOf(none)
	require.Equal(t, http.StatusOK, code)
	code, write := tokenOf(good)
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, read)
	require.NotEmpty(t, write)
	require.NotEqual(t, read, write)
	code, _ = tokenOf(wrong)
	assert.Equal(t, http.StatusUnauthorized, code, "a token for wrong credentials")
	withToken := func(method, url, token string) int {
		req, err := http.NewRequest(method, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := anon.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, withToken(http.MethodGet, "http://"+reg+"/v2/", read))
	assert.Equal(t, http.StatusUnauthorized, withToken(http.MethodPost, "http://"+reg+"/v2/anyone/x/blobs/uploads/", read))
	assert.Equal(t, http.StatusAccepted, withToken(http.MethodPost, "http://"+reg+"/v2/anyone/x/blobs/uploads/", write))
}
