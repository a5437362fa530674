package main

import (
	"encoding/json"
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
	a := newWriteAuth("unison", "0123456789abcdef0123")
	h := a.wrap(ok)
	// the tokens /token hands out: the write token for the credentials, the read token for anyone
	token := func(user, pass string) (int, string) {
		req := httptest.NewRequest(http.MethodGet, "/token?scope=repository:o/x:pull,push&service=unison-airgap", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if body.Token != body.AccessToken {
			t.Errorf("token %q and access_token %q differ", body.Token, body.AccessToken)
		}
		return rec.Code, body.Token
	}
	code, write := token("unison", "0123456789abcdef0123")
	if code != http.StatusOK || write != a.write {
		t.Fatalf("token with the credentials: %d %q, want 200 and the write token", code, write)
	}
	code, read := token("", "")
	if code != http.StatusOK || read != a.read || read == write {
		t.Fatalf("anonymous token: %d %q, want 200 and the read token", code, read)
	}
	if code, _ := token("unison", "wrong-password-0000"); code != http.StatusUnauthorized {
		t.Fatalf("token with wrong credentials: %d, want 401", code)
	}
	for _, tc := range []struct {
		method, path, user, pass, bearer string
		want                             int
	}{
		{http.MethodGet, "/v2/o/x/manifests/v1", "", "", "", http.StatusAccepted},
		{http.MethodHead, "/v2/o/x/blobs/sha256:aa", "", "", "", http.StatusAccepted},
		{http.MethodGet, "/v2/", "", "", "", http.StatusUnauthorized},
		{http.MethodGet, "/v2/", "", "", read, http.StatusAccepted},
		{http.MethodGet, "/v2/", "", "", "not-a-token", http.StatusUnauthorized},
		{http.MethodGet, "/v2/", "unison", "0123456789abcdef0123", "", http.StatusAccepted},
		{http.MethodPost, "/v2/o/x/blobs/uploads/", "", "", "", http.StatusUnauthorized},
		{http.MethodPost, "/v2/o/x/blobs/uploads/", "", "", read, http.StatusUnauthorized},
		{http.MethodPost, "/v2/o/x/blobs/uploads/", "", "", write, http.StatusAccepted},
		{http.MethodPut, "/v2/library/debian/manifests/bookworm", "", "", "", http.StatusUnauthorized},
		{http.MethodPut, "/v2/o/x/manifests/v1", "unison", "wrong-password-0000", "", http.StatusUnauthorized},
		{http.MethodPatch, "/v2/o/x/blobs/uploads/1", "other", "0123456789abcdef0123", "", http.StatusUnauthorized},
		{http.MethodDelete, "/v2/o/x/manifests/v1", "", "", "", http.StatusUnauthorized},
		{http.MethodPut, "/v2/o/x/manifests/v1", "unison", "0123456789abcdef0123", "", http.StatusAccepted},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Host = "10.87.0.1:5001"
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s as %q (token %t): got %d, want %d", tc.method, tc.path, tc.user, tc.bearer != "", rec.Code, tc.want)
		}
		if want := `Bearer realm="http://10.87.0.1:5001/token",service="unison-airgap"`; rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != want {
			t.Errorf("%s %s: 401 with challenge %q, want %q", tc.method, tc.path, rec.Header().Get("WWW-Authenticate"), want)
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
