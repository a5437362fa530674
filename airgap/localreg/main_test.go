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

// The shared registry's writes need this start's credentials; reads stay
// anonymous, but the /v2/ ping challenges so that clients send what they hold.
func TestWriteAuth(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	h := writeAuth{"unison", "0123456789abcdef0123"}.wrap(ok)
	for _, tc := range []struct {
		method, path, user, pass string
		want                     int
	}{
		{http.MethodGet, "/v2/o/x/manifests/v1", "", "", http.StatusAccepted},
		{http.MethodHead, "/v2/o/x/blobs/sha256:aa", "", "", http.StatusAccepted},
		{http.MethodGet, "/v2/", "", "", http.StatusUnauthorized},
		{http.MethodGet, "/v2/", "unison", "0123456789abcdef0123", http.StatusAccepted},
		{http.MethodPost, "/v2/o/x/blobs/uploads/", "", "", http.StatusUnauthorized},
		{http.MethodPut, "/v2/library/debian/manifests/bookworm", "", "", http.StatusUnauthorized},
		{http.MethodPut, "/v2/o/x/manifests/v1", "unison", "wrong-password-0000", http.StatusUnauthorized},
		{http.MethodPatch, "/v2/o/x/blobs/uploads/1", "other", "0123456789abcdef0123", http.StatusUnauthorized},
		{http.MethodDelete, "/v2/o/x/manifests/v1", "", "", http.StatusUnauthorized},
		{http.MethodPut, "/v2/o/x/manifests/v1", "unison", "0123456789abcdef0123", http.StatusAccepted},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s as %q: got %d, want %d", tc.method, tc.path, tc.user, rec.Code, tc.want)
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != `Basic realm="unison-airgap"` {
			t.Errorf("%s %s: 401 without a Basic challenge", tc.method, tc.path)
		}
	}
}

// The mirror takes its seed, then refuses every write, to anyone.
func TestReadOnlyMirror(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	ro := &readOnly{}
	h := ro.wrap(ok)
	do := func(method, path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	if c := do(http.MethodPut, "/v2/library/debian/manifests/bookworm"); c != http.StatusCreated {
		t.Errorf("seeding before sealing: got %d", c)
	}
	ro.sealed.Store(true)
	for _, m := range []string{http.MethodPut, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		if c := do(m, "/v2/library/debian/manifests/bookworm"); c != http.StatusMethodNotAllowed {
			t.Errorf("%s after sealing: got %d, want 405", m, c)
		}
	}
	if c := do(http.MethodGet, "/v2/library/debian/manifests/bookworm"); c != http.StatusCreated {
		t.Errorf("GET after sealing: got %d", c)
	}
}
