package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/klaviyo"
)

// Klaviyo mode: KLAVIYO_API_KEY (a private key, pk_...),
// KLAVIYO_WEBHOOK_SECRET (the system webhook's secret_key; several,
// comma-separated, while rotating), optional KLAVIYO_REVISION,
// KLAVIYO_BASE_URL and KLAVIYO_SENDING_NUMBER. It serves the system
// webhook subscribed to event:klaviyo.sent_sms on /webhooks/klaviyo and
// answers customers' texts, never a subscription keyword (STOP, JOIN,
// HELP...: Klaviyo answers those, and a bot reply to STOP is a compliance
// failure). A handover leaves the conversation to Klaviyo's inbox.
//
// With the Zendesk mode's ZENDESK_* variables also set, it also serves
// /webhooks/zendesk as the Zendesk mode does, hands SMS conversations over
// as Zendesk tickets (tagged sms and klaviyo, assigned to
// ZENDESK_N2_GROUP_ID) whose agents' public replies go back by SMS, and
// reports Opened Ticket, Resolved Ticket, Bot Replied and Handed Over to
// Human to Klaviyo for both.
func init() {
	vendorModes["klaviyo"] = newKlaviyoMode
}

// klaviyoInbox is the handover target without Zendesk: Klaviyo's own
// Conversations inbox, where people answer texts.
const klaviyoInbox = "klaviyo-inbox"

func newKlaviyoMode(getenv func(string) string, logger *slog.Logger, budgets sharedBudgets) (helpdesk.Helpdesk, []string, error) {
	cfg := klaviyo.Config{
		APIKey:         getenv("KLAVIYO_API_KEY"),
		Revision:       getenv("KLAVIYO_REVISION"),
		BaseURL:        getenv("KLAVIYO_BASE_URL"),
		SendingNumber:  getenv("KLAVIYO_SENDING_NUMBER"),
		WebhookSecrets: splitSecrets(getenv("KLAVIYO_WEBHOOK_SECRET")),
	}
	var ce helpdesk.ConfigError
	ce.Vendor = klaviyo.Vendor
	if len(cfg.WebhookSecrets) == 0 {
		ce.Add("KLAVIYO_WEBHOOK_SECRET", "required: the secret_key of the system webhook")
	}
	if err := cfg.Validate(); err != nil {
		var vce *helpdesk.ConfigError
		if errors.As(err, &vce) {
			for _, p := range vce.Problems {
				ce.Add("KLAVIYO_"+envName(p.Field), "%s", p.Problem)
			}
		}
	}
	if err := ce.Err(); err != nil {
		return nil, nil, err
	}
	pace, err := budgets.get(cfg.BudgetKey(), cfg.Limits(), klaviyo.Headers)
	if err != nil {
		return nil, nil, err
	}
	sms, err := klaviyo.New(cfg, &klaviyo.Options{Logger: logger, Budget: pace})
	if err != nil {
		return nil, nil, err
	}
	k := &klaviyoDesk{sms: sms, smsHD: sms, seen: map[string]bool{}, log: logger}
	paths := []string{"/webhooks/klaviyo"}
	info := &modeHelpdesk{Helpdesk: k, n2: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: klaviyoInbox}, n2OK: true, n2Env: "ZENDESK_N2_GROUP_ID",
		check: namedCheck(sms.Check, map[string]string{"APIKey": "KLAVIYO_API_KEY", "Revision": "KLAVIYO_REVISION"})}
	if getenv("ZENDESK_SUBDOMAIN") != "" {
		zd, zpaths, err := vendorModes["zendesk"](getenv, logger, budgets)
		if err != nil {
			return nil, nil, err
		}
		zm := modeInfo(zd)
		if k.metrics, err = klaviyo.NewMetrics(sms, &klaviyo.MetricsOptions{Tags: []string{"faqbot"}}); err != nil {
			return nil, nil, err
		}
		info.close = k.metrics.Close
		k.desk = k.metrics.Wrap(zm.Helpdesk)
		k.smsHD = k.metrics.Wrap(sms)
		if k.bridge, err = klaviyo.NewBridge(k.smsHD, k.desk, nil); err != nil {
			return nil, nil, err
		}
		k.deskMine = zm.mine
		info.n2, info.n2OK, info.botGroups = zm.n2, zm.n2OK, zm.botGroups
		if smsCheck, deskCheck := info.check, zm.check; deskCheck != nil {
			info.check = func(ctx context.Context) error {
				// One list for both accounts.
				all := &helpdesk.ConfigError{Vendor: klaviyo.Vendor}
				for _, check := range []func(context.Context) error{smsCheck, deskCheck} {
					err := check(ctx)
					var ce *helpdesk.ConfigError
					if err != nil && !errors.As(err, &ce) {
						return err
					}
					if ce != nil {
						all.Problems = append(all.Problems, ce.Problems...)
					}
				}
				return all.Err()
			}
		}
		paths = append(paths, zpaths...)
	}
	info.mine = k.mine
	return info, paths, nil
}

func splitSecrets(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// envName turns a Config field ("APIKey") into its variable's suffix
// ("API_KEY").
func envName(field string) string {
	switch field {
	case "APIKey":
		return "API_KEY"
	case "WebhookSecrets":
		return "WEBHOOK_SECRET"
	case "BaseURL":
		return "BASE_URL"
	case "SendingNumber":
		return "SENDING_NUMBER"
	}
	return strings.ToUpper(field)
}

// klaviyoDesk is Klaviyo mode's helpdesk: SMS conversations, and with
// Zendesk its tickets, each call going to the conversation's vendor.
type klaviyoDesk struct {
	sms      *klaviyo.Client
	smsHD    helpdesk.Helpdesk // sms, with metrics when Zendesk is set
	desk     helpdesk.Helpdesk // Zendesk with metrics; nil without
	deskMine func(helpdesk.Event) bool
	bridge   *klaviyo.Bridge
	metrics  *klaviyo.Metrics
	log      *slog.Logger

	mu   sync.Mutex
	seen map[string]bool // deliveries whose side effects ran
}

func (k *klaviyoDesk) Capabilities() helpdesk.Capabilities {
	c := helpdesk.Capabilities(helpdesk.CapSendMessage | helpdesk.CapWebhooks | helpdesk.CapResolve | helpdesk.CapReassignGroup)
	if k.desk != nil {
		c |= k.desk.Capabilities()
	}
	return c
}

func (k *klaviyoDesk) isSMS(conv helpdesk.Conversation) bool { return conv.Vendor == klaviyo.Vendor }

// SendMessage texts an SMS customer (an SMS conversation has nothing to
// resolve) or posts on a Zendesk ticket.
func (k *klaviyoDesk) SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error) {
	if k.isSMS(conv) || k.desk == nil {
		msg.Resolve = false
		return k.smsHD.SendMessage(ctx, conv, msg)
	}
	return k.desk.SendMessage(ctx, conv, msg)
}

// Resolve: an SMS conversation stays open at Klaviyo (there is nothing to
// close); a Zendesk ticket is solved.
func (k *klaviyoDesk) Resolve(ctx context.Context, conv helpdesk.Conversation) error {
	if k.isSMS(conv) || k.desk == nil {
		return ctx.Err()
	}
	return k.desk.Resolve(ctx, conv)
}

// Reassign hands an SMS conversation over: with Zendesk it becomes a
// ticket assigned to the level-2 group, whose agents' replies go back by
// SMS; without, it is left to Klaviyo's inbox. The notice is texted.
func (k *klaviyoDesk) Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error {
	if !k.isSMS(conv) && k.desk != nil {
		return k.desk.Reassign(ctx, conv, to)
	}
	if k.bridge != nil {
		note := to.Note
		if note == "" {
			note = "The bot handed this SMS conversation over."
		}
		ticket, err := k.bridge.Handover(ctx, conv, note, conv.ID+":"+to.ID)
		if err != nil {
			return err
		}
		if err := k.desk.Reassign(ctx, ticket, helpdesk.Target{Kind: to.Kind, ID: to.ID, Name: to.Name}); err != nil {
			return err
		}
	}
	if strings.TrimSpace(to.Notice) != "" {
		_, err := k.smsHD.SendMessage(ctx, conv, helpdesk.Message{Text: to.Notice})
		return err
	}
	return nil
}

// ParseWebhook reads Klaviyo deliveries on /webhooks/klaviyo and Zendesk's
// elsewhere. Keyword texts never reach the bot; texts from a customer
// whose conversation became a ticket join the ticket instead; Zendesk
// events feed the metrics and relay agents' replies by SMS.
func (k *klaviyoDesk) ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error) {
	if k.desk != nil && (req.URL == nil || !strings.HasSuffix(req.URL.Path, "/webhooks/klaviyo")) {
		events, err := k.desk.ParseWebhook(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if !k.first("desk:" + e.DeliveryID) {
				continue
			}
			k.metrics.Observe(e)
			if err := k.bridge.HandleDesk(ctx, e); err != nil {
				k.log.WarnContext(ctx, "faqbot: relaying an agent reply by SMS failed", "error", err)
			}
		}
		return events, nil
	}
	events, err := k.sms.ParseWebhook(ctx, req)
	if err != nil {
		return nil, err
	}
	out := events[:0]
	for _, e := range events {
		if e.IsCustomerMessage() && klaviyo.IsKeyword(e.Message.Text) {
			continue // Klaviyo answers keywords itself
		}
		if k.bridge != nil && e.IsCustomerMessage() {
			if _, linked, err := k.bridge.Links().ByPhone(ctx, e.Conversation.Get(klaviyo.ExtraPhone)); err == nil && linked {
				if k.first("sms:" + e.DeliveryID) {
					if err := k.bridge.HandleSMS(ctx, e); err != nil {
						return nil, err
					}
				}
				continue // a human has it, in the ticket
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// first reports whether id is seen for the first time (side effects of a
// redelivery run once).
func (k *klaviyoDesk) first(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seen[id] {
		return false
	}
	if len(k.seen) > 100_000 {
		clear(k.seen)
	}
	k.seen[id] = true
	return true
}

// mine: an SMS conversation is the bot's until handed over; a Zendesk
// ticket as in the Zendesk mode.
func (k *klaviyoDesk) mine(e helpdesk.Event) bool {
	if k.isSMS(e.Conversation) || k.deskMine == nil {
		return true
	}
	return k.deskMine(e)
}

// As reaches the Klaviyo client (and, with Zendesk, the Zendesk one).
func (k *klaviyoDesk) As(target any) bool {
	if helpdesk.As(k.sms, target) {
		return true
	}
	return k.desk != nil && helpdesk.As(k.desk, target)
}
