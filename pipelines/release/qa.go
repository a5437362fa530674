package release

import (
	"fmt"
	"strings"
)

// QA is what the release gate booted before signing: the first line of each
// suite's summary, or Skipped when the release was made with --skip-qa.
type QA struct {
	Skipped bool     `json:"skipped"`
	Suites  []string `json:"suites,omitempty"`
}

// skippedText is the loud line a release made without its checks carries.
const skippedText = "SKIPPED (--skip-qa): no image of this release was booted or checked before publishing"

// Text is the QA block of PLAN.txt.
func (q QA) Text() string {
	if q.Skipped {
		return "qa: " + skippedText + "\n"
	}
	var b strings.Builder
	b.WriteString("qa (booted before signing):\n")
	for _, s := range q.Suites {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	return b.String()
}

// Markdown is the QA section of the release notes.
func (q QA) Markdown() string {
	if q.Skipped {
		return "\n## QA\n\n> **Warning:** " + skippedText + ".\n"
	}
	var b strings.Builder
	b.WriteString("\n## QA\n\nBooted in QEMU and checked before signing:\n\n")
	for _, s := range q.Suites {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	return b.String()
}

// Headline is the first line of a QA summary ("qa-smoke: PASSED (11 checks, 0 failed)").
func Headline(summary string) string {
	l, _, _ := strings.Cut(summary, "\n")
	return strings.TrimSpace(l)
}
