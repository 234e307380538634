package driver

import (
	"context"

	"github.com/agentdesk/agentdesk/helpdesk"
)

// Driver is what a vendor driver implements. New wraps it in a Portable,
// the helpdesk.Helpdesk that bot authors use, which applies every rule the
// drivers share before a Driver method is called. A Driver may therefore
// rely on the following for every call it receives:
//
//   - ctx is not done yet;
//   - conv has a non-blank ID and its Vendor is "" or Vendor(), and it
//     passed CheckConversation when the driver implements ConversationChecker;
//   - SendMessage: msg.Text is not blank (or msg has attachments and the
//     driver declared CapAttachments); Internal only with CapInternalNote,
//     a customer-visible message only with CapSendMessage; msg.Resolve only
//     with CapResolveWithMessage (without it the Portable sends the message
//     and then calls Resolve itself);
//   - Resolve: only with CapResolve;
//   - Reassign: to passed helpdesk.Target.Validate and, when the driver
//     implements TargetChecker, CheckTarget; its Kind is one the driver
//     declared (CapReassignGroup / CapReassignAgent);
//   - VerifyWebhook is called before ParseWebhook, on the same request, and
//     ParseWebhook only when it returned nil; both only with CapWebhooks;
//   - the per-conversation guard (Options.ConversationLimit) has admitted
//     the call.
//
// Errors a Driver returns are wrapped once by the Portable (a
// *helpdesk.OpError naming the vendor, operation and conversation); the
// Driver returns them as the transport and verifier made them.
type Driver interface {
	// Vendor is the driver's name, as in helpdesk.Conversation.Vendor.
	Vendor() string
	// Capabilities declares what the driver can do. The Portable refuses
	// anything outside it with helpdesk.ErrUnsupported without calling
	// the driver.
	Capabilities() helpdesk.Capabilities

	// SendMessage posts one message (see helpdesk.Helpdesk.SendMessage).
	// Receipt.Resolved must be true only when the conversation really was
	// resolved with the message: the conformance kit checks the vendor's
	// state.
	SendMessage(ctx context.Context, conv helpdesk.Conversation, msg helpdesk.Message) (*helpdesk.Receipt, error)
	// Resolve resolves the conversation.
	Resolve(ctx context.Context, conv helpdesk.Conversation) error
	// Reassign hands the conversation over (see helpdesk.Helpdesk.Reassign).
	Reassign(ctx context.Context, conv helpdesk.Conversation, to helpdesk.Target) error

	// VerifyWebhook authenticates a delivery, usually with a Verifier:
	// signature (or shared secret) over the raw body, then the signed
	// time against req.ReceivedAt. It returns an error matching
	// helpdesk.ErrInvalidSignature (ErrSignatureMissing, ...) for anything
	// it cannot authenticate.
	VerifyWebhook(req *helpdesk.WebhookRequest) error
	// ParseWebhook decodes a verified delivery into events. Unreadable
	// bodies give an error matching helpdesk.ErrInvalidPayload (use
	// InvalidPayload); a delivery without events it maps gives none and
	// no error.
	ParseWebhook(ctx context.Context, req *helpdesk.WebhookRequest) ([]helpdesk.Event, error)

	// As lets a host reach the vendor's own client type through a
	// helpdesk.Helpdesk (helpdesk.As): it sets *i and returns true when i
	// points to a type the driver offers.
	As(i any) bool
	// ErrorAs lets a host reach the vendor's own error type
	// (helpdesk.ErrorAs). Drivers without one return errors.As(err, i).
	ErrorAs(err error, i any) bool
}

// ConversationChecker is implemented by drivers that can tell, without a
// request, that a conversation reference is not theirs or malformed (a
// non-numeric id where the vendor's ids are numbers, another account).
// CheckConversation returns a *helpdesk.FieldError.
type ConversationChecker interface {
	CheckConversation(conv helpdesk.Conversation) error
}

// TargetChecker is implemented by drivers whose group or agent ids have a
// shape that can be checked without a request. CheckTarget returns a
// *helpdesk.FieldError; it is called after helpdesk.Target.Validate.
type TargetChecker interface {
	CheckTarget(to helpdesk.Target) error
}

// ConversationCreator is implemented by drivers whose vendor can open a
// conversation (a ticket) on behalf of a customer; they declare
// helpdesk.CapCreateConversation. The Portable calls it with a request
// that passed helpdesk.NewConversation.Validate and a live context, and
// checks that the returned conversation has an id.
type ConversationCreator interface {
	CreateConversation(ctx context.Context, req helpdesk.NewConversation) (helpdesk.Conversation, error)
}
