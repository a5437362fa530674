package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// retentionGH stands in for gh: an organization owner, one package's
// versions as GitHub's packages API lists them ($GH_VERSIONS), other
// packages missing; DELETE calls are logged to $GH_LOG.
const retentionGH = `#!/bin/bash
case "$*" in
"api /users/o --jq .type") echo Organization ;;
"api --paginate /orgs/o/packages/container/unison-platform/versions") cat "$GH_VERSIONS" ;;
"api --paginate "*) echo '{"message":"Package not found."}'; exit 1 ;;
"api -X DELETE "*) echo "$4" >> "$GH_LOG" ;;
*) echo "unexpected gh $*" >&2; exit 9 ;;
esac
`

// The retention job deletes nightlies older than KEEP_DAYS whose tags are
// all nightly ones, with their signatures and attestations, and nothing
// else: not a version a moving tag, a release or a beta names, not a young
// nightly, not an untagged platform manifest.
func TestEdgeRetention(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	_ = os.MkdirAll(bin, 0o755)
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(retentionGH), 0o755); err != nil {
		t.Fatal(err)
	}
	versions := `[
{"id":1,"name":"sha256:aa","created_at":"2026-10-01T03:00:00Z","metadata":{"container":{"tags":["edge-main-20261001","sha-aaaaaaa"]}}},
{"id":2,"name":"sha256:a0","created_at":"2026-10-01T03:00:00Z","metadata":{"container":{"tags":["sha256-aa.sig"]}}},
{"id":3,"name":"sha256:a1","created_at":"2026-10-01T03:00:00Z","metadata":{"container":{"tags":["sha256-aa.att"]}}},
{"id":4,"name":"sha256:bb","created_at":"2026-10-02T03:00:00Z","metadata":{"container":{"tags":["edge-main-20261002","edge-main","edge","sha-bbbbbbb"]}}},
{"id":5,"name":"sha256:cc","created_at":"2026-10-03T03:00:00Z","metadata":{"container":{"tags":["v1.4.0-beta.1","beta","sha-ccccccc"]}}},
{"id":6,"name":"sha256:dd","created_at":"2026-10-04T03:00:00Z","metadata":{"container":{"tags":["v1.3.0","latest"]}}},
{"id":7,"name":"sha256:ee","created_at":"2026-10-04T03:00:00Z","metadata":{"container":{"tags":[]}}},
{"id":8,"name":"sha256:ff","created_at":"2026-12-01T03:00:00Z","metadata":{"container":{"tags":["edge-main-20261201"]}}},
{"id":9,"name":"sha256:ab","created_at":"2026-10-05T03:00:00Z","metadata":{"container":{"tags":["sha-abababa"]}}}
]
`
	vf := filepath.Join(tmp, "versions.json")
	_ = os.WriteFile(vf, []byte(versions), 0o644)
	script, _ := filepath.Abs("../../../.github/scripts/edge-retention.sh")
	run := func(keep string) (string, string, error) {
		log := filepath.Join(tmp, "deleted-"+keep)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "OWNER=o", "KEEP_DAYS="+keep, "NOW=1796608800", // 2026-12-07
			"GH_VERSIONS="+vf, "GH_LOG="+log)
		out, err := cmd.CombinedOutput()
		deleted, _ := os.ReadFile(log)
		return string(out), strings.Join(strings.Fields(string(deleted)), " "), err
	}
	out, deleted, err := run("30")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "/orgs/o/packages/container/unison-platform/versions/1 /orgs/o/packages/container/unison-platform/versions/9 " +
		"/orgs/o/packages/container/unison-platform/versions/2 /orgs/o/packages/container/unison-platform/versions/3"
	if deleted != want {
		t.Errorf("deleted %q\nwant    %q\n%s", deleted, want, out)
	}
	if !strings.Contains(out, "unisonos-wsl: no such package") || !strings.Contains(out, "expired 4 package versions older than 30 days") {
		t.Errorf("summary: %s", out)
	}
	if _, deleted, _ = run("90"); deleted != "" {
		t.Errorf("nothing is 90 days old: deleted %q", deleted)
	}
	if out, _, err = run("a month"); err == nil || !strings.Contains(out, `KEEP_DAYS (vars.EDGE_RETENTION_DAYS): "a month": want a number of days`) {
		t.Errorf("bad KEEP_DAYS: %v %s", err, out)
	}
}
