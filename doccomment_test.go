package agentdesk_test

import (
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Doc-comment samples compile. A code block in a doc comment that is Go
// (it parses as statements or declarations) must appear, line for line
// (white space aside), in a _test.go file of the module, where the compiler checks it (write
// elisions as comments, not "..."). An inline call in the prose,
// pkg.F(pkg.G(x)), must name functions the module's packages have, and a
// call nested as an argument must return one value: the check that
// split.New(split.Preset(...)) failed.
func TestDocCommentSamplesCompile(t *testing.T) {
	fset := token.NewFileSet()
	var sources []string
	testLines := map[string]bool{}
	// exported[pkg][name] is the number of results of a function, or -1
	// for another exported identifier.
	exported := map[string]map[string]int{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		if strings.HasSuffix(path, "_test.go") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, l := range strings.Split(string(data), "\n") {
				testLines[squeeze(l)] = true
			}
			return nil
		}
		sources = append(sources, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	type docText struct {
		where string
		text  string
	}
	var docs []docText
	for _, path := range sources {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		pkg := f.Name.Name
		if exported[pkg] == nil {
			exported[pkg] = map[string]int{}
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					exported[pkg][d.Name.Name] = d.Type.Results.NumFields()
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						exported[pkg][s.Name.Name] = -1
					case *ast.ValueSpec:
						for _, n := range s.Names {
							exported[pkg][n.Name] = -1
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			var g *ast.CommentGroup
			switch n := n.(type) {
			case *ast.File:
				g = n.Doc
			case *ast.FuncDecl:
				g = n.Doc
			case *ast.GenDecl:
				g = n.Doc
			case *ast.TypeSpec:
				g = n.Doc
			case *ast.ValueSpec:
				g = n.Doc
			case *ast.Field:
				g = n.Doc
			}
			if g != nil {
				docs = append(docs, docText{fset.Position(g.Pos()).String(), g.Text()})
			}
			return true
		})
	}

	var p comment.Parser
	blocks, calls := 0, 0
	for _, d := range docs {
		for _, b := range p.Parse(d.text).Content {
			switch b := b.(type) {
			case *comment.Code:
				if !isGo(b.Text) {
					continue // a table, a shell command, an HTTP body
				}
				blocks++
				for _, l := range strings.Split(b.Text, "\n") {
					if l = squeeze(l); l != "" && !testLines[l] {
						t.Errorf("%s: the doc sample line %q is in no _test.go file, so nothing compiles it", d.where, l)
					}
				}
			case *comment.Paragraph, *comment.List:
				for _, call := range inlineCalls(plain(b)) {
					calls++
					checkInlineCall(t, d.where, call, exported)
				}
			}
		}
	}
	if blocks == 0 || calls == 0 {
		t.Fatalf("found %d Go code blocks and %d inline calls: the walk is broken", blocks, calls)
	}
}

// squeeze is l with its white space runs collapsed, so that a sample and
// its gofmt'ed copy match.
func squeeze(l string) string { return strings.Join(strings.Fields(l), " ") }

// isGo reports whether a code block parses as Go statements or
// declarations.
func isGo(src string) bool {
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+src+"\n}", 0); err == nil {
		return true
	}
	_, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, 0)
	return err == nil
}

// plain returns a paragraph's or list's text.
func plain(b comment.Block) string {
	var sb strings.Builder
	var text func([]comment.Text)
	text = func(ts []comment.Text) {
		for _, t := range ts {
			switch t := t.(type) {
			case comment.Plain:
				sb.WriteString(string(t))
			case comment.Italic:
				sb.WriteString(string(t))
			case *comment.Link:
				text(t.Text)
			case *comment.DocLink:
				text(t.Text)
			}
		}
	}
	switch b := b.(type) {
	case *comment.Paragraph:
		text(b.Text)
	case *comment.List:
		for _, it := range b.Items {
			for _, c := range it.Content {
				if p, ok := c.(*comment.Paragraph); ok {
					text(p.Text)
					sb.WriteString("\n")
				}
			}
		}
	}
	return sb.String()
}

var callStart = regexp.MustCompile(`\b[a-z][a-z0-9]*\.[A-Z][A-Za-z0-9_]*\(`)

// inlineCalls returns the pkg.F(...) expressions in prose, with balanced
// parentheses.
func inlineCalls(s string) []string {
	var out []string
	for _, loc := range callStart.FindAllStringIndex(s, -1) {
		depth := 0
		for i := loc[1] - 1; i < len(s); i++ {
			switch s[i] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 {
				out = append(out, s[loc[0]:i+1])
				break
			}
		}
	}
	return out
}

// checkInlineCall checks the module's functions call names: they exist,
// and one used as another's argument returns a single value.
func checkInlineCall(t *testing.T, where, call string, exported map[string]map[string]int) {
	t.Helper()
	src := strings.ReplaceAll(call, "...", "x")
	src = strings.ReplaceAll(src, "…", "x")
	expr, err := parser.ParseExpr(src)
	if err != nil {
		return // prose that only looks like a call
	}
	var walk func(e ast.Expr, nested bool)
	walk = func(e ast.Expr, nested bool) {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return
		}
		if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				if names, isPkg := exported[id.Name]; isPkg {
					results, found := names[sel.Sel.Name]
					switch {
					case !found:
						t.Errorf("%s: %s: %s.%s does not exist", where, call, id.Name, sel.Sel.Name)
					case nested && results > 1:
						t.Errorf("%s: %s: %s.%s returns %d values and cannot be an argument", where, call, id.Name, sel.Sel.Name, results)
					}
				}
			}
		}
		for _, a := range c.Args {
			walk(a, true)
		}
	}
	walk(expr, false)
}
