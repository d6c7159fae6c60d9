package store

import (
	"context"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// OpenRedis connects to the Redis at url, read in the form REDIS_MODE
// names: "standalone" (redis://, rediss:// for TLS, unix://), "cluster"
// (any node of a Redis Cluster, more with addr=) or "sentinel" (Sentinel
// addresses, with the master's name in master_name=). The store needs no
// more than a redis.UniversalClient, and keeps each session's keys in one
// Cluster hash slot, so the three differ only here.
//
// It does not fail when Redis is down: the app starts, answers 503 where it
// needs sessions, and recovers when Redis is back.
func OpenRedis(url, mode string) (redis.UniversalClient, error) {
	switch mode {
	case "cluster":
		opts, err := redis.ParseClusterURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (cluster): %w", err)
		}
		opts.ContextTimeoutEnabled = true
		return redis.NewClusterClient(opts), nil
	case "sentinel":
		opts, err := redis.ParseFailoverURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL (sentinel): %w", err)
		}
		opts.ContextTimeoutEnabled = true
		return redis.NewFailoverClient(opts), nil
	case "standalone", "":
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		// A deadline on the request (readiness checks have one) then
		// bounds a Redis that accepts connections but does not answer.
		opts.ContextTimeoutEnabled = true
		return redis.NewClient(opts), nil
	default:
		return nil, fmt.Errorf("REDIS_MODE: unknown mode %q", mode)
	}
}

// StartEmbedded runs a Redis inside this process, for `go run .` with no
// REDIS_URL: the app then runs the same store code, keys and scripts as
// against a real Redis, and everything is lost on exit. It listens on a
// free loopback port. stop closes the client and the server.
func StartEmbedded() (rdb *redis.Client, stop func(), err error) {
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

// Ping reports whether Redis answers.
func Ping(ctx context.Context, rdb redis.UniversalClient) error {
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}
