package cloudchat_test

import (
	"github.com/agentdesk/agentdesk/cloudchat"
	"github.com/agentdesk/agentdesk/escalation"
)

// The client feeds the escalation policy's availability checks directly.
var _ escalation.Availability = (*cloudchat.Client)(nil)
