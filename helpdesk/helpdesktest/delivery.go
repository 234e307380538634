package helpdesktest

import (
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// DefaultDeliveryPath is the path of the requests Delivery, DeliveryWith
// and SignedRequest return. A test that mounts its webhook handler at
// another route on a mux (its real route, say "/webhooks/helpdesk") uses
// DeliveryTo, or sets the returned request's URL.Path: FakeScheme signs the
// body and time, not the URL, so the path can change after signing.
const DefaultDeliveryPath = "/webhooks/fake"

// DeliveryTo is Delivery for a handler mounted at path: the signed request
// carrying events is addressed to path instead of DefaultDeliveryPath.
func (f *Fake) DeliveryTo(path string, events ...helpdesk.Event) *http.Request {
	return f.DeliveryToWith(path, Signing{}, events...)
}

// DeliveryToWith is DeliveryWith for a handler mounted at path.
func (f *Fake) DeliveryToWith(path string, s Signing, events ...helpdesk.Event) *http.Request {
	return atPath(f.DeliveryWith(s, events...), path)
}

// atPath readdresses r, a request built by httptest.NewRequest, to path.
func atPath(r *http.Request, path string) *http.Request {
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	r.URL.Path = path
	r.URL.RawPath = ""
	r.RequestURI = r.URL.RequestURI()
	return r
}
