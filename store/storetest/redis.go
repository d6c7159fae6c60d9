// Package storetest gives tests a Redis: the real one named by REDIS_URL
// (CI sets it), else a local server on 127.0.0.1:6379 if one answers, and
// only when neither exists, an in-process miniredis.
package storetest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// fakes maps the address of each miniredis started here to the server,
// so that Wait can move its clock.
var fakes sync.Map

// Wait lets d pass for a test that waits on Redis expiry: a real Redis
// sees the time go by; miniredis, which does not expire keys on its own,
// is moved forward by d as well.
func Wait(rdb *redis.Client, d time.Duration) {
	time.Sleep(d)
	if mr, ok := fakes.Load(rdb.Options().Addr); ok {
		mr.(*miniredis.Miniredis).FastForward(d)
	}
}

// localTestURL is a local Redis's database 15, away from a developer's
// own data in database 0.
const localTestURL = "redis://127.0.0.1:6379/15"

// Redis returns a client for the tests' Redis and closes it at the end of
// the test. Tests must use keys of their own (random session tokens do);
// nothing is flushed, since REDIS_URL may point at a shared server.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = localTestURL
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// One try: go-redis would otherwise retry with backoff, and a machine
	// without Redis would wait for it in every test.
	probeOpts := *opts
	probeOpts.MaxRetries = -1
	probe := redis.NewClient(&probeOpts)
	err = probe.Ping(ctx).Err()
	probe.Close()
	if err != nil {
		rdb.Close()
		if os.Getenv("REDIS_URL") != "" {
			t.Fatalf("REDIS_URL is set but Redis does not answer: %v", err)
		}
		t.Logf("no Redis at %s (%v); using miniredis", url, err)
		mr := miniredis.RunT(t)
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		fakes.Store(mr.Addr(), mr)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
