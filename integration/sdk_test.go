package integration

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"dagger.io/dagger"
)

// connect opens a Go SDK (dagger.io/dagger v0.19.7) session on the engine.
func connect(t testing.TB) (*dagger.Client, context.Context) {
	t.Helper()
	requireEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	t.Cleanup(cancel)
	c, err := dagger.Connect(ctx, dagger.WithLogOutput(os.Stderr))
	mustf(t, err, "connect to the engine")
	t.Cleanup(func() { c.Close() })
	return c, ctx
}

// baseImage is the Debian image the verification containers start from.
func baseImage() string {
	if airgapped() {
		return "debian:bookworm"
	}
	return "docker.io/library/debian:bookworm"
}

// The Go SDK client reaches the same engine and runs containers on it.
func TestSDKRunsContainer(t *testing.T) {
	c, ctx := connect(t)
	out, err := c.Container().From(baseImage()).
		WithExec([]string{"sh", "-c", "cat /etc/debian_version; id -u"}).Stdout(ctx)
	mustf(t, err, "run container")
	if !regexp.MustCompile(`^12\.\d+\n0\n$`).MatchString(out) {
		t.Fatalf("unexpected output %q", out)
	}
}
