package main

import (
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

// The vendors' published plan limits, as planning data. The drivers keep
// the limits they pace with in their own limits.go; this table only has to
// be right enough to plan with, so it lists plans the drivers need not.
const (
	hubspotStarterDaily = 250_000
	hubspotProDaily     = 625_000
)

// row is one vendor limit, converted to requests per minute.
type row struct {
	name  string
	limit budget.Limit
	note  string
}

func rows() []row {
	perMin := func(n int) budget.Limit { return budget.Limit{Count: n, Window: time.Minute} }
	per10s := func(n int) budget.Limit { return budget.Limit{Count: n, Window: 10 * time.Second} }
	return []row{
		// Zendesk Support API, per account and minute.
		{name: "Zendesk Team", limit: perMin(200)},
		{name: "Zendesk Growth / Professional", limit: perMin(400)},
		{name: "Zendesk Enterprise", limit: perMin(700)},
		{name: "Zendesk Enterprise Plus / High Volume", limit: perMin(2500)},
		{name: "Zendesk Update Ticket", limit: perMin(100), note: "if every call updates a ticket; shared with agents"},
		// Intercom: 10,000 a minute per app, enforced as 1/6 per 10 s.
		{name: "Intercom (app)", limit: per10s(1667), note: "enforced per 10 s"},
		// HubSpot: per 10 s, plus a daily cap.
		{name: "HubSpot Free/Starter", limit: per10s(100), note: "+ 250,000/day"},
		{name: "HubSpot Professional/Enterprise", limit: per10s(190), note: "+ 625,000–1,000,000/day"},
		// Chatwoot's default rack-attack limit per client IP.
		{name: "Cloud Chat (Chatwoot)", limit: perMin(3000), note: "per client IP"},
		// Klaviyo endpoint tiers: the steady (per minute) window; the
		// burst (per second) window is in the note.
		{name: "Klaviyo tier S", limit: perMin(60), note: "and 3/s"},
		{name: "Klaviyo tier M", limit: perMin(150), note: "and 10/s"},
		{name: "Klaviyo tier L", limit: perMin(700), note: "and 75/s"},
		{name: "Klaviyo tier XL", limit: perMin(3500), note: "and 350/s"},
	}
}
