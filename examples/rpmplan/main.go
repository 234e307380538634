// Command rpmplan estimates how much of a helpdesk's API rate limit an AI
// support agent uses, with the arithmetic of the "Rate Limit and RPM Usage"
// help article: every API call counts, and a month's tickets arrive only
// during business hours.
//
// By default the requests per ticket are the driver's own, measured by
// running the article's scenario (3 bot messages per ticket, a resolve,
// a hand-over in half of them) against its fake vendor (measured.json,
// kept current by this package's tests): on Zendesk tickets a resolve
// rides on the last message, so a ticket costs 3.5 requests, not the
// article's 5.5. -driver picks the driver, -measured reads another
// measurement file, and -seed uses the article's own arithmetic (2 calls
// per resolve, 0.5 hand-over calls per ticket). The first line says which
// figure was used and where it came from.
//
//	go run ./examples/rpmplan -parts 2.5
//	go run ./examples/rpmplan -driver cloudchat -tickets 100000
//	go run ./examples/rpmplan -seed
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
	if err := plan(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rpmplan:", err)
		os.Exit(2)
	}
}

// plan parses the command line and prints the estimate.
func plan(args []string, out, errOut io.Writer) error {
	p := budget.SeedPlan
	fs := flag.NewFlagSet("rpmplan", flag.ContinueOnError)
	fs.SetOutput(errOut)
	seed := fs.Bool("seed", false, "use the help article's requests per ticket (2 per resolve, 0.5 hand-over calls per ticket) instead of the driver's measured ones")
	driver := fs.String("driver", "zendesk", "driver whose measured requests per ticket to use (see measured.json)")
	file := fs.String("measured", "", "measurement file to read instead of the embedded measured.json")
	handovers := fs.Float64("handovers", 0.5, "share of tickets handed over to a human (with measured figures)")
	fs.Float64Var(&p.TicketsPerMonth, "tickets", p.TicketsPerMonth, "tickets the bot handles per month")
	fs.Float64Var(&p.MessagesPerTicket, "messages", p.MessagesPerTicket, "bot messages per ticket")
	fs.Float64Var(&p.PartsPerMessage, "parts", p.PartsPerMessage, "parts per message after splitting (1 = no splitting)")
	fs.Float64Var(&p.RequestsPerResolve, "resolve", p.RequestsPerResolve, "API calls to resolve a ticket (overrides the measured figure)")
	fs.Float64Var(&p.HandoverRequestsPerTicket, "handover", p.HandoverRequestsPerTicket, "hand-over calls per ticket (overrides the measured figure)")
	fs.Float64Var(&p.BusinessDays, "days", p.BusinessDays, "business days per month")
	fs.Float64Var(&p.BusinessHours, "hours", p.BusinessHours, "business hours per day")
	fs.Float64Var(&p.PeakFactor, "peak", p.PeakFactor, "busiest minute as a multiple of the business-hours average")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *seed {
		fmt.Fprintln(out, "requests per ticket: the help article's arithmetic (-seed): 1 per message part, 2 per resolve, 0.5 hand-over calls per ticket")
		return run(out, p)
	}
	ms, from, err := loadMeasurements(*file)
	if err != nil {
		return err
	}
	m, err := ms.find(*driver)
	if err != nil {
		return err
	}
	resolve, handover := p.RequestsPerResolve, p.HandoverRequestsPerTicket
	p = m.apply(p, *handovers)
	if set["resolve"] {
		p.RequestsPerResolve = resolve
	}
	if set["handover"] {
		p.HandoverRequestsPerTicket = handover
	}
	fmt.Fprintf(out, "requests per ticket: measured for the %s driver against %s (%s), from %s: %.4g per message, %.4g per resolve, %.4g per hand-over\n",
		m.Driver, m.Fake, ms.Scenario, from, m.PerMessage, m.PerResolve, m.PerHandover)
	return run(out, p)
}

func perMinute(n float64, w time.Duration) float64 { return n * float64(time.Minute) / float64(w) }

func run(out io.Writer, p budget.Plan) error {
	u, err := p.Compute()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%.0f tickets/month × %.4g requests/ticket (%.4g messages × %.4g requests + %.4g resolve + %.4g hand-over)\n",
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
