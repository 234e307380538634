package driver

import (
	"github.com/agentdesk/agentdesk/helpdesk/budget"
	"github.com/agentdesk/agentdesk/helpdesk/transport"
)

// Budget returns the budget a driver paces its requests with, by the rule
// every driver follows (and documents on its Options.Budget and
// Options.NoBudget):
//
//   - given, when the host passed one (replicas share a Redis budget from
//     helpdesk/budget/redisbudget built with the driver's limits and header
//     reader);
//   - nil, when the host set none to true: requests are then slowed only by
//     the vendor's own 429s;
//   - otherwise an in-process budget.Local named key, with the vendor's
//     published limits, slowed by its rate-limit headers (headers may be
//     nil), built with opts (pass budget.WithLogger(Options.Logger), so
//     the limit the budget learns from the vendor is logged where the
//     host logs).
func Budget(given transport.Budget, none bool, key string, limits []budget.Limit, headers budget.HeaderReader, opts ...budget.Option) (transport.Budget, error) {
	if given != nil {
		return given, nil
	}
	if none || len(limits) == 0 {
		return nil, nil
	}
	if headers != nil {
		opts = append([]budget.Option{budget.WithHeaders(headers)}, opts...)
	}
	b, err := budget.NewLocal(key, limits, opts...)
	if err != nil {
		return nil, err
	}
	return b, nil
}
