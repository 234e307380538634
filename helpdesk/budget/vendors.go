package budget

import "time"

// Zendesk plan limits for the Support API, requests per minute.
const (
	ZendeskTeam         = 200
	ZendeskGrowth       = 400
	ZendeskProfessional = 400
	ZendeskEnterprise   = 700
	// ZendeskEnterprisePlus is also what the High Volume API add-on raises
	// Growth and above to.
	ZendeskEnterprisePlus = 2500
	// ZendeskTicketUpdates is the Update Ticket limit per account and
	// minute (300 with High Volume), shared with the human agents' UI.
	ZendeskTicketUpdates = 100
)

// ZendeskTicketsUpdate names the Update Ticket limit; drivers list it in
// transport.Call.Limits for every ticket update.
const ZendeskTicketsUpdate = "tickets-update"

// ZendeskLimits returns the account limit (planRPM per minute) and the
// Update Ticket endpoint limit (ticketUpdates per minute). Use with
// WithHeaders(ZendeskHeaders).
func ZendeskLimits(planRPM, ticketUpdates int) []Limit {
	return []Limit{
		{Name: "account", Count: planRPM, Window: time.Minute},
		{Name: ZendeskTicketsUpdate, PerEndpoint: true, Count: ticketUpdates, Window: time.Minute},
	}
}

// IntercomLimits returns Intercom's limit of perMinute requests (10,000 for
// an app), which Intercom enforces in 10-second windows of perMinute/6. Use
// with WithHeaders(IntercomHeaders).
func IntercomLimits(perMinute int) []Limit {
	return []Limit{{Name: "10s", Count: (perMinute + 5) / 6, Window: 10 * time.Second}}
}

// HubSpot limits per 10 seconds and per day.
const (
	HubSpotStarter10s      = 100
	HubSpotProfessional10s = 190
	HubSpotStarterDaily    = 250_000
	HubSpotProDaily        = 625_000
	HubSpotEnterpriseDaily = 1_000_000
)

// HubSpotLimits returns per10s requests per 10 seconds and, when daily > 0,
// a daily cap (OAuth apps have none). Use with WithHeaders(HubSpotHeaders).
func HubSpotLimits(per10s, daily int) []Limit {
	l := []Limit{{Name: "10s", Count: per10s, Window: 10 * time.Second}}
	if daily > 0 {
		l = append(l, Limit{Name: "daily", Count: daily, Window: 24 * time.Hour})
	}
	return l
}

// KlaviyoLimits returns Klaviyo's two fixed windows, both enforced: the
// burst (per second) and the steady (per minute) window of an endpoint tier,
// e.g. 3 and 60 for tier S. Use with WithHeaders(KlaviyoHeaders).
func KlaviyoLimits(perSecond, perMinute int) []Limit {
	return []Limit{
		{Name: "burst", Count: perSecond, Window: time.Second, Burst: 1},
		{Name: "steady", Count: perMinute, Window: time.Minute},
	}
}

// ChatwootDefault is Chatwoot's default rack-attack limit per client IP and
// minute.
const ChatwootDefault = 3000

// ChatwootLimits returns Chatwoot's per-IP limit (fixed one-minute window).
// Replicas behind one NAT address share it. Use with
// WithHeaders(ChatwootHeaders).
func ChatwootLimits(perMinute int) []Limit {
	return []Limit{{Name: "ip", Count: perMinute, Window: time.Minute}}
}
