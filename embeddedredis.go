package main

import (
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// startEmbeddedRedis runs a Redis inside this process, for `go run .` with
// no REDIS_URL: the app then runs the same store code, keys and scripts as
// against a real Redis, and everything is lost on exit. It listens on a
// free loopback port. stop closes the client and the server. It lives here,
// not in store, so that store lifts into another app without miniredis.
func startEmbeddedRedis() (rdb *redis.Client, stop func(), err error) {
	mr := miniredis.NewMiniRedis()
	// miniredis counts TTLs down only when told to; sessions, tombstones
	// and refresh locks must expire on the wall clock as in Redis.
	mr.ClockTTL(true)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, nil, fmt.Errorf("start embedded Redis: %w", err)
	}
	rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	return rdb, func() { rdb.Close(); mr.Close() }, nil
}
