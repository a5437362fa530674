package integration

import (
	"context"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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

// registryTransport dials from inside the engine's network namespace, where
// the shared registry listens: each dial runs on a locked OS thread that
// joined that namespace (the thread is discarded afterwards).
func registryTransport(t testing.TB) http.RoundTripper {
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
