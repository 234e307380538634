// Package depcheck holds a test that keeps dependencies following use: the
// packages a bot author imports (the portable core, the budget and
// transport, escalation, the drivers) must not link a Redis client or a
// module only tests need. Redis-backed pieces live in their own
// subpackages (helpdesk/budget/redisbudget, helpdesk/redisdedupe,
// escalation/redisrr), test helpers in helpdesk/drivertest.
package depcheck
