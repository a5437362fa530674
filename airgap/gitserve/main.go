// Command gitserve serves the bare git repositories of a folder over git's
// smart HTTP protocol (git http-backend as CGI, as git documents for a web
// server), read-only: Docker mode's stand-in for a git host, so that a
// module called by reference (dagger call -m http://HOST/REPO.git@TAG) is
// cloned the way the engine clones github.com. It listens only on the
// address it is given inside the lab's network namespace.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"strings"
)

func main() {
	root := flag.String("root", "", "folder of bare repositories (REPO.git)")
	addr := flag.String("addr", "", "listen address")
	flag.Parse()
	if *root == "" || *addr == "" {
		log.Fatal("usage: gitserve -root DIR -addr HOST:PORT")
	}
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		log.Fatalf("git --exec-path: %v (install git)", err)
	}
	backend := &cgi.Handler{
		Path: strings.TrimSpace(string(out)) + "/git-http-backend",
		Env:  []string{"GIT_PROJECT_ROOT=" + *root, "GIT_HTTP_EXPORT_ALL=1"},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// fetches only: a push (receive-pack) is refused
		if strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack" {
			http.Error(w, "read-only", http.StatusForbidden)
			return
		}
		log.Printf("%s %s", r.Method, r.URL)
		backend.ServeHTTP(w, r)
	})
	log.Printf("serving %s on %s", *root, *addr)
	log.Fatal(http.ListenAndServe(*addr, h))
}
