package qa

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListeners(t *testing.T) {
	for name, tc := range map[string]struct {
		ss     string
		passed bool
		msg    string
	}{
		"platform as it ships": {`udp   UNCONN 0      0      10.0.2.15%enp0s2:68        0.0.0.0:*
udp   UNCONN 0      0      127.0.0.54:53        0.0.0.0:*
tcp   LISTEN 0      4096   127.0.0.1:8080       0.0.0.0:*
tcp   LISTEN 0      4096   127.0.0.1:8087       0.0.0.0:*
tcp   LISTEN 0      128    0.0.0.0:22           0.0.0.0:*
tcp   LISTEN 0      128    [::]:22              [::]:*
tcp   LISTEN 0      4096   [::1]:631            [::]:*
tcp   LISTEN 0      4096   [::ffff:127.0.0.1]:9000 *:*
`, true, "only SSH listens beyond loopback (8 sockets: udp 10.0.2.15%enp0s2:68"},
		"a service on every address": {"tcp LISTEN 0 4096 0.0.0.0:8081 0.0.0.0:*\ntcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n", false,
			"listening beyond loopback (only SSH may): tcp 0.0.0.0:8081"},
		"ipv6 any and a guest address": {"tcp LISTEN 0 4096 [::]:8087 [::]:*\nudp UNCONN 0 0 10.0.2.15:5353 0.0.0.0:*\n", false,
			"tcp [::]:8087, udp 10.0.2.15:5353"},
		"udp 22 is not ssh": {"udp UNCONN 0 0 0.0.0.0:22 0.0.0.0:*\n", false, "udp 0.0.0.0:22"},
		"wildcard host":     {"tcp LISTEN 0 4096 *:9090 *:*\n", false, "tcp *:9090"},
		"nothing":           {"", true, "0 sockets"},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Listeners(tc.ss)
			require.NoError(t, err)
			assert.Equal(t, "listeners", r.Name)
			assert.Equal(t, tc.passed, r.Passed, r.Message)
			assert.Contains(t, r.Message, tc.msg)
		})
	}
	for _, bad := range []string{"LISTEN 0 128 0.0.0.0:22\n", "tcp LISTEN 0 128 localhost *:*\n", "Netid State Recv-Q Send-Q Local\n"} {
		_, err := Listeners(bad)
		assert.Error(t, err, bad)
	}
}

// Judged results travel in results.tsv like the runner's: written and read back the same.
func TestResultsTSVRoundTrip(t *testing.T) {
	in := []Result{
		{Name: "auth running healthy", Passed: true, Message: "compose: running, healthy"},
		{Name: "listeners", Message: "listening beyond loopback:\ttcp 0.0.0.0:8081\nmore"},
		{Name: "gpu", Passed: true, Skipped: true, Message: "no GPU", Seconds: 1.5},
	}
	out, err := ParseResults(ResultsTSV(in))
	require.NoError(t, err)
	require.Len(t, out, 3)
	assert.Equal(t, in[0], out[0])
	assert.False(t, out[1].Passed)
	assert.Equal(t, "listening beyond loopback: tcp 0.0.0.0:8081 more", out[1].Message)
	assert.Equal(t, in[2], out[2])
}
