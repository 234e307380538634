package transport

import "github.com/agentdesk/agentdesk/helpdesk"

// KindForStatus returns the sentinel an HTTP status maps to by default:
// 401 and 403 ErrUnauthorized, 404 ErrNotFound, 429 ErrRateLimited, 400
// and 422 ErrInvalidRequest, nil otherwise. The client sets it as every
// *helpdesk.APIError's Kind before the driver's Classify hook, which
// handles the vendor's own cases (a closed ticket's 422, a flood guard's
// 422 that is really a rate limit).
func KindForStatus(status int) error {
	switch status {
	case 401, 403:
		return helpdesk.ErrUnauthorized
	case 404:
		return helpdesk.ErrNotFound
	case 429:
		return helpdesk.ErrRateLimited
	case 400, 422:
		return helpdesk.ErrInvalidRequest
	}
	return nil
}
