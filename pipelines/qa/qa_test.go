package qa

import (
	"github.com/project-unisonOS/unison-platform/pipelines/internal/golden"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const services = `{"platform_version":"0.6.0","services":[
 {"name":"orchestrator","image":"x","port":8080,"health":"/health"},
 {"name":"inference","image":"y","port":8087,"health":"/health","inference":"/inference/request"}]}`

func TestPlan(t *testing.T) {
	cs, err := Plan([]byte(services))
	require.NoError(t, err)
	require.Len(t, cs, 5)
	assert.Equal(t, Check{Name: "inference health", Service: "inference", Kind: "health", Port: 8087, Path: "/health"}, cs[0])
	assert.Equal(t, "inference", cs[2].Kind)
	// every service port is checked from outside: it must not answer
	assert.Equal(t, Check{Name: "orchestrator not exposed", Service: "orchestrator", Kind: "exposure", Port: 8080, Path: "/health"}, cs[4])
	assert.Equal(t, []int{8080, 8087}, Ports(cs))
	assert.Equal(t, "health\t8087\t/health\tinference health\nhealth\t8080\t/health\torchestrator health\ninference\t8087\t/inference/request\tinference inference\n"+
		"exposure\t8087\t/health\tinference not exposed\nexposure\t8080\t/health\torchestrator not exposed\n", PlanTSV(cs))
	for _, bad := range []string{`nope`, `{"services":[]}`, `{"services":[{"name":"a","port":0,"health":"/h"}]}`} {
		_, err := Plan([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestReport(t *testing.T) {
	rs, err := ParseResults("boot\tpass\t12.5\treached UNISON-FIRSTBOOT: done\nauth health\tfail\t120.0\tno answer on port 8088 within 120s\n")
	require.NoError(t, err)
	assert.False(t, Passed(rs))
	got := JUnit("qa-smoke", rs)
	golden.Equal(t, filepath.Join("testdata", "junit.golden.xml"), got)
	s := Summary("qa-smoke", rs)
	assert.Contains(t, s, "qa-smoke: FAILED (2 checks, 1 failed)")
	assert.Contains(t, s, "FAIL auth health")
	_, err = ParseResults("")
	require.ErrorContains(t, err, "no results")
	_, err = ParseResults("x\tmaybe\t1\n")
	require.Error(t, err)
}

func TestSkippedChecks(t *testing.T) {
	rs, err := ParseResults("bios: x\tskip\t0\tno serial console\nkernel: x\tpass\t9.5\tseen\n")
	require.NoError(t, err)
	assert.True(t, Passed(rs), "a skipped check does not fail the suite")
	assert.Contains(t, Summary("qa-smoke-iso", rs), "qa-smoke-iso: PASSED (2 checks, 0 failed, 1 skipped)")
	assert.Contains(t, Summary("qa-smoke-iso", rs), "skip bios: x")
	j := string(JUnit("qa-smoke-iso", rs))
	assert.Contains(t, j, `skipped="1"`)
	assert.Contains(t, j, `<skipped message="no serial console"></skipped>`)
	_, err = ParseResults("a\tmaybe\t0\tx\n")
	require.Error(t, err)
}
