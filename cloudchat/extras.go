package cloudchat

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// AddLabels adds labels to a conversation and returns its full label list.
// Chatwoot's POST …/labels replaces the list, so the driver reads it
// (GET …/labels), merges, and writes only when something is new. Two
// writers racing on one conversation can still lose a label: the API has no
// atomic add. It needs the user token, or a bot token on servers 4.14.2+
// (the Chatwoot spec lists only user tokens for these endpoints; 4.14.2
// opened them to bots).
func (c *Client) AddLabels(ctx context.Context, conv helpdesk.Conversation, labels ...string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := c.convPath(conv, "/labels")
	if err != nil {
		return nil, err
	}
	cl, err := c.userClient(ctx, "4.14.2")
	if err != nil {
		return nil, err
	}
	var cur struct {
		Payload []string `json:"payload"`
	}
	if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path}, &cur); err != nil {
		return nil, err
	}
	merged, changed := mergeLabels(cur.Payload, labels)
	if !changed {
		return merged, nil
	}
	var out struct {
		Payload []string `json:"payload"`
	}
	if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodPost, Path: path, Body: map[string][]string{"labels": merged}, Idempotent: true}, &out); err != nil {
		return nil, err
	}
	return out.Payload, nil
}

// mergeLabels appends the new labels (trimmed, lowercased as Chatwoot
// stores them, without duplicates) to have.
func mergeLabels(have, add []string) ([]string, bool) {
	out := slices.Clone(have)
	changed := false
	for _, l := range add {
		l = strings.ToLower(strings.TrimSpace(l))
		if l == "" || slices.Contains(out, l) {
			continue
		}
		out = append(out, l)
		changed = true
	}
	if out == nil {
		out = []string{}
	}
	return out, changed
}

// ContactInput is what UpsertContact writes. At least one of Identifier,
// Email and Phone is required: they identify a contact in Cloud Chat (as in
// its CSV import).
type ContactInput struct {
	Identifier string
	Email      string
	// Phone is normalised to E.164 (see NormalizePhone).
	Phone string
	Name  string
	// CustomAttributes and AdditionalAttributes are merged into the
	// contact's (Chatwoot merges contact attributes).
	CustomAttributes     map[string]any
	AdditionalAttributes map[string]any
	// Labels (tags) are added to the contact's, never replacing them.
	Labels []string
}

// Contact is a Cloud Chat contact.
type Contact struct {
	ID         int64    `json:"id"`
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Phone      string   `json:"phone_number"`
	Identifier string   `json:"identifier"`
	Labels     []string `json:"-"`
	// Created is true when UpsertContact created it.
	Created bool `json:"-"`
}

type contactJSON struct {
	ID          int64   `json:"id"`
	Name        *string `json:"name"`
	Email       *string `json:"email"`
	PhoneNumber *string `json:"phone_number"`
	Identifier  *string `json:"identifier"`
}

func (j contactJSON) contact() *Contact {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return &Contact{ID: j.ID, Name: s(j.Name), Email: s(j.Email), Phone: s(j.PhoneNumber), Identifier: s(j.Identifier)}
}

type contactBody struct {
	InboxID              int64          `json:"inbox_id,omitempty"`
	Name                 string         `json:"name,omitempty"`
	Email                string         `json:"email,omitempty"`
	PhoneNumber          string         `json:"phone_number,omitempty"`
	Identifier           string         `json:"identifier,omitempty"`
	CustomAttributes     map[string]any `json:"custom_attributes,omitempty"`
	AdditionalAttributes map[string]any `json:"additional_attributes,omitempty"`
}

// UpsertContact finds the contact by identifier, then e-mail, then phone
// (GET /contacts/search, exact matches only), updates it with the non-empty
// fields given (PUT /contacts/{id}; the Chatwoot spec's method, where older
// docs say PATCH) or creates it (POST /contacts in Config.ContactInboxID, an
// inbox the spec requires), then adds Labels (GET + POST
// /contacts/{id}/labels, merged since POST replaces). Empty fields never
// erase existing values. A phone number that cannot be normalised gives a
// *helpdesk.FieldError for "phone_number" before any request. It needs the
// user token.
func (c *Client) UpsertContact(ctx context.Context, in ContactInput) (*Contact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.Phone != "" {
		p, err := NormalizePhone(in.Phone, c.cfg.DefaultCountryCode)
		if err != nil {
			return nil, err
		}
		in.Phone = p
	}
	in.Email = strings.TrimSpace(in.Email)
	in.Identifier = strings.TrimSpace(in.Identifier)
	if in.Identifier == "" && in.Email == "" && in.Phone == "" {
		return nil, &helpdesk.FieldError{Field: "identifier", Problem: "one of identifier, email and phone is required", Err: helpdesk.ErrInvalidRequest}
	}
	cl, err := c.userClient(ctx, "")
	if err != nil {
		return nil, err
	}
	found, err := c.findContact(ctx, cl, in)
	if err != nil {
		return nil, err
	}
	body := contactBody{Name: in.Name, Email: in.Email, PhoneNumber: in.Phone, Identifier: in.Identifier,
		CustomAttributes: in.CustomAttributes, AdditionalAttributes: in.AdditionalAttributes}
	var ct *Contact
	if found != nil {
		var out struct {
			Payload contactJSON `json:"payload"`
		}
		if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodPut, Path: c.prefix + "/contacts/" + strconv.FormatInt(found.ID, 10), Body: body, Idempotent: true}, &out); err != nil {
			return nil, err
		}
		ct = out.Payload.contact()
		if ct.ID == 0 {
			ct = found
		}
	} else {
		if c.cfg.ContactInboxID <= 0 {
			return nil, &helpdesk.FieldError{Field: "ContactInboxID", Problem: "creating a contact needs Config.ContactInboxID", Err: helpdesk.ErrInvalidRequest}
		}
		body.InboxID = c.cfg.ContactInboxID
		var out struct {
			Payload struct {
				Contact contactJSON `json:"contact"`
			} `json:"payload"`
		}
		if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodPost, Path: c.prefix + "/contacts", Body: body}, &out); err != nil {
			return nil, err
		}
		ct = out.Payload.Contact.contact()
		ct.Created = true
	}
	if len(in.Labels) > 0 && ct.ID > 0 {
		path := c.prefix + "/contacts/" + strconv.FormatInt(ct.ID, 10) + "/labels"
		var cur struct {
			Payload []string `json:"payload"`
		}
		if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path}, &cur); err != nil {
			return ct, err
		}
		merged, changed := mergeLabels(cur.Payload, in.Labels)
		ct.Labels = merged
		if changed {
			var out struct {
				Payload []string `json:"payload"`
			}
			if _, err := cl.Do(ctx, &transport.Request{Method: http.MethodPost, Path: path, Body: map[string][]string{"labels": merged}, Idempotent: true}, &out); err != nil {
				return ct, err
			}
			ct.Labels = out.Payload
		}
	}
	return ct, nil
}

func (c *Client) findContact(ctx context.Context, cl *transport.Client, in ContactInput) (*Contact, error) {
	type key struct {
		q     string
		match func(*Contact) bool
	}
	var keys []key
	if in.Identifier != "" {
		keys = append(keys, key{in.Identifier, func(ct *Contact) bool { return ct.Identifier == in.Identifier }})
	}
	if in.Email != "" {
		keys = append(keys, key{in.Email, func(ct *Contact) bool { return strings.EqualFold(ct.Email, in.Email) }})
	}
	if in.Phone != "" {
		keys = append(keys, key{in.Phone, func(ct *Contact) bool { return ct.Phone == in.Phone }})
	}
	for _, k := range keys {
		var out struct {
			Payload []contactJSON `json:"payload"`
		}
		if _, err := cl.Do(ctx, &transport.Request{
			Method: http.MethodGet, Path: c.prefix + "/contacts/search",
			Query: url.Values{"q": {k.q}}, Limits: []string{LimitContactSearch},
		}, &out); err != nil {
			return nil, err
		}
		for _, j := range out.Payload {
			if ct := j.contact(); k.match(ct) {
				return ct, nil
			}
		}
	}
	return nil, nil
}

// NormalizePhone returns raw as E.164 ("+5511987654321"), the only format
// Chatwoot accepts for contacts. It drops spaces, dots, dashes and
// parentheses, reads "00" as the international prefix, and prefixes
// defaultCC (e.g. "55") to numbers without a country code after dropping a
// national trunk 0. Brazilian mobile numbers written without the ninth digit
// (+55, two-digit area code, eight digits starting 6–9) get the 9 Anatel
// added, as Cloud Chat's contact import asks: +55 11 6083-2431 becomes
// +5511960832431. Errors are *helpdesk.FieldError for "phone_number".
func NormalizePhone(raw, defaultCC string) (string, error) {
	bad := func(problem string) error {
		return &helpdesk.FieldError{Field: "phone_number", Problem: problem, Err: helpdesk.ErrInvalidRequest}
	}
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "whatsapp:")
	var b strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", bad(fmt.Sprintf("unexpected character %q", r))
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case defaultCC != "":
		d = strings.TrimPrefix(defaultCC, "+") + strings.TrimLeft(d, "0")
	default:
		return "", bad("no country code (write +<country code> or set Config.DefaultCountryCode)")
	}
	if d == "" || d[0] == '0' {
		return "", bad("country code cannot start with 0")
	}
	// Brazil: +55, area code (two digits, 11–99 with no 0), subscriber.
	if strings.HasPrefix(d, "55") && len(d) == 12 && d[2] != '0' && d[3] != '0' && d[4] >= '6' {
		d = d[:4] + "9" + d[4:]
	}
	if strings.HasPrefix(d, "55") && len(d) != 12 && len(d) != 13 {
		return "", bad("a Brazilian number has a two-digit area code and 8 (landline) or 9 (mobile) digits")
	}
	if len(d) < 8 || len(d) > 15 {
		return "", bad("E.164 numbers have 8 to 15 digits including the country code")
	}
	return "+" + d, nil
}

// Team is a Cloud Chat team.
type Team struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	AllowAutoAssign bool   `json:"allow_auto_assign"`
}

// Agent is a Cloud Chat agent with availability.
type Agent struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
	// Availability is "online", "busy" or "offline": the effective status
	// (configured availability, auto-offline and presence).
	Availability string `json:"availability_status"`
}

// Online reports whether round robin would pick the agent.
func (a Agent) Online() bool { return a.Availability == "online" }

// ListTeams returns the account's teams (GET /teams, user token).
func (c *Client) ListTeams(ctx context.Context) ([]Team, error) {
	var out []Team
	if err := c.userGet(ctx, c.prefix+"/teams", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListAgents returns the account's agents with their availability
// (GET /agents, user token).
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	if err := c.userGet(ctx, c.prefix+"/agents", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// TeamMembers returns a team's agents with their availability
// (GET /teams/{id}/team_members, user token).
func (c *Client) TeamMembers(ctx context.Context, teamID int64) ([]Agent, error) {
	var out []Agent
	if err := c.userGet(ctx, c.prefix+"/teams/"+strconv.FormatInt(teamID, 10)+"/team_members", &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) userGet(ctx context.Context, path string, out any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl, err := c.userClient(ctx, "")
	if err != nil {
		return err
	}
	_, err = cl.Do(ctx, &transport.Request{Method: http.MethodGet, Path: path}, out)
	return err
}

// Available reports whether a hand-over target can take a conversation now:
// a team when at least one member is online (round robin assigns only
// online agents; none online leaves the conversation unassigned), an agent
// when online. It implements escalation.Availability. An agent unknown to
// the account gives an error matching helpdesk.ErrNotFound.
func (c *Client) Available(ctx context.Context, t helpdesk.Target) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, err
	}
	id, err := targetID(t)
	if err != nil {
		return false, err
	}
	var agents []Agent
	if t.Kind == helpdesk.TargetGroup {
		agents, err = c.TeamMembers(ctx, id)
	} else {
		agents, err = c.ListAgents(ctx)
	}
	if err != nil {
		return false, err
	}
	found := false
	for _, a := range agents {
		if t.Kind == helpdesk.TargetAgent && a.ID != id {
			continue
		}
		found = true
		if a.Online() {
			return true, nil
		}
	}
	if t.Kind == helpdesk.TargetAgent && !found {
		return false, fmt.Errorf("cloudchat: agent %d: %w", id, helpdesk.ErrNotFound)
	}
	return false, nil
}
