package redisrr_test

import (
	"github.com/redis/go-redis/v9"

	"github.com/agentdesk/agentdesk/escalation"
	"github.com/agentdesk/agentdesk/escalation/redisrr"
)

func ExampleNewCursor() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	// Every replica builds the same RoundRobin on the same Redis: one
	// rotation per team across all of them, at most 5 open conversations
	// per agent.
	rr := escalation.NewRoundRobin(redisrr.NewCursor(rdb, "", 0), 5)
	_ = rr
}
