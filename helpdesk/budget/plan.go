package budget

import (
	"math"
)

// Plan estimates how many requests an AI agent sends to a helpdesk, with the
// arithmetic of the "Rate Limit and RPM Usage" help article: every message
// part, resolve and hand-over is one API call, and the month's traffic is
// assumed to arrive only in business hours.
type Plan struct {
	// TicketsPerMonth the bot handles.
	TicketsPerMonth float64
	// MessagesPerTicket the bot sends.
	MessagesPerTicket float64
	// PartsPerMessage is how many API calls one message becomes after
	// splitting (1 without splitting).
	PartsPerMessage float64
	// RequestsPerResolve is the number of calls to resolve one ticket.
	RequestsPerResolve float64
	// HandoverRequestsPerTicket is hand-over calls per ticket: the share of
	// tickets handed to humans times the calls per hand-over (0.5 when half
	// the tickets take one call).
	HandoverRequestsPerTicket float64
	// BusinessDays per month and BusinessHours per day over which the
	// tickets arrive.
	BusinessDays  float64
	BusinessHours float64
	// PeakFactor is how much busier the busiest minute is than the
	// business-hours average (1 when traffic is flat).
	PeakFactor float64
}

// SeedPlan is the help article's example: 60,000 tickets a month, 3 bot
// messages per ticket, 2 calls per resolve, 0.5 hand-over calls per ticket,
// 20 business days of 8 hours. It comes out at 330,000 requests a month,
// about 34 per minute.
var SeedPlan = Plan{
	TicketsPerMonth:           60_000,
	MessagesPerTicket:         3,
	PartsPerMessage:           1,
	RequestsPerResolve:        2,
	HandoverRequestsPerTicket: 0.5,
	BusinessDays:              20,
	BusinessHours:             8,
	PeakFactor:                1,
}

// Usage is a Plan's result.
type Usage struct {
	MessageRequests   float64 // per month
	ResolveRequests   float64 // per month
	HandoverRequests  float64 // per month
	RequestsPerMonth  float64
	RequestsPerTicket float64
	// AverageRPM is requests per minute averaged over business hours.
	AverageRPM float64
	// PeakRPM is AverageRPM times the plan's PeakFactor.
	PeakRPM float64
}

// Compute does the arithmetic. It fails for negative inputs, zero business
// days or hours, or fewer than one part per message.
func (p Plan) Compute() (Usage, error) {
	for name, v := range map[string]float64{
		"tickets per month":             p.TicketsPerMonth,
		"messages per ticket":           p.MessagesPerTicket,
		"requests per resolve":          p.RequestsPerResolve,
		"hand-over requests per ticket": p.HandoverRequestsPerTicket,
	} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return Usage{}, configErr("plan: %s must be a non-negative number, got %v", name, v)
		}
	}
	if !(p.PartsPerMessage >= 1) || math.IsInf(p.PartsPerMessage, 0) {
		return Usage{}, configErr("plan: parts per message must be at least 1, got %v", p.PartsPerMessage)
	}
	if !(p.BusinessDays > 0) || !(p.BusinessHours > 0) || p.BusinessHours > 24 || p.BusinessDays > 31 {
		return Usage{}, configErr("plan: business days (%v) and hours (%v) must be in (0, 31] and (0, 24]", p.BusinessDays, p.BusinessHours)
	}
	peak := p.PeakFactor
	if peak == 0 {
		peak = 1
	}
	if peak < 1 || math.IsNaN(peak) || math.IsInf(peak, 0) {
		return Usage{}, configErr("plan: peak factor must be at least 1, got %v", p.PeakFactor)
	}
	u := Usage{
		MessageRequests:  p.TicketsPerMonth * p.MessagesPerTicket * p.PartsPerMessage,
		ResolveRequests:  p.TicketsPerMonth * p.RequestsPerResolve,
		HandoverRequests: p.TicketsPerMonth * p.HandoverRequestsPerTicket,
	}
	u.RequestsPerMonth = u.MessageRequests + u.ResolveRequests + u.HandoverRequests
	u.RequestsPerTicket = p.MessagesPerTicket*p.PartsPerMessage + p.RequestsPerResolve + p.HandoverRequestsPerTicket
	u.AverageRPM = u.RequestsPerMonth / p.BusinessDays / p.BusinessHours / 60
	u.PeakRPM = u.AverageRPM * peak
	return u, nil
}

// ShareOf returns the fraction of a limit of rpm requests per minute that
// the peak uses (above 1 means the plan runs into the limit).
func (u Usage) ShareOf(rpm float64) float64 {
	if rpm <= 0 {
		return math.Inf(1)
	}
	return u.PeakRPM / rpm
}
