package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hexsum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestDigest(t *testing.T) {
	data := strings.Repeat("0123456789", 25) // 250 bytes
	a, parts, err := Digest("x.iso", strings.NewReader(data), nil)
	require.NoError(t, err)
	assert.Equal(t, Asset{Name: "x.iso", Size: 250, SHA256: hexsum(data)}, a)
	assert.Empty(t, parts)

	plan, err := SplitPlan(a, 200, 100)
	require.NoError(t, err)
	require.Len(t, plan, 3)
	whole, parts, err := Digest("x.iso", strings.NewReader(data), plan)
	require.NoError(t, err)
	assert.Equal(t, a, whole, "the whole is the same read with or without parts")
	assert.Equal(t, []Asset{
		{Name: "x.iso.part01", Size: 100, SHA256: hexsum(data[:100])},
		{Name: "x.iso.part02", Size: 100, SHA256: hexsum(data[100:200])},
		{Name: "x.iso.part03", Size: 50, SHA256: hexsum(data[200:])},
	}, parts)
	require.NoError(t, CheckParts(a, plan, parts))

	for _, c := range []struct {
		name, data string
		err        string
	}{
		{"shorter than the plan", data[:220], "bytes, the split plan needs 250"},
		{"longer than the plan", data + "x", "1 bytes more than its split plan"},
	} {
		_, _, err := Digest("x.iso", strings.NewReader(c.data), plan)
		assert.ErrorContains(t, err, c.err, c.name)
	}
	_, _, err = Digest("x.iso", iotest.ErrReader(errors.New("connection reset")), nil)
	assert.ErrorContains(t, err, "connection reset")
}

func TestIndexNames(t *testing.T) {
	for _, c := range []struct {
		name, page string
		want       []string
	}{
		{"python3 -m http.server", `<!DOCTYPE HTML><html><body><h1>Directory listing for /</h1><hr><ul>
<li><a href="built-baremetal-iso.json">built-baremetal-iso.json</a></li>
<li><a href="unisonos-baremetal-v1.0.0.iso">unisonos-baremetal-v1.0.0.iso</a></li>
<li><a href="sub/">sub/</a></li>
<li><a href="a%20b%2Bc.json">a b+c.json</a></li>
</ul><hr></body></html>`, []string{"a b+c.json", "built-baremetal-iso.json", "unisonos-baremetal-v1.0.0.iso"}},
		{"Go http.FileServer", "<pre>\n<a href=\"x.qcow2\">x.qcow2</a>\n<a href=\"..%2Fescape\">../escape</a>\n<a href=\"./y.json\">y.json</a>\n</pre>\n", []string{"x.qcow2", "y.json"}},
		{"nginx autoindex", `<h1>Index of /</h1><hr><pre><a href="../">../</a>
<a href="unisonos-v1.wsl">unisonos-v1.wsl</a>  07-Dec-2026 10:00  1234
<A HREF="https://elsewhere/x">x</A> <a href="?C=N;O=D">sort</a> <a href=".hidden">h</a>
</pre>`, []string{"unisonos-v1.wsl"}},
		{"empty", "", nil},
	} {
		got, err := IndexNames(c.page)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	_, err := IndexNames(`<a href="%zz">`)
	assert.ErrorContains(t, err, "%zz")
}

func FuzzIndexNames(f *testing.F) {
	f.Add(`<a href="x.iso">x</a><a href="../">..</a>`)
	f.Add(`<A HREF="a%2Fb">`)
	f.Fuzz(func(t *testing.T, page string) {
		names, err := IndexNames(page)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, "/?#:") || strings.HasPrefix(n, ".") {
				t.Fatalf("%q: not a plain file name", n)
			}
		}
	})
}
