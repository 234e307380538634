// Package lifecycle runs what happens after the bot's last answer, for any
// helpdesk: re-engaging a customer who went silent, closing the
// conversation when nobody answers the follow-up, and moving a solved
// conversation to closed after a window in which a late customer reply can
// still reopen it (Zendesk; do not also build a Zendesk automation that
// closes solved tickets: it would close them first).
//
// The seed's routine ran every 5 minutes, so "after 5 minutes" meant 5 to
// 10. Here each conversation has an exact timer, kept in a Store: in memory
// by default, on Redis (helpdesk/lifecycle/redislifecycle) to survive
// restarts and be shared by replicas, each timer firing on one of them.
//
// A bot gets the seed's behaviour — re-engage after 5 minutes of
// inactivity, close 35 minutes after the follow-up — with a Scheduler:
//
//	s, err := lifecycle.New(client, lifecycle.Config{
//		Reengage:  &lifecycle.Reengage{After: 5 * time.Minute, Message: "Are you still there?"},
//		AutoClose: &lifecycle.AutoClose{After: 35 * time.Minute, Message: "I'm closing this chat; write again any time."},
//	})
//	bot := s.Helpdesk()                   // answer through it: answers start the timers
//	handler := s.Middleware(myEventFunc)  // customer messages reset them, handovers cancel them
//	go s.Run(ctx)
//
// The rules: the bot's public answer (through Helpdesk, or a call to
// Answered) starts the re-engage timer; each re-engage message (Times of
// them) restarts it, and after the last one the auto-close timer runs; the
// auto-close sends its message and resolves in one request where the
// helpdesk can (CapResolveWithMessage). A resolve by the bot starts the
// solved → closed timer when CloseSolved is configured with the vendor's
// Closer (zendesk.Client.BulkCloser closes up to 100 tickets per
// request); helpdesks without a closed state have no Closer. Any customer
// message cancels the pending timer (the bot's next answer starts it
// again); a handover to a human, an agent's public reply, or a status
// change made by someone else cancels it (see Observe); the bot's own echo
// changes nothing. Each timer may wait for business hours
// (escalation.CompileHours).
//
// A timer's action that fails is retried with backoff (same idempotency
// key, so a retry after a lost response does not post twice) and then
// handed to Config.OnError; a conversation that no longer exists (404) or
// is closed cancels its timer.
package lifecycle
