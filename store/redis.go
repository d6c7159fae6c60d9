package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

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
// needs sessions, and recovers when Redis is back. Its errors, like
// CheckRedisURL's, never quote url: it may hold passwords.
func OpenRedis(url, mode string) (redis.UniversalClient, error) {
	open, err := parseRedisURL(url, mode)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return open(), nil
}

// CheckRedisURL reports whether OpenRedis can use url in mode, with an
// error that says what is wrong and what a good one looks like, without
// quoting url. Configuration checks REDIS_URL with it at start-up.
func CheckRedisURL(url, mode string) error {
	_, err := parseRedisURL(url, mode)
	return err
}

// redisURLForms are examples of each mode's URL, for error messages.
var redisURLForms = map[string]string{
	"standalone": "redis://host:6379/0, rediss://host:6380/0 or unix:///path/to/redis.sock",
	"cluster":    "redis://host:7000?addr=host2:7001&addr=host3:7002",
	"sentinel":   "redis://sentinel:26379/0?master_name=mymaster&addr=sentinel2:26379",
}

// parseRedisURL parses url with the go-redis parser mode picks, and
// returns what makes the client; nothing connects yet.
func parseRedisURL(rawURL, mode string) (func() redis.UniversalClient, error) {
	want, known := redisURLForms[cmp.Or(mode, "standalone")]
	if !known {
		return nil, fmt.Errorf("unknown REDIS_MODE %q", mode)
	}
	if _, err := url.Parse(rawURL); err != nil {
		// url's errors quote the whole URL, password and all.
		return nil, fmt.Errorf("not a valid URL; want %s", want)
	}
	var open func() redis.UniversalClient
	var err error
	// ContextTimeoutEnabled: a deadline on the request (readiness checks
	// have one) then bounds a Redis that accepts connections but does
	// not answer.
	switch mode {
	case "cluster":
		var o *redis.ClusterOptions
		if o, err = redis.ParseClusterURL(rawURL); err == nil {
			o.ContextTimeoutEnabled = true
			open = func() redis.UniversalClient { return redis.NewClusterClient(o) }
		}
	case "sentinel":
		var o *redis.FailoverOptions
		if o, err = redis.ParseFailoverURL(rawURL); err == nil && o.MasterName == "" {
			err = errors.New("missing master_name")
		}
		if err == nil {
			o.ContextTimeoutEnabled = true
			open = func() redis.UniversalClient { return redis.NewFailoverClient(o) }
		}
	default:
		var o *redis.Options
		if o, err = redis.ParseURL(rawURL); err == nil {
			o.ContextTimeoutEnabled = true
			open = func() redis.UniversalClient { return redis.NewClient(o) }
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s for REDIS_MODE %s; want %s", strings.TrimPrefix(err.Error(), "redis: "), cmp.Or(mode, "standalone"), want)
	}
	return open, nil
}

// Ping reports whether Redis answers.
func Ping(ctx context.Context, rdb redis.UniversalClient) error {
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}
