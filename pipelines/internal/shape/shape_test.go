// Package shape checks the code's shape rules over ci/, pipelines/ and
// integration/ (its tests and the bench included): functions of at most 80
// lines and 12 parameters (context aside), and no shell script of more than
// 15 lines inside a Go string.
package shape

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const (
	maxLines, maxParams, maxScriptLines = 80, 12, 15
)

// handWritten lists the Go files the rules apply to: generated bindings
// aside, and tests but for integration/'s (they are the system's tests:
// they follow the rules too).
func handWritten(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, root := range []string{"../../../ci", "../../../pipelines", "../../../integration"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "internal" && strings.HasSuffix(filepath.Dir(p), "ci") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			test := strings.HasSuffix(p, "_test.go") && !strings.Contains(p, "/integration/")
			if !d.IsDir() && strings.HasSuffix(p, ".go") && !test && d.Name() != "dagger.gen.go" {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d files: run from pipelines/internal/shape", len(out))
	}
	return out
}

// funcViolations lists the functions of f over the size rules.
func funcViolations(fset *token.FileSet, f *ast.File) []string {
	var out []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
		if lines > maxLines {
			out = append(out, fmt.Sprintf("%s: %s is %d lines (at most %d)", fset.Position(fn.Pos()), fn.Name.Name, lines, maxLines))
		}
		params := 0
		for _, fld := range fn.Type.Params.List {
			if sel, ok := fld.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
				continue
			}
			params += max(1, len(fld.Names))
		}
		if params > maxParams {
			out = append(out, fmt.Sprintf("%s: %s takes %d parameters (at most %d, context aside)", fset.Position(fn.Pos()), fn.Name.Name, params, maxParams))
		}
	}
	return out
}

// scriptViolations lists the raw strings of f that are shell scripts over maxScriptLines.
func scriptViolations(fset *token.FileSet, f *ast.File) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING || !strings.HasPrefix(lit.Value, "`") {
			return true
		}
		s := lit.Value
		shell := strings.HasPrefix(s, "`#!/bin/") || strings.Contains(s, "set -e") || strings.Contains(s, "set -u")
		if n := strings.Count(s, "\n"); shell && n > maxScriptLines {
			out = append(out, fmt.Sprintf("%s: a %d-line shell script in a Go string: move it to a .sh file (go:embed)", fset.Position(lit.Pos()), n))
		}
		return true
	})
	return out
}

func parse(t *testing.T, fset *token.FileSet, p string, src any) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(fset, p, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestShapeOfTheCode(t *testing.T) {
	fset := token.NewFileSet()
	for _, p := range handWritten(t) {
		f := parse(t, fset, p, nil)
		for _, v := range append(funcViolations(fset, f), scriptViolations(fset, f)...) {
			t.Error(v)
		}
	}
}

// The rules fail on what they must refuse.
func TestRulesBite(t *testing.T) {
	src := "package x\n\nfunc big(a, b, c, d, e, f, g, h, i, j, k, l, m int) {\n" + strings.Repeat("\t_ = 1\n", 85) + "}\n" +
		"const s = `set -e\n" + strings.Repeat("echo x\n", 16) + "`\n"
	fset := token.NewFileSet()
	f := parse(t, fset, "x.go", src)
	if v := funcViolations(fset, f); len(v) != 2 {
		t.Fatalf("want the length and the parameter violation, got %q", v)
	}
	if v := scriptViolations(fset, f); len(v) != 1 {
		t.Fatalf("want the script violation, got %q", v)
	}
}
