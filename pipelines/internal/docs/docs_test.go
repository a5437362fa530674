// Package docs checks what the README, docs/, the Makefile, the workflows
// and the module's own help tell users to run: every command block is
// marked as run by named tests, checked by one, or not run (and why); every
// `dagger call` anywhere names functions and arguments the module has, on
// the object each is called on; every `make X` names a target.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/project-unisonOS/unison-platform/pipelines/internal/surface"
)

const root = "../../.."

func api(t *testing.T) *surface.API {
	t.Helper()
	a, err := surface.Load(filepath.Join(root, "ci"), "UnisonPlatform")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// block is one fenced code block of a Markdown file.
type block struct {
	file, lang, marker, text string
	line                     int
}

var (
	fenceRE  = regexp.MustCompile("^```([a-z]*)\\s*$")
	markerRE = regexp.MustCompile(`^<!-- (run|checked|not run): (.+) -->$`)
	testRE   = regexp.MustCompile(`^(Test[A-Za-z0-9_]+|\.ci/run)$`)
	makeRE   = regexp.MustCompile(`(?m)(?:^|[;&|]\s*|\s)make ([a-z][a-z0-9-]*)`)
)

func blocks(t *testing.T, file string) []block {
	var out []block
	lines := strings.Split(read(t, file), "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil || m[1] == "" {
			continue
		}
		b := block{file: file, lang: m[1], line: i + 1}
		for j := i - 1; j >= 0; j-- {
			if strings.TrimSpace(lines[j]) != "" {
				b.marker = strings.TrimSpace(lines[j])
				break
			}
		}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n")
		out = append(out, b)
	}
	return out
}

func markdownFiles(t *testing.T) []string {
	files := []string{"README.md", "CONTRIBUTING.md"}
	more, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range more {
		files = append(files, filepath.Join("docs", filepath.Base(m)))
	}
	return files
}

// testSources is every test file's text, to find the tests markers name.
func testSources(t *testing.T) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[p] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// findTest returns the sources of the package defining test name (its
// helpers live beside it), nil if no test has that name.
func findTest(srcs map[string]string, name string) []string {
	for p, s := range srcs {
		if strings.Contains(s, "func "+name+"(") {
			var pkg []string
			for q, s := range srcs {
				if filepath.Dir(q) == filepath.Dir(p) {
					pkg = append(pkg, s)
				}
			}
			return pkg
		}
	}
	return nil
}

func targets(t *testing.T) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(read(t, "Makefile"), -1) {
		out[m[1]] = true
	}
	return out
}

// Every block is marked; the tests a marker names exist, and for `run`
// blocks they call every module function the block's commands call.
func TestCommandBlocks(t *testing.T) {
	a, srcs, tg := api(t), testSources(t), targets(t)
	n := 0
	for _, f := range markdownFiles(t) {
		for _, b := range blocks(t, f) {
			n++
			where := b.file + ":" + strconv.Itoa(b.line)
			m := markerRE.FindStringSubmatch(b.marker)
			if m == nil {
				t.Errorf("%s: a %s block without a marker on the line before it: <!-- run: TestX -->, <!-- checked: TestX --> or <!-- not run: why -->", where, b.lang)
				continue
			}
			for _, cmd := range surface.Commands(b.text) {
				if err := a.Check(cmd); err != nil {
					t.Errorf("%s: dagger call %s: %v", where, strings.Join(cmd, " "), err)
				}
			}
			for _, mk := range makeRE.FindAllStringSubmatch(b.text, -1) {
				if !tg[mk[1]] {
					t.Errorf("%s: make %s: no such target in the Makefile", where, mk[1])
				}
			}
			if m[1] == "not run" {
				continue
			}
			names, _, _ := strings.Cut(m[2], ";") // what follows ; is a note
			var tests []string
			for _, name := range strings.Fields(names) {
				if !testRE.MatchString(name) {
					t.Errorf("%s: marker names %q: want test names (TestX) or .ci/run before any ;", where, name)
					continue
				}
				if name == ".ci/run" {
					continue
				}
				src := findTest(srcs, name)
				if src == nil {
					t.Errorf("%s: marker names %s: no such test", where, name)
				}
				tests = append(tests, src...)
			}
			if m[1] != "run" {
				continue
			}
			for _, cmd := range surface.Commands(b.text) {
				for _, needle := range needles(cmd, a.Functions(cmd)) {
					if !calledIn(tests, needle) {
						t.Errorf("%s: %s of `dagger call %s` is called by none of the tests the marker names (%s)", where, needle, strings.Join(cmd, " "), names)
					}
				}
			}
		}
	}
	if n < 15 {
		t.Fatalf("found %d command blocks: run from pipelines/internal/docs", n)
	}
}

// needles are what a test calling cmd's functions has in its source: each
// function as a Go string, and a function written right after another (a
// group's: qa vm, inputs version) as that pair of arguments.
func needles(cmd, fns []string) []string {
	line := " " + strings.Join(cmd, " ") + " "
	var out []string
	for i, fn := range fns {
		if i > 0 && strings.Contains(line, " "+fns[i-1]+" "+fn+" ") {
			out = append(out, `"`+fns[i-1]+`", "`+fn+`"`)
			continue
		}
		out = append(out, `"`+fn+`"`)
	}
	return out
}

func calledIn(srcs []string, needle string) bool {
	for _, s := range srcs {
		if strings.Contains(s, needle) {
			return true
		}
	}
	return false
}

// makeVars expands the Makefile's variables in a recipe line: $(if $(X),Y)
// as Y, $(NAME) by its definition (recursively), anything else as a word.
func makeVars(t *testing.T) func(string) string {
	defs := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^[ \t]*([A-Z_]+)[ \t]*[:?]?=[ \t]*(.*)$`).FindAllStringSubmatch(read(t, "Makefile"), -1) {
		if defs[m[1]] == "" {
			defs[m[1]] = m[2] // the first definition that says something (ifeq branches)
		}
	}
	ifRE := regexp.MustCompile(`\$\(if \$\([A-Z_]+\),([^()]*(?:\$\([A-Z_]+\)[^()]*)*)\)`)
	varRE := regexp.MustCompile(`\$\(([A-Z_]+)\)`)
	var expand func(string, int) string
	expand = func(s string, depth int) string {
		if depth > 5 {
			return s
		}
		s = ifRE.ReplaceAllString(s, "$1")
		return varRE.ReplaceAllStringFunc(s, func(v string) string {
			name := varRE.FindStringSubmatch(v)[1]
			switch name {
			case "DAGGER":
				return "dagger"
			case "MODULE_ARGS", "QA_ARGS":
				return ""
			}
			if d := defs[name]; d != "" && !strings.Contains(d, "$(shell") && !strings.Contains(d, "$(firstword") {
				return expand(d, depth+1)
			}
			return "X" + name
		})
	}
	return func(s string) string { return expand(s, 0) }
}

// The Makefile's calls, expanded as make expands them.
func TestMakefileCalls(t *testing.T) {
	a, expand := api(t), makeVars(t)
	text := strings.ReplaceAll(read(t, "Makefile"), "\\\n", " ")
	n := 0
	for _, line := range strings.Split(text, "\n") {
		if !strings.Contains(line, "$(CALL)") {
			continue
		}
		for _, cmd := range surface.Commands(expand(line)) {
			n++
			if err := a.Check(cmd); err != nil {
				t.Errorf("Makefile: %s: %v", strings.TrimSpace(line), err)
			}
		}
	}
	if n < 10 {
		t.Fatalf("found %d calls in the Makefile", n)
	}
}

// The workflows' and their scripts' literal calls, and the examples in the
// module's own help (doc comments).
func TestWorkflowAndHelpCalls(t *testing.T) {
	a := api(t)
	var files []string
	for _, g := range []string{".github/workflows/*.yml", ".github/scripts/*.sh", "ci/*.go"} {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "dagger.gen.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		if strings.HasSuffix(f, ".go") {
			text = regexp.MustCompile(`(?m)^\s*// ?`).ReplaceAllString(text, "")
		}
		for _, cmd := range surface.Commands(text) {
			if strings.Contains(strings.Join(cmd, " "), "[@]}") {
				continue // built from arrays: the step tests record and check those
			}
			n++
			if err := a.Check(cmd); err != nil {
				t.Errorf("%s: dagger call %s: %v", strings.TrimPrefix(f, root+"/"), strings.Join(cmd, " "), err)
			}
		}
	}
	if n < 8 {
		t.Fatalf("found only %d calls in workflows, scripts and help", n)
	}
}
