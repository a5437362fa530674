// Command localreg is the air-gapped mode's registries, in-memory OCI
// registries (go-containerregistry's pkg/registry) that listen only on
// addresses private to the engine's network namespace: a read-only docker.io
// mirror (seeded at start, then GET/HEAD only) and the shared registry tests
// and releases push to, whose writes need the credentials of this start. Both
// are seeded with images built from root filesystem tarballs. It can also
// write such an image as an OCI layout (for the engine's builtin content
// store) instead of serving.
package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type imageSpec struct{ rootfs, ref string }

func parseImages(s string) ([]imageSpec, error) {
	var out []imageSpec
	for _, e := range strings.Split(s, ",") {
		if e == "" {
			continue
		}
		p := strings.SplitN(e, "=", 2)
		if len(p) != 2 || p[0] == "" || p[1] == "" {
			return nil, fmt.Errorf("-images: %q is not ROOTFS.tar=REPO:TAG", e)
		}
		out = append(out, imageSpec{p[0], p[1]})
	}
	return out, nil
}

func buildImage(rootfsTar string, env []string, workdir string) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(rootfsTar)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Env = env
	cf.Config.WorkingDir = workdir
	cf.Config.Cmd = []string{"bash"}
	return mutate.ConfigFile(img, cf)
}

// faults injects registry failures for tests of interrupted pushes:
// POST /_unison/fault?match=SUBSTRING&count=N with "Authorization: Bearer
// TOKEN" (the token of this start, see -fault-token-file) makes the next N
// manifest PUTs whose path contains SUBSTRING fail with 400
// MANIFEST_INVALID (a status clients do not retry); count=0 disarms.
// Without a token file the endpoint does not exist; a wrong or missing
// token gets 401. Nothing else changes.
type faults struct {
	token string
	mu    sync.Mutex
	match string
	left  int
}

func (f *faults) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_unison/fault" && r.Method == http.MethodPost {
			if f.token == "" {
				http.Error(w, "fault injection is off (no -fault-token-file)", http.StatusNotFound)
				return
			}
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+f.token)) != 1 {
				http.Error(w, "fault injection needs this start's token", http.StatusUnauthorized)
				return
			}
			n, err := strconv.Atoi(r.URL.Query().Get("count"))
			if err != nil || n < 0 {
				http.Error(w, "count: a number >= 0", http.StatusBadRequest)
				return
			}
			f.mu.Lock()
			f.match, f.left = r.URL.Query().Get("match"), n
			f.mu.Unlock()
			log.Printf("fault: next %d manifest PUTs matching %q fail", n, r.URL.Query().Get("match"))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			f.mu.Lock()
			hit := f.left > 0 && strings.Contains(r.URL.Path, f.match)
			if hit {
				f.left--
			}
			f.mu.Unlock()
			if hit {
				log.Printf("fault: failing PUT %s", r.URL.Path)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"errors":[{"code":"MANIFEST_INVALID","message":"injected failure (localreg fault)"}]}`)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// allowed reports whether addr is loopback or the engine's gateway (the
// air-gapped engine's bridge 10.87.0.1, Docker mode's bridge), which only
// exist inside the engine's network namespace.
func allowed(addr string, gateway net.IP) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.Equal(gateway))
}

// listen binds addr, waiting for the address to appear (the engine creates
// its bridge, and so 10.87.0.1, only after it started).
func listen(addr string, wait time.Duration) (net.Listener, error) {
	deadline := time.Now().Add(wait)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil || !errors.Is(err, syscall.EADDRNOTAVAIL) || time.Now().After(deadline) {
			return ln, err
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// writeAuth is the shared registry's auth, the way GHCR's works for public
// packages: the /v2/ ping answers a client without a token 401 with a
// Bearer challenge naming /token; /token gives a client holding this start's
// credentials (HTTP Basic) the write token, an anonymous one the read token,
// wrong credentials 401. Reads need nothing (anonymous pulls: Docker in a
// QA guest), writes the write token or the credentials themselves.
type writeAuth struct{ user, pass, write, read string }

func newWriteAuth(user, pass string) writeAuth {
	return writeAuth{user: user, pass: pass, write: randomToken(), read: randomToken()}
}

func randomToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		log.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// basic: the request carries this start's credentials.
func (a writeAuth) basic(r *http.Request) bool {
	u, p, has := r.BasicAuth()
	return has && subtle.ConstantTimeCompare([]byte(u), []byte(a.user)) == 1 && subtle.ConstantTimeCompare([]byte(p), []byte(a.pass)) == 1
}

// bearer: the request carries this token.
func (a writeAuth) bearer(r *http.Request, token string) bool {
	t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1
}

func (a writeAuth) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			a.token(w, r)
			return
		}
		writer := a.basic(r) || a.bearer(r, a.write)
		read := r.Method == http.MethodGet || r.Method == http.MethodHead
		ping := strings.TrimSuffix(r.URL.Path, "/") == "/v2"
		switch {
		case writer, read && !ping, ping && a.bearer(r, a.read):
			h.ServeHTTP(w, r)
		default:
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="unison-airgap"`, r.Host))
			registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "writes need this start's registry credentials (airgap.sh env: UNISON_REGISTRY_USER, UNISON_REGISTRY_PASSWORD_FILE)")
		}
	})
}

// token answers the Bearer challenge: the write token for the credentials,
// the read token for an anonymous client.
func (a writeAuth) token(w http.ResponseWriter, r *http.Request) {
	tok := a.read
	if _, _, has := r.BasicAuth(); has {
		if !a.basic(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="unison-airgap"`)
			registryError(w, http.StatusUnauthorized, "UNAUTHORIZED", "wrong registry credentials")
			return
		}
		tok = a.write
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"token":%q,"access_token":%q,"expires_in":86400}`, tok, tok)
}

// readOnly refuses every write once sealed (after the mirror was seeded).
type readOnly struct{ sealed atomic.Bool }

func (ro *readOnly) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ro.sealed.Load() && r.Method != http.MethodGet && r.Method != http.MethodHead {
			registryError(w, http.StatusMethodNotAllowed, "UNSUPPORTED", "the docker.io mirror is read-only")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func registryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

// readSecret reads a one-line secret file (at least 16 characters).
func readSecret(flagName, file string) string {
	b, err := os.ReadFile(file)
	if err != nil || len(strings.TrimSpace(string(b))) < 16 {
		log.Fatalf("%s %s: want a secret of at least 16 characters (%v)", flagName, file, err)
	}
	return strings.TrimSpace(string(b))
}

func main() {
	mirror := flag.String("mirror", "", "listen address of the read-only docker.io mirror (seeded with -mirror-images, then GET/HEAD only)")
	mirrorImages := flag.String("mirror-images", "", "comma list of ROOTFS.tar=REPO:TAG seeded into the mirror")
	addrs := flag.String("addr", "127.0.0.1:5000", "comma list of listen addresses of the shared registry (loopback or -gateway only); the first is used for seeding")
	gatewayFlag := flag.String("gateway", "10.87.0.1", "the engine's gateway address in its network namespace, the one address besides loopback the registries may listen on")
	images := flag.String("images", "", "comma list of ROOTFS.tar=REPO:TAG pushed to the shared registry after start")
	layoutOut := flag.String("layout", "", "instead of serving: write the first -images entry as an OCI layout here and print its manifest digest")
	envFlag := flag.String("env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "image environment, entries separated by ';'")
	workdir := flag.String("workdir", "", "image working directory")
	tokenFile := flag.String("fault-token-file", "", "file holding the token POST /_unison/fault requires (none: no fault endpoint)")
	credsFile := flag.String("credentials-file", "", "file holding USER:PASSWORD the shared registry's writes require (none: anonymous writes)")
	flag.Parse()
	log.SetFlags(log.LstdFlags)
	specs, err := parseImages(*images)
	if err != nil {
		log.Fatal(err)
	}
	mirrorSpecs, err := parseImages(*mirrorImages)
	if err != nil {
		log.Fatal(err)
	}
	env := strings.Split(*envFlag, ";")

	if *layoutOut != "" {
		writeLayout(*layoutOut, specs, env, *workdir)
		return
	}

	list := strings.Split(*addrs, ",")
	gateway := net.ParseIP(*gatewayFlag)
	if gateway == nil {
		log.Fatalf("-gateway %q: not an IP address", *gatewayFlag)
	}
	for _, a := range append([]string{*mirror}, list...) {
		if a != "" && !allowed(a, gateway) {
			log.Fatalf("refusing to listen on %s: only loopback and the engine's gateway %s are allowed", a, gateway)
		}
	}
	f := &faults{}
	if *tokenFile != "" {
		f.token = readSecret("-fault-token-file", *tokenFile)
	}
	shared := registry.New(registry.Logger(log.New(os.Stderr, "reg ", log.LstdFlags)))
	var auth []remote.Option
	if *credsFile != "" {
		user, pass, ok := strings.Cut(readSecret("-credentials-file", *credsFile), ":")
		if !ok || user == "" || len(pass) < 16 {
			log.Fatalf("-credentials-file %s: want USER:PASSWORD, a password of at least 16 characters", *credsFile)
		}
		shared = newWriteAuth(user, pass).wrap(shared)
		auth = append(auth, remote.WithAuth(&authn.Basic{Username: user, Password: pass}))
	}
	if *mirror != "" {
		ro := &readOnly{}
		serve(*mirror, 0, ro.wrap(registry.New(registry.Logger(log.New(os.Stderr, "mirror ", log.LstdFlags)))))
		seed(*mirror, mirrorSpecs, env, *workdir)
		ro.sealed.Store(true)
		log.Printf("mirror %s: read-only", *mirror)
	}
	serve(list[0], 0, f.wrap(shared))
	for _, a := range list[1:] {
		go serve(a, 24*time.Hour, f.wrap(shared))
	}
	seed(list[0], specs, env, *workdir, auth...)
	log.Printf("ready")
	select {}
}

// serve listens on addr (waiting up to wait for it to appear) and serves h.
func serve(addr string, wait time.Duration, h http.Handler) {
	ln, err := listen(addr, wait)
	if err != nil {
		if wait > 0 {
			log.Printf("listen %s: %v", addr, err)
			return
		}
		log.Fatal(err)
	}
	log.Printf("listening on %s", addr)
	go func() { log.Fatal(http.Serve(ln, h)) }()
}

// seed pushes each image to the registry at addr and logs REF@DIGEST.
func seed(addr string, specs []imageSpec, env []string, workdir string, opts ...remote.Option) {
	for _, s := range specs {
		ref, err := name.ParseReference(addr+"/"+s.ref, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		img, err := buildImage(s.rootfs, env, workdir)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(ref, img, opts...); err != nil {
			log.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			log.Fatal(err)
		}
		log.Printf("pushed %s@%s", ref, d)
	}
}

// writeLayout writes the first image as an OCI layout and prints its digest.
func writeLayout(dir string, specs []imageSpec, env []string, workdir string) {
	if len(specs) == 0 {
		log.Fatal("-layout needs -images")
	}
	img, err := buildImage(specs[0].rootfs, env, workdir)
	if err != nil {
		log.Fatal(err)
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		log.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		log.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.String())
}
