package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// A driver describes a request; the client handles auth, retries, budgets
// and errors.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/tickets/404.json" {
			w.Header().Set("X-Request-Id", "abc123")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"RecordNotFound","description":"Not found"}`))
			return
		}
		w.Write([]byte(`{"ticket":{"id":1,"status":"solved"}}`))
	}))
	defer srv.Close()

	c, _ := transport.New(transport.Options{
		Vendor:  "zendesk",
		BaseURL: srv.URL,
		Auth:    transport.Basic("bot@acme.com/token", "api-token"),
	})
	var out struct {
		Ticket struct{ Status string }
	}
	_, err := c.Do(context.Background(), &transport.Request{
		Method:         http.MethodPut,
		Path:           "/api/v2/tickets/1.json",
		Body:           map[string]any{"ticket": map[string]any{"status": "solved"}},
		Priority:       transport.PriorityCritical,
		IdempotencyKey: "resolve-1",
	}, &out)
	fmt.Println(out.Ticket.Status, err)

	_, err = c.Do(context.Background(), &transport.Request{Path: "/api/v2/tickets/404.json"}, nil)
	var apiErr *helpdesk.APIError
	fmt.Println(errors.Is(err, helpdesk.ErrNotFound), errors.As(err, &apiErr), apiErr.RequestID)
	// Output:
	// solved <nil>
	// true true abc123
}

// A driver passes its vendor's error-body decoder and request-id header;
// the transport itself reads only the keys many APIs share.
func ExampleOptions_decodeError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Vendor-Request-Id", "v-42")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"error":"RecordInvalid","description":"Status: closed tickets cannot be updated"}`))
	}))
	defer srv.Close()

	decode := func(status int, body []byte) transport.ErrorInfo {
		var e struct{ Error, Description string }
		if json.Unmarshal(body, &e) != nil || e.Description == "" {
			return transport.DecodeErrorBody(status, body)
		}
		return transport.ErrorInfo{Code: e.Error, Message: e.Description}
	}
	c, _ := transport.New(transport.Options{
		Vendor:           "acmedesk",
		BaseURL:          srv.URL,
		DecodeError:      decode,
		RequestIDHeaders: []string{"X-Vendor-Request-Id"},
	})
	_, err := c.Do(context.Background(), &transport.Request{Method: http.MethodPut, Path: "/tickets/1"}, nil)
	var apiErr *helpdesk.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, "|", apiErr.Message, "|", apiErr.RequestID)
	}
	// Output: RecordInvalid | Status: closed tickets cannot be updated | v-42
}
