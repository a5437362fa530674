package pins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
)

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// signer stands in for Ubuntu's signing key; other is a key nobody trusts.
var signer, other = newKey("pins test signer"), newKey("someone else")

func newKey(name string) *openpgp.Entity {
	e, err := openpgp.NewEntity(name, "", "pins@test.invalid", nil)
	if err != nil {
		panic(err)
	}
	return e
}

func signText(t *testing.T, e *openpgp.Entity, text string) string {
	var b bytes.Buffer
	require.NoError(t, openpgp.ArmoredDetachSign(&b, e, strings.NewReader(text), nil))
	return b.String()
}

// parsed reads the pins and gives them the signer's key, as the module does from signed_by.
func parsed(t *testing.T, data string) []Pin {
	ps, err := Parse("u.yaml", []byte(data))
	require.NoError(t, err)
	for i := range ps {
		ps[i].Keys = openpgp.EntityList{signer}
	}
	return ps
}

// a fake Ubuntu release tree on a real HTTP server: 24.04.4 is the newest
// point release, 24.04.3 moved to old-releases, the 20250704 cloud serial
// was pruned to the archive and 20251120 is current.
func tree(t *testing.T, edits ...func(files map[string]string)) string {
	iso3, iso4, img1, img2 := "iso 24.04.3", "iso 24.04.4", "cloud 20250704", "cloud 20251120"
	n3, n4, ni := "ubuntu-24.04.3-live-server-amd64.iso", "ubuntu-24.04.4-live-server-amd64.iso", "ubuntu-24.04-server-cloudimg-amd64.img"
	files := map[string]string{
		"/releases/24.04/SHA256SUMS":                       sum(iso4) + " *" + n4 + "\n" + sum("x") + " *ubuntu-24.04.4-desktop-amd64.iso\n",
		"/releases/24.04.4/" + n4:                          iso4,
		"/releases/24.04.4/SHA256SUMS":                     sum(iso4) + " *" + n4 + "\n",
		"/old-releases/releases/24.04.3/" + n3:             iso3,
		"/old-releases/releases/24.04.3/SHA256SUMS":        sum(iso3) + " *" + n3 + "\n",
		"/cloud/noble/release/SHA256SUMS":                  sum(img2) + " *" + ni + "\n",
		"/cloud/noble/release/unpacked/build-info.txt":     "build_name=server\nserial=20251120\n",
		"/cloud/noble/release-20251120/" + ni:              img2,
		"/cloud/noble/release-20251120/SHA256SUMS":         sum(img2) + " *" + ni + "\n",
		"/cloud-archive/noble/release-20250704/" + ni:      img1,
		"/cloud-archive/noble/release-20250704/SHA256SUMS": sum(img1) + " *" + ni + "\n",
	}
	// Ubuntu signs every SHA256SUMS (SHA256SUMS.gpg, armored and detached): here the test key
	for name, body := range files {
		if strings.HasSuffix(name, "/SHA256SUMS") {
			files[name+".gpg"] = signText(t, signer, body)
		}
	}
	for _, edit := range edits {
		edit(files)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if r.Method == http.MethodGet {
			fmt.Fprint(w, body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func yamlFor(base string) string {
	return strings.NewReplacer("BASE", base, "ISO3", sum("iso 24.04.3"), "IMG1", sum("cloud 20250704")).Replace(`# pins for the tests
live_server_iso:
  urls:
    - BASE/releases/24.04.3/ubuntu-24.04.3-live-server-amd64.iso
    - BASE/old-releases/releases/24.04.3/ubuntu-24.04.3-live-server-amd64.iso
  sha256: ISO3
  signed_by: keys/test.asc
  update:
    index: BASE/releases/24.04/SHA256SUMS
    file: 'ubuntu-(?P<version>24\.04\.\d+)-live-server-amd64\.iso'
    urls:
      - BASE/releases/{version}/{file}
      - BASE/old-releases/releases/{version}/{file}
cloud_image:
  # the serial directory is pruned: the archive keeps it
  urls:
    - BASE/cloud/noble/release-20250704/ubuntu-24.04-server-cloudimg-amd64.img
    - BASE/cloud-archive/noble/release-20250704/ubuntu-24.04-server-cloudimg-amd64.img
  sha256: IMG1
  signed_by: keys/test.asc
  update:
    index: BASE/cloud/noble/release/SHA256SUMS
    file: 'ubuntu-24\.04-server-cloudimg-amd64\.img'
    serial: BASE/cloud/noble/release/unpacked/build-info.txt
    urls:
      - BASE/cloud/noble/release-{version}/{file}
      - BASE/cloud-archive/noble/release-{version}/{file}
`)
}

func TestCheck(t *testing.T) {
	base, ctx := tree(t), context.Background()
	ps := parsed(t, yamlFor(base))
	lines, err := Check(ctx, HTTP{}, ps[0])
	require.NoError(t, err, "the moved point release is still served by old-releases")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "FAIL "+base+"/releases/24.04.3/ubuntu-24.04.3-live-server-amd64.iso: HEAD")
	assert.Contains(t, lines[0], "404")
	assert.Contains(t, lines[1], "ok   "+base+"/old-releases/")
	_, err = Check(ctx, HTTP{}, ps[1])
	require.NoError(t, err)

	wrong := ps[0]
	wrong.SHA256 = strings.Repeat("0", 64)
	_, err = Check(ctx, HTTP{}, wrong)
	require.ErrorContains(t, err, "live_server_iso: "+base+"/old-releases/releases/24.04.3/SHA256SUMS publishes SHA-256 "+sum("iso 24.04.3"))
	require.ErrorContains(t, err, "the pin says 0000")

	gone := ps[0]
	gone.URLs = gone.URLs[:1]
	_, err = Check(ctx, HTTP{}, gone)
	require.ErrorContains(t, err, "live_server_iso: none of its 1 URLs serves the pinned file: run `dagger call pins update`")
}

func TestUpdateRewrites(t *testing.T) {
	base, ctx := tree(t), context.Background()
	data := []byte(yamlFor(base))
	ps := parsed(t, string(data))
	for _, p := range ps {
		np, changed, err := Update(ctx, HTTP{}, p)
		require.NoError(t, err, p.Name)
		require.True(t, changed, p.Name)
		_, err = Check(ctx, HTTP{}, np)
		require.NoError(t, err, "the updated %s pin checks out", p.Name)
		data, err = Rewrite(data, np)
		require.NoError(t, err)
	}
	golden.Equal(t, filepath.Join("testdata", "updated.golden.yaml"), []byte(strings.ReplaceAll(string(data), base, "BASE")))
	again := parsed(t, string(data))
	assert.Equal(t, base+"/releases/24.04.4/ubuntu-24.04.4-live-server-amd64.iso", again[0].URLs[0])
	assert.Equal(t, sum("iso 24.04.4"), again[0].SHA256)
	assert.Equal(t, base+"/cloud/noble/release-20251120/ubuntu-24.04-server-cloudimg-amd64.img", again[1].URLs[0])
	for _, p := range again {
		_, changed, err := Update(ctx, HTTP{}, p)
		require.NoError(t, err)
		assert.False(t, changed, "%s is the newest already", p.Name)
	}
}

func TestUpdateErrors(t *testing.T) {
	base, ctx := tree(t), context.Background()
	ps := parsed(t, yamlFor(base))
	p := ps[0]
	r := *p.Update
	r.Index = base + "/releases/99.04/SHA256SUMS"
	p.Update = &r
	_, _, err := Update(ctx, HTTP{}, p)
	require.ErrorContains(t, err, "live_server_iso.update.index: GET "+base+"/releases/99.04/SHA256SUMS: 404")
	c := ps[1]
	cr := *c.Update
	cr.Serial = base + "/releases/24.04/SHA256SUMS"
	c.Update = &cr
	_, _, err = Update(ctx, HTTP{}, c)
	require.ErrorContains(t, err, "has no serial=... line")
}

// No SHA256SUMS is trusted without a good signature by the pin's key: a
// tampered list, a missing signature, another signer, a list swapped for
// another signed one are named; Update refuses such an index.
func TestSignatures(t *testing.T) {
	n3 := "/old-releases/releases/24.04.3/SHA256SUMS"
	for name, tc := range map[string]struct {
		edit func(files map[string]string)
		want string
	}{
		"tampered list":  {func(f map[string]string) { f[n3] = sum("evil") + " *ubuntu-24.04.3-live-server-amd64.iso\n" }, "does not verify with keys/test.asc"},
		"no signature":   {func(f map[string]string) { delete(f, n3+".gpg") }, "is not signed (no "},
		"another signer": {func(f map[string]string) { f[n3+".gpg"] = signText(t, other, f[n3]) }, "does not verify with keys/test.asc"},
		"swapped list": {func(f map[string]string) {
			f[n3], f[n3+".gpg"] = f["/releases/24.04.4/SHA256SUMS"], f["/releases/24.04.4/SHA256SUMS.gpg"]
			f[n3] += "# a line\n"
		}, "does not verify"},
		"garbage signature": {func(f map[string]string) { f[n3+".gpg"] = "not a signature" }, "does not verify"},
	} {
		t.Run(name, func(t *testing.T) {
			base, ctx := tree(t, tc.edit), context.Background()
			ps := parsed(t, yamlFor(base))
			lines, err := Check(ctx, HTTP{}, ps[0])
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			assert.Contains(t, lines[1], "FAIL "+base+"/old-releases/")
			assert.Contains(t, lines[1], tc.want)
		})
	}
	base, ctx := tree(t, func(f map[string]string) {
		f["/releases/24.04/SHA256SUMS.gpg"] = signText(t, other, f["/releases/24.04/SHA256SUMS"])
	}), context.Background()
	ps := parsed(t, yamlFor(base))
	_, _, err := Update(ctx, HTTP{}, ps[0])
	require.ErrorContains(t, err, "live_server_iso.update.index: "+base+"/releases/24.04/SHA256SUMS: its signature "+base+"/releases/24.04/SHA256SUMS.gpg does not verify")
	// no key at all: nothing verifies
	ps[1].Keys = nil
	_, err = Check(ctx, HTTP{}, ps[1])
	require.ErrorContains(t, err, "no key to verify with")
}

func TestParseRejects(t *testing.T) {
	ok := "a:\n  urls: [https://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n  signed_by: keys/k.asc\n"
	_, err := Parse("u.yaml", []byte(ok))
	require.NoError(t, err)
	for in, want := range map[string]string{
		"a:\n  urls: [ftp://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n":                          `u.yaml:2: a.urls[0]: "ftp://x/y.iso": want an http(s):// URL`,
		"a:\n  urls: [https://x/y.iso]\n  sha256: abc\n":                                                    "a.sha256: want 64 lowercase hex digits",
		"a:\n  sha256: " + strings.Repeat("a", 64) + "\n":                                                   "needs urls (at least one), sha256 and signed_by",
		"a:\n  urls: [https://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n":                        "needs urls (at least one), sha256 and signed_by",
		"a:\n  urls: [https://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n  signed_by: ../k.asc\n": "a.signed_by: \"../k.asc\": want a path under images/",
		"a:\n  urls: [https://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n  signed_by: /k.asc\n":   "a.signed_by",
		"a:\n  urls: [https://x/y.iso]\n  sha256: " + strings.Repeat("a", 64) + "\n  signed_by: k.gpg\n":    "a.signed_by",
		"a:\n  url: https://x\n": "url",
		ok + "  update:\n    index: https://x/S\n    file: 'a('\n    urls: ['https://x/{file}']\n":    "a.update.file: not a regexp",
		ok + "  update:\n    index: https://x/S\n    file: 'a.iso'\n    urls: ['https://x/{file}']\n": "file needs a (?P<version>...) group, or give serial",
		ok + "  update:\n    file: '(?P<version>a)'\n    urls: ['https://x/{file}']\n":                "needs index (a SHA256SUMS URL)",
	} {
		_, err := Parse("u.yaml", []byte(in))
		assert.ErrorContains(t, err, want, in)
	}
}

// The module's own pins parse, and each names a fallback URL and an update rule.
func TestRealPins(t *testing.T) {
	data, err := os.ReadFile("../../images/ubuntu.yaml")
	require.NoError(t, err)
	ps, err := Parse("images/ubuntu.yaml", data)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	for _, p := range ps {
		assert.GreaterOrEqual(t, len(p.URLs), 2, "%s has a fallback URL", p.Name)
		require.NotNil(t, p.Update, p.Name)
	}
	assert.Equal(t, "live_server_iso", ps[0].Name)
	assert.Contains(t, ps[0].URLs[1], "old-releases.ubuntu.com")
	// the keys Ubuntu signs its SHA256SUMS with (from Debian's ubuntu-keyring package)
	signers := map[string][]string{
		"live_server_iso": {"843938DF228D22F7B3742BC0D94AA3F0EFE21092"},                                             // Ubuntu CD Image Automatic Signing Key (2012)
		"cloud_image":     {"D2EB44626FDDC30B513D5BB71A5D6C4C7DB87C81", "4A3CE3CD565D7EB5C810E2B97FF3F408476CF100"}, // UEC Image Automatic Signing Key, Ubuntu Cloud Image Builder
	}
	for _, p := range ps {
		armored, err := os.ReadFile(filepath.Join("../../images", p.SignedBy))
		require.NoError(t, err, p.Name)
		keys, err := ReadKeys(p.SignedBy, string(armored))
		require.NoError(t, err, p.Name)
		var fps []string
		for _, k := range keys {
			fps = append(fps, fmt.Sprintf("%X", k.PrimaryKey.Fingerprint))
		}
		assert.Equal(t, signers[p.Name], fps, p.Name)
	}
	_, err = ReadKeys("k.asc", signText(t, signer, "x"))
	assert.ErrorContains(t, err, "k.asc: not an armored OpenPGP public key file")
}

func TestNewer(t *testing.T) {
	assert.True(t, newer("24.04.10", "24.04.4"))
	assert.False(t, newer("24.04.4", "24.04.10"))
	assert.False(t, newer("1", "1.0"))
}
