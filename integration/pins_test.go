package integration

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// engineHTTP serves files over HTTP where the engine's containers reach it:
// in the air-gapped engine's network namespace, on the registry's address.
func engineHTTP(t *testing.T, files map[string]string) string {
	t.Helper()
	reg := sharedRegistry(t)
	host, _, err := net.SplitHostPort(reg)
	require.NoError(t, err)
	ch := make(chan net.Listener, 1)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if ns := os.Getenv("UNISON_AIRGAP_NETNS"); ns != "" {
			f, err := os.Open(ns)
			if err != nil {
				errc <- err
				return
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
				errc <- err
				return
			}
		}
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			errc <- err
			return
		}
		ch <- l
	}()
	var l net.Listener
	select {
	case l = <-ch:
	case err := <-errc:
		t.Fatalf("listen in the engine's network: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, p)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// testPins is an images/ubuntu.yaml of TestPins' served files: the ISO pin
// with an update rule (two URLs, the first gone), the cloud image without.
func testPins(url, n3, isoSHA, shaC, cloudKey string) string {
	return fmt.Sprintf(`live_server_iso:
  urls:
    - %[1]s/releases/24.04.3/%[2]s
    - %[1]s/old-releases/releases/24.04.3/%[2]s
  sha256: %[3]s
  signed_by: keys/test.asc
  update:
    index: %[1]s/releases/24.04/SHA256SUMS
    file: 'ubuntu-(?P<version>24\.04\.\d+)-live-server-amd64\.iso'
    urls:
      - %[1]s/releases/{version}/{file}
      - %[1]s/old-releases/releases/{version}/{file}
cloud_image:
  urls:
    - %[1]s/cloud/ubuntu.img
  sha256: %[4]s
  signed_by: %[5]s
`, url, n3, isoSHA, shaC, cloudKey)
}

// pins check and pins update on the engine against a fake Ubuntu tree: the
// pinned point release moved to old-releases (its first URL is a 404), a
// newer one is out; a build without --base-iso downloads from the fallback
// URL; a wrong SHA-256 is named.
func TestPins(t *testing.T) {
	requireEngine(t)
	dir := outDir(t)
	base := filepath.Join(dir, "base.iso")
	mustCall(t, 20*time.Minute, "lab", "standin-iso", "export", "--path", base)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	n3, n4 := "ubuntu-24.04.3-live-server-amd64.iso", "ubuntu-24.04.4-live-server-amd64.iso"
	sha3 := fileSHA(t, base)
	iso4 := write("iso4", "the next point release")
	sha4 := fileSHA(t, iso4)
	cloud := write("cloud.img", "a cloud image")
	shaC := fileSHA(t, cloud)
	// every SHA256SUMS signed (SHA256SUMS.gpg) by a key standing in for Ubuntu's
	signer, stranger := pgpKey(t, "pins signer"), pgpKey(t, "a stranger")
	files := map[string]string{
		"/old-releases/releases/24.04.3/" + n3: base,
		"/releases/24.04.4/" + n4:              iso4,
		"/cloud/ubuntu.img":                    cloud,
	}
	for name, body := range map[string]string{
		"/old-releases/releases/24.04.3/SHA256SUMS": sha3 + " *" + n3 + "\n",
		"/releases/24.04/SHA256SUMS":                sha4 + " *" + n4 + "\n",
		"/releases/24.04.4/SHA256SUMS":              sha4 + " *" + n4 + "\n",
		"/cloud/SHA256SUMS":                         shaC + " *ubuntu.img\n",
	} {
		files[name] = write(strings.ReplaceAll(name, "/", "_"), body)
		files[name+".gpg"] = write(strings.ReplaceAll(name, "/", "_")+".gpg", pgpSign(t, signer, body))
	}
	url := engineHTTP(t, files)
	var cloudKey string
	pinsYAML := func(isoSHA string) string { return testPins(url, n3, isoSHA, shaC, cloudKey) }
	images := copyImages(t)
	require.NoError(t, os.WriteFile(filepath.Join(images, "keys", "test.asc"), []byte(pgpPublic(t, signer)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(images, "keys", "stranger.asc"), []byte(pgpPublic(t, stranger)), 0o644))
	cloudKey = "keys/test.asc"
	require.NoError(t, os.WriteFile(filepath.Join(images, "ubuntu.yaml"), []byte(pinsYAML(sha3)), 0o644))

	check := mustCall(t, 10*time.Minute, "--images", images, "pins", "check")
	assert.Contains(t, check, "FAIL "+url+"/releases/24.04.3/"+n3+": HEAD")
	assert.Contains(t, check, "ok   "+url+"/old-releases/releases/24.04.3/"+n3)
	assert.Contains(t, check, "ok   "+url+"/cloud/ubuntu.img")

	// a build with no --base-iso downloads the pin, from the URL that serves it
	out := filepath.Join(dir, "iso")
	mustCall(t, 20*time.Minute, "--images", images, "baremetal-iso", "--version", "v0.6.0", "--commit", sampleSHA,
		"--commit-time", sampleTime, "--ssh-authorized-keys", testKey, "export", "--path", out)
	assert.Contains(t, extractUserData(t, filepath.Join(out, "unisonos-baremetal-v0.6.0.iso")), testKey)

	updated := mustCall(t, 10*time.Minute, "--images", images, "pins", "update", "contents")
	assert.Contains(t, updated, "    - "+url+"/releases/24.04.4/"+n4+"\n    - "+url+"/old-releases/releases/24.04.4/"+n4+"\n  sha256: "+sha4)
	assert.Contains(t, updated, "  sha256: "+shaC, "the cloud pin has no update rule and stays")

	require.NoError(t, os.WriteFile(filepath.Join(images, "ubuntu.yaml"), []byte(pinsYAML(strings.Repeat("0", 64))), 0o644))
	bad := daggerCall(t, 10*time.Minute, "--images", images, "pins", "check")
	require.Error(t, bad.Err)
	assert.Contains(t, bad.Stderr, "live_server_iso: "+url+"/old-releases/releases/24.04.3/SHA256SUMS publishes SHA-256 "+sha3)

	// a SHA256SUMS is trusted only with its signature by the pin's key
	cloudKey = "keys/stranger.asc"
	require.NoError(t, os.WriteFile(filepath.Join(images, "ubuntu.yaml"), []byte(pinsYAML(sha3)), 0o644))
	unsigned := daggerCall(t, 10*time.Minute, "--images", images, "pins", "check")
	require.Error(t, unsigned.Err)
	assert.Contains(t, unsigned.Stderr, "cloud_image: "+url+"/cloud/SHA256SUMS: its signature "+url+"/cloud/SHA256SUMS.gpg does not verify with keys/stranger.asc")
}

// pgpKey generates an OpenPGP key (a stand-in for a release signing key).
func pgpKey(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", "test@unison.invalid", nil)
	require.NoError(t, err)
	return e
}

// pgpSign is the armored detached signature of text, as SHA256SUMS.gpg.
func pgpSign(t *testing.T, e *openpgp.Entity, text string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, openpgp.ArmoredDetachSign(&b, e, strings.NewReader(text), nil))
	return b.String()
}

// pgpPublic is the armored public key of e.
func pgpPublic(t *testing.T, e *openpgp.Entity) string {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, openpgp.PublicKeyType, nil)
	require.NoError(t, err)
	require.NoError(t, e.Serialize(w))
	require.NoError(t, w.Close())
	return b.String()
}

// upkeep on the engine: a Go file of image pins whose digest is stale moves
// to what its tag points at in a real registry now (read back with
// go-containerregistry), the apt snapshot moves to the given day, and
// UPKEEP.md says both; a pin whose tag the registry does not have, and a
// date that is not a date, are refused naming them.
func TestUpkeep(t *testing.T) {
	requireEngine(t)
	cosign, _, _ := strings.Cut(cosignImage(), "@")
	current, err := tagDigest(t, cosign)
	require.NoError(t, err)
	stale := "sha256:" + strings.Repeat("0", 64)
	dir := outDir(t)
	src := filepath.Join(dir, "pins.go")
	require.NoError(t, os.WriteFile(src, []byte("package main\n\nconst cosign = \""+cosign+"@"+stale+"\"\n"), 0o644))
	out := filepath.Join(dir, "upkeep")
	mustCall(t, 10*time.Minute, "pins", "upkeep", "--date", "2026-12-06", "--media=false", "--image-pins", src, "export", "--path", out)
	assert.Equal(t, "package main\n\nconst cosign = \""+cosign+"@"+current+"\"\n", readFile(t, filepath.Join(out, "ci", "main.go")))
	apt := readFile(t, filepath.Join(out, "images", "apt.yaml"))
	assert.Contains(t, apt, "\nsnapshot: 20261206T000000Z\n")
	assert.Equal(t, strings.Replace(readFile(t, filepath.Join(repoRoot(t), "images", "apt.yaml")), "snapshot: 20261120T000000Z", "snapshot: 20261206T000000Z", 1), apt,
		"only the snapshot line moves")
	notes := readFile(t, filepath.Join(out, "UPKEEP.md"))
	assert.Contains(t, notes, "- "+cosign+": "+stale+" -> "+current+"\n")
	assert.Contains(t, notes, "- apt snapshot: 20261120T000000Z -> 20261206T000000Z\n")
	_, err = os.Stat(filepath.Join(out, "images", "ubuntu.yaml"))
	assert.True(t, os.IsNotExist(err), "--media=false leaves the Ubuntu pins")

	require.NoError(t, os.WriteFile(src, []byte("const x = \""+cosign+"-missing@"+stale+"\"\n"), 0o644))
	missing := daggerCall(t, 10*time.Minute, "pins", "upkeep", "--date", "2026-12-06", "--media=false", "--image-pins", src, "entries")
	require.Error(t, missing.Err)
	assert.Contains(t, missing.Stderr, "could not read the current digest of:")
	assert.Contains(t, missing.Stderr, cosign+"-missing")
	bad := daggerCall(t, 10*time.Minute, "pins", "upkeep", "--date", "next week", "--media=false", "entries")
	require.Error(t, bad.Err)
	assert.Contains(t, bad.Stderr, `date "next week": want YYYY-MM-DD`)
}
