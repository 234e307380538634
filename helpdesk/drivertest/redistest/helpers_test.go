package redistest_test

import "github.com/redis/go-redis/v9"

func newClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
}
