package klaviyo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Link is what the bridge keeps for one phone number: the customer's SMS
// conversation at Klaviyo and the ticket it is bridged to.
type Link struct {
	Phone  string                `json:"phone"`
	SMS    helpdesk.Conversation `json:"sms"`
	Ticket helpdesk.Conversation `json:"ticket"`
}

// TicketKey is how a LinkStore finds a ticket: its vendor and id (the
// account is left out, as webhooks and API answers do not always both
// name it).
func TicketKey(ticket helpdesk.Conversation) string { return ticket.Vendor + "/" + ticket.ID }

// LinkStore keeps which ticket belongs to which phone number. The
// default, NewMemoryLinkStore, lives in one process; replicas share one on
// Redis (klaviyo/redislinks). Implementations are safe for concurrent use.
type LinkStore interface {
	// ByPhone returns the link of a phone number.
	ByPhone(ctx context.Context, phone string) (Link, bool, error)
	// ByTicket returns the link of a ticket, by TicketKey.
	ByTicket(ctx context.Context, ticketKey string) (Link, bool, error)
	// Put stores l under its phone and its ticket, replacing the phone's
	// previous link.
	Put(ctx context.Context, l Link) error
	// Delete forgets the phone's link (its ticket was closed).
	Delete(ctx context.Context, phone string) error
}

// NewMemoryLinkStore returns an in-process LinkStore.
func NewMemoryLinkStore() LinkStore {
	return &memoryLinks{byPhone: map[string]Link{}, byTicket: map[string]string{}}
}

type memoryLinks struct {
	mu       sync.Mutex
	byPhone  map[string]Link
	byTicket map[string]string
}

func (m *memoryLinks) ByPhone(_ context.Context, phone string) (Link, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.byPhone[phone]
	return l, ok, nil
}

func (m *memoryLinks) ByTicket(_ context.Context, key string) (Link, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.byTicket[key]
	if !ok {
		return Link{}, false, nil
	}
	l, ok := m.byPhone[p]
	return l, ok, nil
}

func (m *memoryLinks) Put(_ context.Context, l Link) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.byPhone[l.Phone]; ok {
		delete(m.byTicket, TicketKey(old.Ticket))
	}
	m.byPhone[l.Phone] = l
	m.byTicket[TicketKey(l.Ticket)] = l.Phone
	return nil
}

func (m *memoryLinks) Delete(_ context.Context, phone string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.byPhone[phone]; ok {
		delete(m.byTicket, TicketKey(old.Ticket))
		delete(m.byPhone, phone)
	}
	return nil
}

// BridgeOptions tunes NewBridge; nil means defaults.
type BridgeOptions struct {
	// Keywords are the account's custom subscription keywords, besides
	// DefaultKeywords: texts that are one of them open no ticket.
	Keywords []string
	// Tags go on every ticket the bridge opens (default DefaultBridgeTags),
	// for the seed's "SMS tickets" view and close-sooner automation.
	Tags []string
	// Links keeps phone ⇄ ticket (default NewMemoryLinkStore()).
	Links LinkStore
	// Logger receives one line per bridged text (default: silent).
	Logger *slog.Logger
}

// DefaultBridgeTags are the tags of a bridged ticket.
var DefaultBridgeTags = []string{"sms", "klaviyo"}

// Bridge connects Klaviyo SMS to a helpdesk the way Klaviyo's Zendesk
// integration does, for any helpdesk whose driver can open conversations
// (helpdesk.CapCreateConversation): a customer's text that is not a
// subscription keyword opens a ticket requested by the customer, or joins
// the customer's open ticket as an internal note; a public agent reply on
// a bridged ticket is texted back from the account's number. The bot's own
// replies, internal notes and echoes are never relayed.
type Bridge struct {
	sms   helpdesk.Helpdesk
	desk  helpdesk.Helpdesk
	links LinkStore
	opts  BridgeOptions
	log   *slog.Logger
}

// NewBridge returns a Bridge between the Klaviyo client sms (or anything
// wrapping it, such as Metrics.Wrap) and desk. Feed it with
// HandleSMS (the Klaviyo webhook's events) and HandleDesk (the helpdesk
// webhook's events).
func NewBridge(sms, desk helpdesk.Helpdesk, opts *BridgeOptions) (*Bridge, error) {
	o := BridgeOptions{}
	if opts != nil {
		o = *opts
	}
	ce := &helpdesk.ConfigError{Vendor: Vendor}
	if sms == nil || !sms.Capabilities().Has(helpdesk.CapSendMessage) {
		ce.Add("sms", "a Klaviyo client that can send texts is required")
	}
	if desk == nil || !desk.Capabilities().Has(helpdesk.CapCreateConversation) {
		ce.Add("desk", "the helpdesk must be able to open conversations (CapCreateConversation)")
	}
	if err := ce.Err(); err != nil {
		return nil, err
	}
	if o.Tags == nil {
		o.Tags = DefaultBridgeTags
	}
	if o.Links == nil {
		o.Links = NewMemoryLinkStore()
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Bridge{sms: sms, desk: desk, links: o.Links, opts: o, log: log}, nil
}

// Links returns the bridge's link store.
func (b *Bridge) Links() LinkStore { return b.links }

// HandleSMS is the helpdesk.EventFunc for the Klaviyo webhook: it bridges
// a customer's text into a ticket. Echoes of the account's own texts,
// keywords and events without a phone number are left alone.
func (b *Bridge) HandleSMS(ctx context.Context, e helpdesk.Event) error {
	if !e.IsCustomerMessage() || e.Conversation.Vendor != Vendor {
		return nil
	}
	text := e.Message.Text
	if IsKeyword(text, b.opts.Keywords...) {
		b.log.DebugContext(ctx, "klaviyo bridge: keyword text not bridged", "profile", e.Conversation.ID)
		return nil
	}
	phone := e.Conversation.Get(ExtraPhone)
	if phone == "" {
		phone = e.Message.Author.Phone
	}
	if !ValidPhone(phone) {
		// Nothing to open a ticket for, now or on a redelivery: an error
		// would only make Klaviyo deliver it again.
		b.log.WarnContext(ctx, "klaviyo bridge: text without an E.164 phone number not bridged", "profile", e.Conversation.ID)
		return nil
	}
	link, ok, err := b.links.ByPhone(ctx, phone)
	if err != nil {
		return err
	}
	if ok {
		_, err := b.desk.SendMessage(ctx, link.Ticket, helpdesk.Message{
			Text:           fmt.Sprintf("SMS from %s:\n%s", phone, text),
			Internal:       true,
			IdempotencyKey: "klaviyo-sms:" + e.DeliveryID,
		})
		if err == nil {
			b.log.InfoContext(ctx, "klaviyo bridge: text added to ticket", "ticket", link.Ticket.ID)
			return nil
		}
		if !errors.Is(err, helpdesk.ErrConversationClosed) && !errors.Is(err, helpdesk.ErrNotFound) {
			return err
		}
		// A closed ticket takes no more comments: the text opens a new one.
		if err := b.links.Delete(ctx, phone); err != nil {
			return err
		}
	}
	name := e.Message.Author.Name
	ticket, err := helpdesk.CreateConversation(ctx, b.desk, helpdesk.NewConversation{
		Requester:      helpdesk.Author{Role: helpdesk.RoleCustomer, Phone: phone, Email: e.Message.Author.Email, Name: name},
		Text:           text,
		Channel:        helpdesk.ChannelSMS,
		Tags:           b.opts.Tags,
		IdempotencyKey: "klaviyo-sms:" + e.DeliveryID,
	})
	if err != nil {
		return err
	}
	b.log.InfoContext(ctx, "klaviyo bridge: ticket opened", "ticket", ticket.ID)
	return b.links.Put(ctx, Link{Phone: phone, SMS: e.Conversation, Ticket: ticket})
}

// HandleDesk is the helpdesk.EventFunc for the helpdesk's webhook: a
// public reply by a human agent on a bridged ticket is texted to the
// customer. The bot's own messages, internal notes and customer messages
// are not; a ticket that becomes closed forgets its link, so the
// customer's next text opens a new ticket.
func (b *Bridge) HandleDesk(ctx context.Context, e helpdesk.Event) error {
	switch {
	case e.Type == helpdesk.EventStatusChanged && e.Status != nil && e.Status.To == helpdesk.StatusClosed:
		link, ok, err := b.links.ByTicket(ctx, TicketKey(e.Conversation))
		if err != nil || !ok {
			return err
		}
		return b.links.Delete(ctx, link.Phone)
	case e.Type != helpdesk.EventMessageCreated || e.Message == nil:
		return nil
	}
	m := e.Message
	if !m.Public || m.Author.Self || m.Author.Role != helpdesk.RoleAgent {
		return nil
	}
	link, ok, err := b.links.ByTicket(ctx, TicketKey(e.Conversation))
	if err != nil || !ok {
		return err
	}
	_, err = b.sms.SendMessage(ctx, link.SMS, helpdesk.Message{Text: m.Text, IdempotencyKey: "desk:" + e.DeliveryID})
	var ue *UnconfirmedError
	switch {
	case err == nil:
		b.log.InfoContext(ctx, "klaviyo bridge: agent reply texted", "ticket", e.Conversation.ID)
	case errors.As(err, &ue):
		// The text is not resent (Klaviyo cannot say whether it went):
		// the agent is told, on the ticket, and decides.
		_, nerr := b.desk.SendMessage(ctx, e.Conversation, helpdesk.Message{Text: UnconfirmedNote, Internal: true, IdempotencyKey: "klaviyo-unconfirmed:" + e.DeliveryID})
		if nerr != nil {
			return errors.Join(err, nerr)
		}
		return nil
	}
	return err
}

// UnconfirmedNote is the internal note the Bridge adds to a ticket when
// Klaviyo cannot confirm that an agent's reply was texted (an
// *UnconfirmedError: the text is not sent again).
const UnconfirmedNote = "Klaviyo could not confirm that the last reply reached the customer by SMS, and it was not sent again to avoid a duplicate text. If it matters, ask the customer or send it again."

// Handover bridges an SMS conversation the bot hands over: it opens a
// ticket requested by the customer with text (or, when the phone has an
// open ticket, adds text to it as an internal note) and links the phone,
// so that agents' public replies go back by SMS. key makes a retried
// handover open no second ticket. It returns the ticket.
func (b *Bridge) Handover(ctx context.Context, sms helpdesk.Conversation, text, key string) (helpdesk.Conversation, error) {
	phone := sms.Get(ExtraPhone)
	if !ValidPhone(phone) {
		return helpdesk.Conversation{}, &helpdesk.FieldError{Field: "conversation.extra." + ExtraPhone, Problem: "the SMS conversation carries no E.164 phone number"}
	}
	if link, ok, err := b.links.ByPhone(ctx, phone); err != nil {
		return helpdesk.Conversation{}, err
	} else if ok {
		_, err := b.desk.SendMessage(ctx, link.Ticket, helpdesk.Message{Text: text, Internal: true, IdempotencyKey: "klaviyo-handover:" + key})
		if err == nil {
			return link.Ticket, nil
		}
		if !errors.Is(err, helpdesk.ErrConversationClosed) && !errors.Is(err, helpdesk.ErrNotFound) {
			return helpdesk.Conversation{}, err
		}
	}
	ticket, err := helpdesk.CreateConversation(ctx, b.desk, helpdesk.NewConversation{
		Requester:      helpdesk.Author{Role: helpdesk.RoleCustomer, Phone: phone},
		Text:           text,
		Channel:        helpdesk.ChannelSMS,
		Tags:           b.opts.Tags,
		IdempotencyKey: "klaviyo-handover:" + key,
	})
	if err != nil {
		return helpdesk.Conversation{}, err
	}
	return ticket, b.links.Put(ctx, Link{Phone: phone, SMS: sms, Ticket: ticket})
}
