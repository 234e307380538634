package intercom

import (
	"context"

	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Team is an Intercom team (a team inbox).
type Team struct {
	ID       string
	Name     string
	AdminIDs []string
}

// Admin is an Intercom teammate.
type Admin struct {
	ID    string
	Name  string
	Email string
	// Away is the teammate's away mode; AwayReassign is set when Intercom
	// reassigns their new replies to the team while away.
	Away         bool
	AwayReassign bool
	TeamIDs      []string
}

// ListTeams returns the workspace's teams (GET /teams).
func (c *Client) ListTeams(ctx context.Context) ([]Team, error) {
	var out struct {
		Teams []struct {
			ID       id     `json:"id"`
			Name     string `json:"name"`
			AdminIDs []id   `json:"admin_ids"`
		} `json:"teams"`
	}
	if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/teams"}, &out); err != nil {
		return nil, err
	}
	teams := make([]Team, 0, len(out.Teams))
	for _, t := range out.Teams {
		tm := Team{ID: string(t.ID), Name: t.Name}
		for _, a := range t.AdminIDs {
			tm.AdminIDs = append(tm.AdminIDs, string(a))
		}
		teams = append(teams, tm)
	}
	return teams, nil
}

// ListAdmins returns the workspace's teammates with their away status
// (GET /admins).
func (c *Client) ListAdmins(ctx context.Context) ([]Admin, error) {
	var out struct {
		Admins []struct {
			ID               id     `json:"id"`
			Name             string `json:"name"`
			Email            string `json:"email"`
			AwayModeEnabled  bool   `json:"away_mode_enabled"`
			AwayModeReassign bool   `json:"away_mode_reassign"`
			TeamIDs          []id   `json:"team_ids"`
		} `json:"admins"`
	}
	if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: "/admins"}, &out); err != nil {
		return nil, err
	}
	admins := make([]Admin, 0, len(out.Admins))
	for _, a := range out.Admins {
		ad := Admin{ID: string(a.ID), Name: a.Name, Email: a.Email, Away: a.AwayModeEnabled, AwayReassign: a.AwayModeReassign}
		for _, t := range a.TeamIDs {
			ad.TeamIDs = append(ad.TeamIDs, string(t))
		}
		admins = append(admins, ad)
	}
	return admins, nil
}

// Available implements escalation.Availability: an admin target is
// available when not away; a team when at least one of its members other
// than the bot is not away. Two requests (GET /teams, GET /admins) for a
// team, one for an admin; cache the answer in the host if it asks often.
func (c *Client) Available(ctx context.Context, t helpdesk.Target) (bool, error) {
	admins, err := c.ListAdmins(ctx)
	if err != nil {
		return false, err
	}
	away := make(map[string]bool, len(admins))
	for _, a := range admins {
		away[a.ID] = a.Away
	}
	if t.Kind == helpdesk.TargetAgent {
		isAway, ok := away[t.ID]
		return ok && !isAway, nil
	}
	teams, err := c.ListTeams(ctx)
	if err != nil {
		return false, err
	}
	bot := c.knownAdminID()
	for _, tm := range teams {
		if tm.ID != t.ID {
			continue
		}
		for _, a := range tm.AdminIDs {
			if isAway, ok := away[a]; ok && !isAway && a != bot {
				return true, nil
			}
		}
		return false, nil
	}
	return false, nil
}

// Part is one conversation part as plain text.
type Part struct {
	ID       string
	PartType string
	// Author is mapped as in webhooks (RoleCustomer, RoleAgent, RoleBot
	// with Self for the bot's own parts).
	Author    helpdesk.Author
	Text      string
	CreatedAt time.Time
}

// Conversation is a conversation read back with its parts.
type Conversation struct {
	ID              string
	State           string
	AdminAssigneeID string
	TeamAssigneeID  string
	Tags            []string
	// Parts starts with the conversation's first message (its source) and
	// holds at most the newest 500 parts Intercom returns.
	Parts []Part
}

// GetConversation reads a conversation with its parts as plain text
// (GET /conversations/{id}?display_as=plaintext: Intercom converts the
// bodies, links as "label (url)"; the text is returned as Intercom gives
// it, so what the customer typed that looks like markup stays as typed).
func (c *Client) GetConversation(ctx context.Context, conv helpdesk.Conversation) (*Conversation, error) {
	if !isDigits(conv.ID) {
		return nil, &helpdesk.FieldError{Field: "conversation.id", Problem: "an Intercom conversation id is a number"}
	}
	var item struct {
		conversationItem
		Tags struct {
			Tags []struct {
				Name string `json:"name"`
			} `json:"tags"`
		} `json:"tags"`
	}
	// The spec types this path's conversation_id as an integer while
	// /reply and /parts take a string; ids are digits either way
	// (checked above), so the same id serves both.
	q := url.Values{"display_as": {"plaintext"}}
	if _, err := c.api.Do(ctx, &transport.Request{Method: http.MethodGet, Path: convPath(conv.ID, ""), Query: q}, &item); err != nil {
		return nil, err
	}
	out := &Conversation{ID: string(item.ID), State: item.State, AdminAssigneeID: string(item.AdminAssigneeID), TeamAssigneeID: string(item.TeamAssigneeID)}
	for _, t := range item.Tags.Tags {
		out.Tags = append(out.Tags, t.Name)
	}
	src := item.Source
	if src.ID != "" || src.Body != "" {
		p := &part{ID: src.ID, PartType: "comment", Body: src.Body, Author: src.Author, CreatedAt: item.CreatedAt}
		out.Parts = append(out.Parts, c.readPart(ctx, p))
	}
	for i := range item.ConversationParts.Parts {
		out.Parts = append(out.Parts, c.readPart(ctx, &item.ConversationParts.Parts[i]))
	}
	return out, nil
}

func (c *Client) readPart(ctx context.Context, p *part) Part {
	m, err := c.message(ctx, TopicUserReplied, p, true)
	if err != nil {
		m = &helpdesk.InboundMessage{Text: strings.TrimSpace(p.Body), Author: helpdesk.Author{ID: string(p.Author.ID), Name: p.Author.Name, Role: helpdesk.RoleAgent}}
	}
	if p.PartType == "note" {
		m.Public = false
	}
	out := Part{ID: string(p.ID), PartType: p.PartType, Author: m.Author, Text: m.Text}
	if p.CreatedAt > 0 {
		out.CreatedAt = time.Unix(p.CreatedAt, 0).UTC()
	}
	return out
}

// AddTag tags the conversation with an existing tag, by id
// (POST /conversations/{id}/tags as the bot admin). Tag ids are listed in
// Settings → Data → Tags, or by the API's GET /tags.
func (c *Client) AddTag(ctx context.Context, conv helpdesk.Conversation, tagID string) error {
	if !isDigits(conv.ID) || strings.TrimSpace(tagID) == "" {
		return &helpdesk.FieldError{Field: "tag", Problem: "needs a numeric conversation id and a tag id"}
	}
	admin, err := c.BotAdminID(ctx)
	if err != nil {
		return err
	}
	body := struct {
		ID      string `json:"id"`
		AdminID string `json:"admin_id"`
	}{tagID, admin}
	_, err = c.api.Do(ctx, &transport.Request{Method: http.MethodPost, Path: convPath(conv.ID, "/tags"), Body: body}, nil)
	return c.opErr("add tag", conv, err)
}

// Snooze snoozes the conversation until the given time (POST
// /conversations/{id}/parts, message_type snoozed; Intercom reopens it
// then and fires conversation.admin.unsnoozed).
func (c *Client) Snooze(ctx context.Context, conv helpdesk.Conversation, until time.Time) error {
	if !isDigits(conv.ID) {
		return &helpdesk.FieldError{Field: "conversation.id", Problem: "an Intercom conversation id is a number"}
	}
	if until.Unix() <= 0 {
		return &helpdesk.FieldError{Field: "until", Problem: "must be a time after 1970"}
	}
	admin, err := c.BotAdminID(ctx)
	if err != nil {
		return err
	}
	req := partsRequest{MessageType: "snoozed", AdminID: admin, SnoozedUntil: until.Unix()}
	_, err = c.api.Do(ctx, &transport.Request{Method: http.MethodPost, Path: convPath(conv.ID, "/parts"), Body: req}, nil)
	return c.opErr("snooze", conv, err)
}

func (c *Client) opErr(op string, conv helpdesk.Conversation, err error) error {
	if err == nil {
		return nil
	}
	return &helpdesk.OpError{Op: helpdesk.Op(op), Vendor: Vendor, Conversation: conv.ID, Err: err}
}
