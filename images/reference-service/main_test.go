package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// start serves on a free loopback port and returns it.
func start(t *testing.T, svc string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strings.TrimPrefix(l.Addr().String(), "127.0.0.1:")
	require.NoError(t, l.Close())
	go func() { _ = serve(svc, port, "/health") }()
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 5*time.Second, 20*time.Millisecond)
	return port
}

func TestContract(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models.json")
	t.Setenv("UNISON_MODELS_FILE", models)
	port := start(t, "inference")

	// no models.json: not healthy, the probe fails, inference refuses
	assert.Error(t, healthcheck(port, "/health"))
	resp, err := http.Get("http://127.0.0.1:" + port + "/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)

	// a models.json without a text model is not enough
	require.NoError(t, os.WriteFile(models, []byte(`{"provider":"ollama"}`), 0o644))
	assert.ErrorContains(t, healthcheck(port, "/health"), "503")

	require.NoError(t, os.WriteFile(models, []byte(`{"provider":"ollama","text_model":"qwen2.5:0.5b"}`), 0o644))
	require.NoError(t, healthcheck(port, "/health"))
	resp, err = http.Post("http://127.0.0.1:"+port+"/inference/request", "application/json", strings.NewReader(`{"prompt":"hi"}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "qwen2.5:0.5b", body["model"])
	assert.Contains(t, body["response"], "qwen2.5:0.5b")

	// a service without models is healthy on its own
	t.Setenv("UNISON_MODELS_FILE", "")
	require.NoError(t, healthcheck(start(t, "auth"), "/health"))
}
