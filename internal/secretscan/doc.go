// Package secretscan holds no code: its test configures a distinct secret
// in every secret field of every driver and checks that none appears on
// any print path (%v, %+v, %#v, %s, %q, json.Marshal, slog text and JSON),
// in the drivers' logs, or in any error the test provokes (Validate, New,
// calls answered 401 by a server echoing the request, forged webhooks).
package secretscan
