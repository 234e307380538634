package hubspot_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/hubspot"
)

// A bot that answers customers in HubSpot threads and hands a thread to
// the N2 team through the custom event's workflow when it cannot.
func Example() {
	hs, err := hubspot.New(hubspot.Config{
		BotUserID:     "71260648",
		AccessToken:   "pat-na1-...",
		ClientSecrets: []string{"client-secret"},
		Handover:      helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "5150"},
		HandoverMode:  hubspot.HandoverEvent,
		HandoverEvent: "pe62515_handover_n2",
		WebhookURL:    "https://bot.example.com/webhooks/hubspot",
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	handler, err := helpdesk.NewWebhookHandler(hs, func(ctx context.Context, e helpdesk.Event) error {
		if !e.IsCustomerMessage() {
			return nil
		}
		if _, err := hs.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: "Thanks, looking into it."}); err == nil {
			return nil
		}
		to := hs.Config().HandoverTarget()
		to.Notice = "A colleague will take over."
		err := hs.Reassign(ctx, e.Conversation, to)
		var many *hubspot.AmbiguousTicketError
		if helpdesk.ErrorAs(hs, err, &many) {
			log.Printf("thread %s has tickets %v: keep one ticket per conversation", many.Thread, many.Tickets)
		}
		return err
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	// The same handler serves the app webhooks and the ticket-created
	// workflow (its URL is WebhookURL + "/tickets").
	http.Handle("POST /webhooks/hubspot", handler)
	http.Handle("POST /webhooks/hubspot/tickets", handler)
	fmt.Println(hs.Capabilities())
	// Output: send,internal-note,resolve,reassign-group,reassign-agent,webhooks
}

// The MFA key is accepted as the password manager shows it, and gives
// the bot user's one-time code for hosts that log it in.
func ExampleNormalizeMFASecret() {
	key, err := hubspot.NormalizeMFASecret("otpauth://totp/HubSpot:bot%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=HubSpot")
	fmt.Println(key, err)
	key, err = hubspot.NormalizeMFASecret("jbsw y3dp ehpk 3pxp")
	fmt.Println(key, err)
	_, err = hubspot.NormalizeMFASecret("JBSW Y3DP EHPK 3PX0")
	fmt.Println(err)
	// Output:
	// JBSWY3DPEHPK3PXP <nil>
	// JBSWY3DPEHPK3PXP <nil>
	// is not a base32 key (letters A-Z and digits 2-7, as shown by the authenticator) nor an otpauth://totp/ URL
}

// Config problems are all reported at once, with where to look.
func ExampleConfig_Validate() {
	err := hubspot.Config{BotUserID: "71260648", AccessToken: "CJSP5qf1KhICAQEY", ClientSecrets: []string{"s"}}.Validate()
	fmt.Println(errors.Is(err, hubspot.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// hubspot: invalid config: AccessToken: is not a private-app access token: it must start with pat- (Settings → Integrations → Private Apps → Auth → Access token)
}

// The body the ticket-created workflow sends (Automations → Workflows).
func ExampleTicketWorkflowBody() {
	fmt.Println(hubspot.TicketWorkflowBody)
	// Output: {"hs_ticket_id": "<Ticket ID>", "hs_conversations_originating_thread_id": "<Originating thread ID>"}
}
