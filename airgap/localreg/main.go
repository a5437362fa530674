// Command localreg is the air-gapped mode's registry: an in-memory OCI
// registry (go-containerregistry's pkg/registry) that listens only on
// addresses private to the engine's network namespace, seeded with images
// built from root filesystem tarballs. It can also write such an image as an
// OCI layout (for the engine's builtin content store) instead of serving.
package main

import (
	"crypto/subtle"
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
	"syscall"
	"time"

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

// allowed reports whether addr is loopback or the engine bridge gateway
// (10.87.0.1), which only exists inside the engine's network namespace.
func allowed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.Equal(net.IPv4(10, 87, 0, 1)))
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

func main() {
	addrs := flag.String("addr", "127.0.0.1:5000", "comma list of listen addresses (loopback or 10.87.0.1 only); the first is used for seeding")
	images := flag.String("images", "", "comma list of ROOTFS.tar=REPO:TAG pushed after start")
	layoutOut := flag.String("layout", "", "instead of serving: write the first -images entry as an OCI layout here and print its manifest digest")
	envFlag := flag.String("env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "image environment, entries separated by ';'")
	workdir := flag.String("workdir", "", "image working directory")
	tokenFile := flag.String("fault-token-file", "", "file holding the token POST /_unison/fault requires (none: no fault endpoint)")
	flag.Parse()
	log.SetFlags(log.LstdFlags)
	specs, err := parseImages(*images)
	if err != nil {
		log.Fatal(err)
	}
	env := strings.Split(*envFlag, ";")

	if *layoutOut != "" {
		if len(specs) == 0 {
			log.Fatal("-layout needs -images")
		}
		img, err := buildImage(specs[0].rootfs, env, *workdir)
		if err != nil {
			log.Fatal(err)
		}
		lp, err := layout.Write(*layoutOut, empty.Index)
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
		return
	}

	list := strings.Split(*addrs, ",")
	for _, a := range list {
		if !allowed(a) {
			log.Fatalf("refusing to listen on %s: only loopback and the engine bridge gateway 10.87.0.1 are allowed", a)
		}
	}
	f := &faults{}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil || len(strings.TrimSpace(string(b))) < 16 {
			log.Fatalf("fault-token-file %s: want a token of at least 16 characters (%v)", *tokenFile, err)
		}
		f.token = strings.TrimSpace(string(b))
	}
	handler := f.wrap(registry.New(registry.Logger(log.New(os.Stderr, "reg ", log.LstdFlags))))
	first, err := listen(list[0], 0)
	if err != nil {
		log.Fatal(err)
	}
	go func() { log.Fatal(http.Serve(first, handler)) }()
	for _, a := range list[1:] {
		go func(a string) {
			ln, err := listen(a, 24*time.Hour)
			if err != nil {
				log.Printf("listen %s: %v", a, err)
				return
			}
			log.Printf("listening on %s", a)
			log.Print(http.Serve(ln, handler))
		}(a)
	}
	for _, s := range specs {
		ref, err := name.ParseReference(list[0]+"/"+s.ref, name.Insecure)
		if err != nil {
			log.Fatal(err)
		}
		img, err := buildImage(s.rootfs, env, *workdir)
		if err != nil {
			log.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			log.Fatal(err)
		}
		log.Printf("pushed %s", ref)
	}
	log.Printf("ready")
	select {}
}
