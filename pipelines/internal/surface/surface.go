// Package surface reads the Dagger module's API from its Go source, as the
// Go SDK's codegen does (exported methods and fields of the module's types
// that are not +private, names in kebab case), and checks `dagger call`
// command lines against it: every function in the chain it is called on,
// every flag, the values flags take. The docs test and the workflow step
// tests use it, so a renamed function or flag fails where it is written.
package surface

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// Flag is one argument of a function.
type Flag struct{ Bool bool }

// Func is one function: its flags and the type it returns.
type Func struct {
	Flags   map[string]Flag
	Returns string // a module type, or "core" (Directory, File, Container: not checked further), or "" (a value)
}

// API is the module's surface.
type API struct {
	// Types maps a module type to its functions (methods and public fields).
	Types map[string]map[string]Func
	// Root is the main object; Ctor its constructor's flags.
	Root string
	Ctor map[string]Flag
}

// Load reads the module from the Go files of dir (dagger.gen.go aside).
func Load(dir, root string) (*API, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	a := &API{Types: map[string]map[string]Func{}, Root: root}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") || filepath.Base(p) == "dagger.gen.go" {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, f)
	}
	structs := map[string]*ast.StructType{}
	for _, f := range parsed {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					ts := s.(*ast.TypeSpec)
					if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.IsExported() {
						structs[ts.Name.Name] = st
					}
				}
			}
		}
	}
	for name, st := range structs {
		a.Types[name] = map[string]Func{}
		for _, fld := range st.Fields.List {
			if private(fld.Doc) {
				continue
			}
			for _, n := range fld.Names {
				if n.IsExported() {
					a.Types[name][Kebab(n.Name)] = Func{Returns: returns(fld.Type, structs)}
				}
			}
		}
	}
	for _, f := range parsed {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			if fn.Recv == nil {
				if fn.Name.Name == "New" {
					a.Ctor = flags(fn.Type)
				}
				continue
			}
			recv := typeName(fn.Recv.List[0].Type)
			if _, ok := structs[recv]; !ok || !fn.Name.IsExported() {
				continue
			}
			var ret string
			if fn.Type.Results != nil && len(fn.Type.Results.List) > 0 {
				ret = returns(fn.Type.Results.List[0].Type, structs)
			}
			a.Types[recv][Kebab(fn.Name.Name)] = Func{Flags: flags(fn.Type), Returns: ret}
		}
	}
	if _, ok := a.Types[root]; !ok {
		return nil, fmt.Errorf("no type %s in %s", root, dir)
	}
	return a, nil
}

func private(doc *ast.CommentGroup) bool {
	return doc != nil && strings.Contains(doc.Text(), "+private")
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return typeName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

// returns names what a function of this result type hands on.
func returns(e ast.Expr, structs map[string]*ast.StructType) string {
	if sel, ok := unstar(e).(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); ok && x.Name == "dagger" {
			return "core"
		}
	}
	if n := typeName(e); structs[n] != nil {
		return n
	}
	return ""
}

func unstar(e ast.Expr) ast.Expr {
	if s, ok := e.(*ast.StarExpr); ok {
		return s.X
	}
	return e
}

func flags(ft *ast.FuncType) map[string]Flag {
	out := map[string]Flag{}
	for _, p := range ft.Params.List {
		if sel, ok := p.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
			continue
		}
		id, isIdent := p.Type.(*ast.Ident)
		for _, n := range p.Names {
			out[Kebab(n.Name)] = Flag{Bool: isIdent && id.Name == "bool"}
		}
	}
	return out
}

// Kebab is the CLI name of a Go name: a word starts at an upper-case letter
// after a lower-case letter or a digit (baseIsoSha256: base-iso-sha256).
func Kebab(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
			i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// cliOptions are the dagger CLI's own options before the first function.
var cliOptions = map[string]bool{"-m": true, "--mod": true, "--progress": true, "-o": true, "--output": true}

// Ellipsis in a documented command stands for arguments left out.
const Ellipsis = "…"

// Check checks the arguments of one `dagger call` (what follows "call").
func (a *API) Check(args []string) error {
	_, err := a.walk(args)
	return err
}

// Functions are the module functions a call calls, in order (as far as it
// checks).
func (a *API) Functions(args []string) []string {
	fns, _ := a.walk(args)
	return fns
}

func (a *API) walk(args []string) ([]string, error) {
	var fns []string
	typ, i := a.Root, 0
	// the CLI's options and the constructor's flags
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		name, _, hasValue := strings.Cut(args[i], "=")
		switch {
		case cliOptions[name]:
			if !hasValue {
				i++
			}
		default:
			f, ok := a.Ctor[strings.TrimPrefix(name, "--")]
			if !ok {
				return fns, fmt.Errorf("%s: no such option of the module (constructor: %s)", name, names(a.Ctor))
			}
			if !hasValue && !f.Bool {
				i++
			}
		}
		i++
	}
	lenient, last := false, ""
	var cur *Func
	for ; i < len(args); i++ {
		tok := args[i]
		if tok == Ellipsis || tok == "..." {
			lenient = true
			continue
		}
		if strings.HasPrefix(tok, "--") && cur != nil {
			name, _, hasValue := strings.Cut(strings.TrimPrefix(tok, "--"), "=")
			f, ok := cur.Flags[name]
			if !ok {
				if lenient {
					continue
				}
				return fns, fmt.Errorf("--%s: no such argument (%s)", name, names(cur.Flags))
			}
			if !hasValue && !f.Bool {
				i++
			}
			continue
		}
		if typ == "core" {
			return fns, nil // Directory, File, Container: the engine's own API from here
		}
		fn, ok := a.Types[typ][tok]
		if !ok {
			if lenient {
				continue
			}
			if typ == "value" {
				return fns, fmt.Errorf("%q: %s returns a value, nothing chains on it", tok, last)
			}
			return fns, fmt.Errorf("%q: no such function of %s (%s)", tok, typ, funcNames(a.Types[typ]))
		}
		lenient = false
		fns = append(fns, tok)
		typ, cur, last = fn.Returns, &fn, tok
		if typ == "" {
			typ = "value"
		}
	}
	return fns, nil
}

func names(m map[string]Flag) string {
	var out []string
	for k := range m {
		out = append(out, "--"+k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func funcNames(m map[string]Func) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
