// Package openapi checks the requests drivers send against the vendors'
// published OpenAPI specs, so a wrong body fails a test before it fails a
// customer. It is part of the conformance kit (helpdesk/drivertest) and
// can be imported by drivers written in other modules.
//
// The specs are not part of this module. Load reads one from the specs
// folder (AGENTDESK_SPECS_DIR, or shared/specs beside the checkout) and
// skips the test when it is absent; LoadFile reads one from a path the
// caller chooses (a spec kept in the driver's own testdata) and fails the
// test when it is absent. Plug a Spec into a fake vendor server so that
// every request the driver sends is checked: wrap the server's handler with
// Middleware, or call Validate from the fake's own request checks.
//
//	spec := openapi.LoadFile(t, "testdata/acme-openapi.yaml")
//	handler = spec.Middleware(t, handler)
package openapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"go.yaml.in/yaml/v3"

	"github.com/agentdesk/agentdesk/helpdesk/drivertest/internal/skips"
)

// Spec is a loaded vendor spec ready to validate requests.
type Spec struct {
	Name   string
	doc    *openapi3.T
	router routers.Router
	// prefix is stripped from request paths before matching (e.g. "/sc"
	// for Sunshine on a Zendesk host).
	prefix string
}

var (
	cacheMu sync.Mutex
	cache   = map[string]*Spec{}
)

// Dir returns the specs folder, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("AGENTDESK_SPECS_DIR"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			specs := filepath.Join(filepath.Dir(d), "shared", "specs")
			if st, err := os.Stat(specs); err == nil && st.IsDir() {
				return specs
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Load returns the spec at rel inside the specs folder (e.g.
// "chatwoot/swagger.json", "sunshine/openapi.yaml"), skipping the test when
// the folder or file is absent. prefix, if given, is stripped from request
// paths before matching.
func Load(t testing.TB, rel string, prefix ...string) *Spec {
	t.Helper()
	dir := Dir()
	if dir == "" {
		skips.Record("OpenAPI contract checks", "the vendors' specs folder is not beside the checkout", "set AGENTDESK_SPECS_DIR to the folder holding the vendors' published API specs", t.Name())
		t.Skipf("openapi: vendor specs folder not found beside the checkout (set AGENTDESK_SPECS_DIR); skipping %s contract checks", rel)
	}
	path := filepath.Join(dir, rel)
	if _, err := os.Stat(path); err != nil {
		skips.Record("OpenAPI contract checks", rel+" is not in the specs folder", "put the vendor's published spec at "+path, t.Name())
		t.Skipf("openapi: %s not found; skipping its contract checks", path)
	}
	p := ""
	if len(prefix) > 0 {
		p = prefix[0]
	}
	s, err := loadFile(path, p)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return s
}

// LoadFile returns the spec at path (JSON or YAML, OpenAPI 3 or Swagger
// 2), failing the test when it cannot be read. prefix, if given, is
// stripped from request paths before matching.
func LoadFile(t testing.TB, path string, prefix ...string) *Spec {
	t.Helper()
	p := ""
	if len(prefix) > 0 {
		p = prefix[0]
	}
	s, err := loadFile(path, p)
	if err != nil {
		t.Fatalf("openapi: %v", err)
	}
	return s
}

func loadFile(path, prefix string) (*Spec, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	key := path + "|" + prefix
	if s, ok := cache[key]; ok {
		return s, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
		if data, err = repairYAML(data); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	// Match on paths only: the fakes run on loopback, not the vendor host.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("routing %s: %w", path, err)
	}
	s := &Spec{Name: filepath.Base(filepath.Dir(path)), doc: doc, router: router, prefix: prefix}
	cache[key] = s
	return s, nil
}

// ErrNoOperation means the request's method and path match no operation in
// the spec.
var ErrNoOperation = errors.New("openapi: no operation in the spec matches")

// Validate checks r (whose body is given separately, since a server
// handler has usually read it) against the spec: the operation must exist,
// and path parameters, query and body must satisfy its schemas. Security
// requirements are not checked (the fakes check credentials themselves).
func (s *Spec) Validate(r *http.Request, body []byte) error {
	u := *r.URL
	u.Path = strings.TrimPrefix(u.Path, s.prefix)
	u.RawPath = ""
	u.Scheme, u.Host = "", ""
	req := r.Clone(context.Background())
	req.URL = &url.URL{Path: u.Path, RawQuery: u.RawQuery}
	req.Host = ""
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s (%v)", ErrNoOperation, r.Method, u.Path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("openapi: %s %s violates %s spec: %w", r.Method, u.Path, s.Name, err)
	}
	return nil
}

// Middleware wraps a fake server's handler so that every request is
// validated against the spec; violations fail the test with the method,
// path and reason. Requests whose path matches none of skip (prefixes) are
// validated.
func (s *Spec) Middleware(t testing.TB, next http.Handler, skip ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range skip {
			if strings.HasPrefix(r.URL.Path, p) {
				next.ServeHTTP(w, r)
				return
			}
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if err := s.Validate(r, body); err != nil {
			t.Errorf("%v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// repairYAML removes schema-level "required: true|false" keys. OpenAPI 3.0
// wants required as a list of property names on the parent object; the
// Sunshine Conversations spec (17.12.1) writes a boolean inside one
// property schema (components.parameters.userFilterQuery), which strict
// loaders refuse. Parameter and request-body objects keep their boolean
// required; only mappings that describe a schema (they have "type" but no
// "in" or "content") are touched.
func repairYAML(data []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			has := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				has[n.Content[i].Value] = true
			}
			if has["type"] && !has["in"] && !has["content"] {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					if k.Value == "required" && v.Kind == yaml.ScalarNode && (v.Value == "true" || v.Value == "false") {
						n.Content = append(n.Content[:i], n.Content[i+2:]...)
						break
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	return yaml.Marshal(&root)
}
