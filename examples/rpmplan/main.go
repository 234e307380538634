// Command rpmplan estimates how much of a helpdesk's API rate limit an AI
// support agent uses, with the arithmetic of the "Rate Limit and RPM Usage"
// help article: every message part, resolve and hand-over is one API call,
// and a month's tickets arrive only during business hours.
//
// The defaults are the article's example (60,000 tickets a month, 3 bot
// messages each, 2 calls per resolve, 0.5 hand-over calls per ticket, 20
// business days of 8 hours): 330,000 requests a month, about 34 per minute.
//
//	go run ./examples/rpmplan -parts 2.5
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/agentdesk/agentdesk/helpdesk/budget"
)

func main() {
	p := budget.SeedPlan
	flag.Float64Var(&p.TicketsPerMonth, "tickets", p.TicketsPerMonth, "tickets the bot handles per month")
	flag.Float64Var(&p.MessagesPerTicket, "messages", p.MessagesPerTicket, "bot messages per ticket")
	flag.Float64Var(&p.PartsPerMessage, "parts", p.PartsPerMessage, "API calls per message after splitting (1 = no splitting)")
	flag.Float64Var(&p.RequestsPerResolve, "resolve", p.RequestsPerResolve, "API calls to resolve a ticket")
	flag.Float64Var(&p.HandoverRequestsPerTicket, "handover", p.HandoverRequestsPerTicket, "hand-over calls per ticket (hand-over share × calls per hand-over)")
	flag.Float64Var(&p.BusinessDays, "days", p.BusinessDays, "business days per month")
	flag.Float64Var(&p.BusinessHours, "hours", p.BusinessHours, "business hours per day")
	flag.Float64Var(&p.PeakFactor, "peak", p.PeakFactor, "busiest minute as a multiple of the business-hours average")
	flag.Parse()
	if err := run(os.Stdout, p); err != nil {
		fmt.Fprintln(os.Stderr, "rpmplan:", err)
		os.Exit(2)
	}
}

func perMinute(n float64, w time.Duration) float64 { return n * float64(time.Minute) / float64(w) }

func run(out io.Writer, p budget.Plan) error {
	u, err := p.Compute()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%.0f tickets/month × %.4g requests/ticket (%.4g messages × %.4g parts + %.4g resolve + %.4g hand-over)\n",
		p.TicketsPerMonth, u.RequestsPerTicket, p.MessagesPerTicket, p.PartsPerMessage, p.RequestsPerResolve, p.HandoverRequestsPerTicket)
	fmt.Fprintf(out, "= %.0f requests/month (messages %.0f, resolves %.0f, hand-overs %.0f)\n",
		u.RequestsPerMonth, u.MessageRequests, u.ResolveRequests, u.HandoverRequests)
	fmt.Fprintf(out, "average RPM over %.4g days × %.4g h: %.1f; peak RPM (×%.4g): %.1f\n",
		p.BusinessDays, p.BusinessHours, u.AverageRPM, max(p.PeakFactor, 1), u.PeakRPM)
	perDay := u.RequestsPerMonth / p.BusinessDays
	fmt.Fprintf(out, "requests per business day: %.0f (HubSpot daily caps: %.1f%% of 250,000, %.1f%% of 625,000)\n\n",
		perDay, 100*perDay/hubspotStarterDaily, 100*perDay/hubspotProDaily)

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "limit\tvendor RPM\tbudget RPM\tpeak share\tnote")
	for _, r := range rows() {
		l := r.limit
		rpm := perMinute(float64(l.Count), l.Window)
		burst := l.Burst
		if burst == 0 {
			burst = budget.DefaultBurst(l.Count)
		}
		budgetRPM := perMinute(float64(l.Count-burst), l.Window)
		share := u.ShareOf(rpm)
		flag := ""
		if u.PeakRPM > budgetRPM {
			flag = "  OVER"
		}
		fmt.Fprintf(tw, "%s\t%10.0f\t%10.0f\t%9.1f%%%s\t%s\n", r.name, rpm, budgetRPM, 100*share, flag, r.note)
	}
	return tw.Flush()
}
