package escalation_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/helpdesk"
)

// policyJSON is what an operator keeps in a file, e.g. escalation.json.
const policyJSON = `{
  "min_confidence": 0.65,
  "max_bot_messages": 8,
  "max_messages": 30,
  "tag_routes": [
    {"name": "financeiro", "tags": ["financeiro", "boleto"], "target": {"kind": "group", "id": "360002", "name": "Financeiro N2"},
     "route_only": true}
  ],
  "content_routes": [
    {"name": "juridico", "keywords": ["advogado", "processo judicial", "procon"], "target": {"kind": "group", "id": "360003", "name": "Jurídico"}}
  ],
  "default_target": {"kind": "group", "id": "360001", "name": "Suporte N2"},
  "default_language": "pt",
  "hours": [
    {"target": {"kind": "group", "id": "360001"}, "time_zone": "America/Sao_Paulo",
     "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "open": "08:00", "close": "20:00"}]}
  ],
  "spam": [{"domain": "spam-company.com"}, {"subject": "limited special offer"}],
  "bot_group_ids": ["360999"],
  "availability_timeout": "2s"
}`

func Example() {
	cfg, err := escalation.LoadConfig(strings.NewReader(policyJSON))
	if err != nil {
		log.Fatal(err)
	}
	// The driver or host says whether anyone is online in a team (HubSpot
	// requires at least one agent online before a transfer).
	online := escalation.AvailabilityFunc(func(ctx context.Context, t helpdesk.Target) (bool, error) {
		return true, nil
	})
	policy, err := escalation.New(cfg, escalation.WithAvailability(online))
	if err != nil {
		log.Fatal(err)
	}

	// A Wednesday afternoon in São Paulo.
	now := time.Date(2026, 11, 25, 17, 30, 0, 0, time.UTC)
	event := func(text string) helpdesk.Event {
		return helpdesk.Event{
			Type:         helpdesk.EventMessageCreated,
			Conversation: helpdesk.Conversation{Vendor: "zendesk", ID: "98765", Channel: helpdesk.ChannelWhatsApp},
			Message: &helpdesk.InboundMessage{
				ID:     "1001",
				Author: helpdesk.Author{Role: helpdesk.RoleCustomer, Name: "Ana", Email: "ana@example.com.br"},
				Text:   text,
				Public: true,
			},
		}
	}
	ctx := context.Background()

	// 1. The customer asks for a human: hand over to the default N2 group
	// and tell her in Portuguese.
	d := policy.Decide(ctx, escalation.State{
		Event:       event("Boa tarde! Não quero falar com robô, quero falar com um atendente."),
		BotMessages: 1, CustomerMessages: 1, Language: "pt-BR", Now: now,
	}, escalation.Answer{Text: "Posso ajudar com o seu pedido?", Confidence: 0.9})
	fmt.Println(d.Action, d.Reason, d.Target, d.Route)
	fmt.Println(d.Notice)
	// The host would now call: hd.Reassign(ctx, conv, d.Target)

	// 2. The bot's answer about a boleto has low confidence. The tag
	// "boleto" does not hand over by itself (route_only) but chooses the
	// finance team when a handover happens.
	d = policy.Decide(ctx, escalation.State{
		Event:       event("O boleto venceu ontem, posso pagar com juros pelo app?"),
		BotMessages: 2, CustomerMessages: 3, Tags: []string{"whatsapp", "boleto"}, Language: "pt", Now: now,
	}, escalation.Answer{Text: "Acho que sim.", Confidence: 0.4})
	fmt.Println(d.Action, d.Reason, d.Target, d.Route)

	// 3. A confident answer is sent as is.
	d = policy.Decide(ctx, escalation.State{
		Event: event("Qual o horário de atendimento?"), Language: "pt", Now: now,
	}, escalation.Answer{Text: "Atendemos de segunda a sexta, das 8h às 20h.", Confidence: 0.93})
	fmt.Println(d.Action, d.Reason, d.Text)

	// 4. At night N2 is closed: the bot keeps the conversation and says so.
	d = policy.Decide(ctx, escalation.State{
		Event: event("quero falar com um atendente"), Language: "pt", Now: now.Add(8 * time.Hour),
	}, escalation.Answer{Text: "Posso tentar ajudar enquanto isso.", Confidence: 0.8})
	fmt.Println(d.Action, d.Reason, d.Fallback)
	fmt.Println(d.Notice)

	// Output:
	// escalate customer_asked_human group:360001 (Suporte N2) default
	// Vou transferir você para um de nossos atendentes. Em breve alguém da equipe continuará o atendimento.
	// escalate low_confidence group:360002 (Financeiro N2) financeiro
	// reply answered Atendemos de segunda a sexta, das 8h às 20h.
	// reply customer_asked_human outside_hours
	// No momento nossa equipe não está disponível, mas eu continuo aqui para ajudar.
}

func ExampleRoundRobin() {
	// One cursor per process here; redisrr.NewCursor shares it among replicas.
	rr := escalation.NewRoundRobin(new(escalation.MemoryCursor), 5)
	team := []escalation.Agent{
		{ID: "ana", Online: true, Open: 2},
		{ID: "bruno", Online: false},         // offline: skipped
		{ID: "carla", Online: true, Open: 5}, // at the default limit of 5: skipped
		{ID: "diego", Online: true, Open: 7, Limit: 10},
	}
	for range 3 {
		a, err := rr.Pick(context.Background(), "360001", team)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(a.ID)
	}
	// Output:
	// ana
	// diego
	// ana
}

func ExampleValidationError() {
	_, err := escalation.New(escalation.Config{
		MinConfidence: 2,
		TagRoutes:     []escalation.TagRoute{{Tags: []string{"vip"}, Target: helpdesk.Target{Kind: helpdesk.TargetGroup}}},
		DefaultTarget: helpdesk.Target{Kind: helpdesk.TargetGroup, ID: "42"},
		BotGroupIDs:   []string{"42"},
	})
	if ve, ok := err.(*escalation.ValidationError); ok {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// min_confidence: must be between 0 and 1, got 2
	// tag_routes[0].target: empty group id
	// default_target: group "42" is the bot's own group: handing over there would loop back to the bot
}
