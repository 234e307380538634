package hubspot_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentdesk/agentdesk/helpdesk"
	"github.com/agentdesk/agentdesk/helpdesk/drivertest"
	"github.com/agentdesk/agentdesk/hubspot"
	"github.com/agentdesk/agentdesk/hubspot/hubspottest"
)

var clientSecrets = []string{"hs-client-secret-current-5c1e9a", "hs-client-secret-rotating-out-77b2"}

// agentFlowEvent is the event of the handover flow to the human agent.
const agentFlowEvent = "pe62515_handover_agent"

// eventConfig sets event mode: the default flow hands over to the team,
// a second flow to the agent.
func eventConfig(cfg *hubspot.Config) {
	cfg.HandoverMode = hubspot.HandoverEvent
	cfg.Handover = helpdesk.Target{Kind: helpdesk.TargetGroup, ID: strconv.Itoa(hubspottest.TeamID)}
	cfg.HandoverEvent = hubspottest.EventName
	cfg.Flows = []hubspot.Flow{{Name: "agent", EventName: agentFlowEvent, Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID)}}
}

func threadOf(t *testing.T, conv helpdesk.Conversation) int64 {
	t.Helper()
	id, err := strconv.ParseInt(conv.ID, 10, 64)
	require.NoError(t, err, "conversation id %q", conv.ID)
	return id
}

// conversationOf is the reference a customer message's webhook gives.
func conversationOf(thread int64) helpdesk.Conversation {
	return helpdesk.Conversation{Vendor: hubspot.Vendor, Account: strconv.Itoa(hubspottest.PortalID), ID: strconv.FormatInt(thread, 10),
		Extra: map[string]string{
			hubspot.ExtraChannelID:        hubspottest.ChannelID,
			hubspot.ExtraChannelAccountID: hubspottest.ChannelAccountID,
			hubspot.ExtraRecipients:       `[{"actorId":"V-555","name":"Ana Customer","deliveryIdentifiers":[{"type":"HS_EMAIL_ADDRESS","value":"customer@example.com"}]}]`,
		}}
}

// stateOf is what the fake holds for a thread, normalised.
func stateOf(t *testing.T, srv *hubspottest.Server, conv helpdesk.Conversation) drivertest.State {
	t.Helper()
	th, ok := srv.Thread(threadOf(t, conv))
	require.True(t, ok, "no thread %s at the fake", conv.ID)
	st := drivertest.State{Status: helpdesk.StatusOpen}
	if th.Status == hubspottest.StatusClosed {
		st.Status = helpdesk.StatusResolved
	}
	if th.TeamID != 0 {
		st.GroupID = strconv.FormatInt(th.TeamID, 10)
	}
	if a := strings.TrimPrefix(th.AssignedTo, "A-"); a != "" && a != strconv.Itoa(hubspottest.BotUserID) {
		st.AgentID = a
	}
	bot := "A-" + strconv.Itoa(hubspottest.BotUserID)
	for _, m := range th.Messages {
		if len(m.Senders) == 0 || m.Senders[0].ActorID != bot {
			continue
		}
		if m.Type == hubspot.TypeComment {
			st.Notes = append(st.Notes, m.Text)
		} else {
			st.Public = append(st.Public, m.Text)
		}
	}
	return st
}

func harnessFor(edit func(*hubspot.Config)) drivertest.HarnessFunc {
	return func(t *testing.T) *drivertest.Env {
		srv := hubspottest.NewServer(t)
		srv.Transfer(agentFlowEvent, helpdesk.Target{Kind: helpdesk.TargetAgent, ID: strconv.Itoa(hubspottest.AgentUserID)})
		cfg := srv.Config(clientSecrets...)
		if edit != nil {
			edit(&cfg)
		}
		c, err := hubspot.New(cfg, &hubspot.Options{HTTPClient: srv.Client()})
		require.NoError(t, err)
		deliver := func(body []byte, d drivertest.Delivery) *http.Request {
			secret := d.Secret
			if secret == "" {
				secret = clientSecrets[0]
			}
			return hubspottest.SignedRequest(t.Context(), body, secret, d.At)
		}
		return &drivertest.Env{
			Helpdesk: c,
			NewConversation: func(t *testing.T) helpdesk.Conversation {
				return conversationOf(srv.NewThread("Where is my order?"))
			},
			State: func(t *testing.T, conv helpdesk.Conversation) drivertest.State { return stateOf(t, srv, conv) },
			CustomerMessage: func(t *testing.T, conv helpdesk.Conversation, text string, d drivertest.Delivery) *http.Request {
				return deliver(srv.CustomerDelivery(threadOf(t, conv), text), d)
			},
			BotEcho: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				return deliver(srv.BotDelivery(threadOf(t, conv), text), drivertest.Delivery{})
			},
			Unsigned: func(t *testing.T, conv helpdesk.Conversation, text string) *http.Request {
				r := deliver(srv.CustomerDelivery(threadOf(t, conv), text), drivertest.Delivery{})
				r.Header.Del(hubspot.SignatureHeaderV3)
				return r
			},
			Malformed: func(t *testing.T) *http.Request {
				return deliver([]byte(`[{"eventId":1,"portalId":62515,"subscriptionType":"conversation.newMessage","objectId":`), drivertest.Delivery{At: time.Now()})
			},
			Secrets:        append([]string{hubspottest.Token}, clientSecrets...),
			WebhookSecrets: clientSecrets,
			SignsTime:      true,
			FailNext:       srv.FailNext,
			RetryAfter:     true,
			Stall:          srv.Stall,
			InjectFaults:   srv.InjectFaults,
			Requests:       srv.Requests,
			Group:          strconv.Itoa(hubspottest.TeamID),
			Agent:          strconv.Itoa(hubspottest.AgentUserID),
		}
	}
}

func TestConformance(t *testing.T) {
	t.Run("AgentMode", func(t *testing.T) { drivertest.RunConformance(t, harnessFor(nil)) })
	t.Run("EventMode", func(t *testing.T) { drivertest.RunConformance(t, harnessFor(eventConfig)) })
	t.Run("OwnerMode", func(t *testing.T) {
		drivertest.RunConformance(t, harnessFor(func(c *hubspot.Config) { c.HandoverMode = hubspot.HandoverOwner }))
	})
}
