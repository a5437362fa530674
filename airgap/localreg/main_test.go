package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The fault endpoint: absent without a token file, 401 without this start's
// token, armed with it (the next matching manifest PUT fails, others pass).
func TestFaultEndpoint(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	do := func(h http.Handler, method, path, auth string) int {
		req := httptest.NewRequest(method, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	const arm = "/_unison/fault?match=wsl&count=1"
	off := (&faults{}).wrap(ok)
	if c := do(off, http.MethodPost, arm, "Bearer x"); c != http.StatusNotFound {
		t.Errorf("no token file: got %d, want 404", c)
	}
	on := (&faults{token: "0123456789abcdef0123"}).wrap(ok)
	for _, auth := range []string{"", "Bearer wrong", "0123456789abcdef0123"} {
		if c := do(on, http.MethodPost, arm, auth); c != http.StatusUnauthorized {
			t.Errorf("auth %q: got %d, want 401", auth, c)
		}
	}
	if c := do(on, http.MethodPut, "/v2/o/unisonos-wsl/manifests/v1", ""); c != http.StatusCreated {
		t.Errorf("a refused arming changed nothing: got %d", c)
	}
	if c := do(on, http.MethodPost, arm, "Bearer 0123456789abcdef0123"); c != http.StatusNoContent {
		t.Fatalf("armed with the token: got %d, want 204", c)
	}
	if c := do(on, http.MethodPut, "/v2/o/unisonos-vm/manifests/v1", ""); c != http.StatusCreated {
		t.Errorf("non-matching PUT: got %d", c)
	}
	if c := do(on, http.MethodPut, "/v2/o/unisonos-wsl/manifests/v1", ""); c != http.StatusBadRequest {
		t.Errorf("matching PUT: got %d, want the injected 400", c)
	}
	if c := do(on, http.MethodPut, "/v2/o/unisonos-wsl/manifests/v1", ""); c != http.StatusCreated {
		t.Errorf("count 1: the second PUT passes, got %d", c)
	}
}
