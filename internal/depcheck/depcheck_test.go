package depcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// roots are the packages a program imports to use agentdesk without Redis.
var roots = []string{
	"./helpdesk",
	"./helpdesk/budget",
	"./helpdesk/transport",
	"./escalation",
	"./helpdesk/helpdesktest", // the Fake: programs such as faqbot link it
	"./zendesk",
	"./cloudchat",
	"./klaviyo",
}

// forbidden reports why a non-standard package must not be linked by a
// root, or "" when it may.
func forbidden(importPath string) string {
	switch {
	case under(importPath, "github.com/redis/go-redis"):
		return "a Redis client: Redis-backed pieces belong in their own subpackage"
	case under(importPath, "github.com/stretchr/testify"):
		return "a test-only module"
	case under(importPath, "github.com/getkin/kin-openapi"):
		return "a test-only module (the OpenAPI request checker)"
	case strings.Contains(strings.ToLower(importPath), "yaml"):
		return "a YAML module, needed only to read specs in tests"
	}
	return ""
}

// under reports whether p is module (or a package of it, any major version).
func under(p, module string) bool {
	return p == module || strings.HasPrefix(p, module+"/")
}

func TestForbidden(t *testing.T) {
	for p, bad := range map[string]bool{
		"github.com/redis/go-redis/v9":               true,
		"github.com/redis/go-redis/v9/internal/pool": true,
		"github.com/stretchr/testify/require":        true,
		"github.com/getkin/kin-openapi/openapi3":     true,
		"gopkg.in/yaml.v3":                           true,
		"sigs.k8s.io/yaml":                           true,
		"github.com/oasdiff/yaml3":                   true,
		"github.com/redis/go-redisx":                 false,
		"golang.org/x/time/rate":                     false,
		"github.com/hashicorp/go-retryablehttp":      false,
		"github.com/agentdesk/agentdesk/helpdesk":    false,
		"github.com/agentdesk/agentdesk/internal/x":  false,
	} {
		require.Equal(t, bad, forbidden(p) != "", p)
	}
}

// pkg is the part of `go list -json` the check reads.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
}

// TestCoreDependencies fails when a root links a forbidden package, and
// names the import chain that brings it in.
func TestCoreDependencies(t *testing.T) {
	goTool := goTool(t)
	for _, r := range roots {
		t.Run(strings.TrimPrefix(r, "./"), func(t *testing.T) {
			for _, v := range violations(list(t, goTool, r)) {
				t.Errorf("%s links %s", r, v)
			}
		})
	}
}

// The check itself must fail where it should: the Redis budget store links
// go-redis by design.
func TestCheckCatchesRedis(t *testing.T) {
	vs := violations(list(t, goTool(t), "./helpdesk/budget/redisbudget"))
	require.NotEmpty(t, vs)
	require.Contains(t, strings.Join(vs, "\n"),
		"github.com/agentdesk/agentdesk/helpdesk/budget/redisbudget -> github.com/redis/go-redis/v9")
}

func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("depcheck: the go tool is not on PATH")
	}
	return p
}

// violations lists the forbidden packages among pkgs (the -deps list of
// one root, the root last), each with why and the import chain.
func violations(pkgs []pkg) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	root := pkgs[len(pkgs)-1].ImportPath
	var out []string
	for _, p := range pkgs {
		if p.Standard {
			continue
		}
		if why := forbidden(p.ImportPath); why != "" {
			out = append(out, fmt.Sprintf("%s, %s; chain: %s", p.ImportPath, why, strings.Join(chain(byPath, root, p.ImportPath), " -> ")))
		}
	}
	return out
}

// list runs `go list -deps -json` for one root, offline, from the module
// root. go list prints dependencies before their importers, so the root
// comes last.
func list(t *testing.T, goTool, root string) []pkg {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	cmd := exec.Command(goTool, "list", "-deps", "-json=ImportPath,Standard,Imports", root)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list -deps %s: %s", root, stderr.String())
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		require.NoError(t, dec.Decode(&p))
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, pkgs)
	return pkgs
}

// chain returns the shortest import chain from one package to another.
func chain(pkgs map[string]pkg, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var path []string
			for p := to; p != ""; p = prev[p] {
				path = append(path, p)
			}
			slices.Reverse(path)
			return path
		}
		for _, next := range pkgs[cur].Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return []string{from, "...", to}
}
