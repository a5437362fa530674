package workflows

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCurl answers the OIDC token request with a JWT whose claims are $CLAIMS.
const fakeCurl = `#!/bin/bash
printf '{"value":"h.%s.s"}' "$JWT_PAYLOAD"
`

// The "module ref" step of reusable-build.yml, run as a runner runs it: the
// module follows the workflow's own commit, a platform_ref naming another
// ref fails loudly, and without an OIDC token the step says what to grant.
func TestModuleRefStep(t *testing.T) {
	w, script := stepScript(t, "reusable-build.yml", "build", func(name string) bool { return name == "module ref" })
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "curl"), []byte(fakeCurl), 0o755); err != nil {
		t.Fatal(err)
	}
	const sha = "0123456789abcdef0123456789abcdef01234567"
	claims, _ := json.Marshal(map[string]string{
		"job_workflow_ref": "project-unisonOS/unison-platform/.github/workflows/reusable-build.yml@refs/tags/v0.6.0",
		"job_workflow_sha": sha})
	// base64url without padding, as in a JWT
	payload := strings.TrimRight(base64.URLEncoding.EncodeToString(claims), "=")
	pin := func(refs ...string) string {
		out := "on: pull_request\njobs:\n"
		for i, r := range refs {
			out += fmt.Sprintf("  b%d:\n    uses: project-unisonOS/unison-platform/.github/workflows/reusable-build.yml@%s # pinned\n", i, r)
		}
		return out
	}
	for _, tc := range []struct {
		name, ref string
		oidc      bool
		fail      bool
		want      string
		caller    string
	}{
		{"empty ref follows the workflow commit", "", true, false, "module=github.com/project-unisonOS/unison-platform@" + sha, ""},
		{"the pinned tag", "v0.6.0", true, false, "module=github.com/project-unisonOS/unison-platform@v0.6.0", ""},
		{"the full ref", "refs/tags/v0.6.0", true, false, "module=github.com/project-unisonOS/unison-platform@refs/tags/v0.6.0", ""},
		{"the commit", sha, true, false, "@" + sha, ""},
		{"another ref", "main", true, true, "platform_ref main is not the ref this workflow is pinned to (refs/tags/v0.6.0", ""},
		{"no token, no ref", "", false, true, "grant id-token: write", ""},
		{"no token, a ref", "v0.6.0", false, false, "::warning::platform_ref v0.6.0 cannot be checked", ""},
		// fork and Dependabot pull requests get no OIDC token: the calling workflow's own pin
		{"fork PR: the caller's tag", "", false, false, "module=github.com/project-unisonOS/unison-platform@v0.6.0\n", pin("v0.6.0")},
		{"Dependabot PR: the caller's commit", "", false, false, "module=github.com/project-unisonOS/unison-platform@" + sha + "\n", pin(sha, sha)},
		{"no token, two pins", "", false, true, "pins reusable-build.yml to 2 refs, not one", pin("v0.6.0", "main")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			out := filepath.Join(tmp, "output")
			env := append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GITHUB_OUTPUT="+out, "PLATFORM_REF="+tc.ref, "JWT_PAYLOAD="+payload)
			if tc.oidc {
				env = append(env, "ACTIONS_ID_TOKEN_REQUEST_URL=https://token.example/?x=1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=t")
			} else {
				env = append(env, "ACTIONS_ID_TOKEN_REQUEST_URL=", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=")
			}
			env = append(env, "CALLER_WORKFLOW_REF=o/svc/.github/workflows/build.yml@refs/pull/7/merge")
			if tc.caller != "" {
				_ = os.MkdirAll(filepath.Join(tmp, ".github", "workflows"), 0o755)
				if err := os.WriteFile(filepath.Join(tmp, ".github", "workflows", "build.yml"), []byte(tc.caller), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("bash", append(shellArgs(w.Defaults.Run.Shell)[1:], "-c", script)...)
			cmd.Dir = tmp
			cmd.Env = env
			log, err := cmd.CombinedOutput()
			if (err != nil) != tc.fail {
				t.Fatalf("err %v, want failure %t:\n%s", err, tc.fail, log)
			}
			got, _ := os.ReadFile(out)
			if !strings.Contains(string(got)+string(log), tc.want) {
				t.Errorf("want %q in:\n%s%s", tc.want, got, log)
			}
		})
	}
}
