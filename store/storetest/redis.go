// Package storetest gives tests a Redis: the real one named by REDIS_URL
// (CI sets it), else a local server on 127.0.0.1:6379 if one answers, and
// only when neither exists, an embedded one, as `go run .` uses. CI also
// names a Redis Cluster (REDIS_CLUSTER_URL) and a Sentinel
// (REDIS_SENTINEL_URL); Backends adds them when they are set.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/store"
)

// localTestURL is a local Redis's database 15, away from a developer's
// own data in database 0.
const localTestURL = "redis://127.0.0.1:6379/15"

// URL is the tests' Redis, for a test that hands it to the app's binary:
// REDIS_URL when set, else database 15 of a Redis on this machine when one
// answers; false when there is neither.
func URL() (string, bool) {
	if url := os.Getenv("REDIS_URL"); url != "" {
		return url, true
	}
	return localTestURL, localRedisAnswers()
}

// localRedisAnswers reports whether a Redis listens on this machine's
// 6379, asked once per test binary and without retries: a machine with no
// Redis must not wait for one in every test.
var localRedisAnswers = sync.OnceValue(func() bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:6379", 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
})

// Redis returns a client for the tests' Redis (URL), else for an embedded
// one, and closes it at the end of the test. Tests must use keys of their
// own (random session tokens do, and KeyPrefix gives a test a prefix of
// its own); nothing is flushed, since REDIS_URL may point at a shared
// server.
func Redis(t testing.TB) redis.UniversalClient {
	t.Helper()
	url, ok := URL()
	if !ok {
		return Embedded(t)
	}
	rdb, err := open(t, url, "standalone")
	if err != nil {
		t.Fatalf("the tests' Redis does not answer: %v", err)
	}
	return rdb
}

// Embedded returns a client of an embedded Redis of the test's own, as
// `go run .` starts without REDIS_URL (main's startEmbeddedRedis), stopped
// at the end of the test.
func Embedded(t testing.TB) redis.UniversalClient {
	t.Helper()
	mr := miniredis.NewMiniRedis()
	// As main's: TTLs count down on the wall clock, as in Redis.
	mr.ClockTTL(true)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		t.Fatalf("start embedded Redis: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close(); mr.Close() })
	return rdb
}

// Backend is one kind of Redis the store must work on.
type Backend struct {
	Name string
	Open func(t testing.TB) redis.UniversalClient
}

// Backends are the Redis kinds available here: always the embedded one,
// the tests' Redis when there is one, and a Cluster and a Sentinel-managed
// master when REDIS_CLUSTER_URL and REDIS_SENTINEL_URL name them (.ci/run
// starts both).
func Backends() []Backend {
	backends := []Backend{{"embedded", Embedded}}
	if _, ok := URL(); ok {
		backends = append(backends, Backend{"standalone", Redis})
	}
	for _, b := range []struct{ name, env, mode string }{
		{"cluster", "REDIS_CLUSTER_URL", "cluster"},
		{"sentinel", "REDIS_SENTINEL_URL", "sentinel"},
	} {
		url := os.Getenv(b.env)
		if url == "" {
			continue
		}
		backends = append(backends, Backend{b.name, func(t testing.TB) redis.UniversalClient {
			t.Helper()
			rdb, err := open(t, url, b.mode)
			if err != nil {
				t.Fatalf("%s is set but the %s does not answer: %v", b.env, b.name, err)
			}
			return rdb
		}})
	}
	return backends
}

// open connects with the app's own OpenRedis, checks that the server
// answers, and closes the client at the end of the test.
func open(t testing.TB, url, mode string) (redis.UniversalClient, error) {
	rdb, err := store.OpenRedis(url, mode)
	if err != nil {
		// Not the URL itself: it may hold a password, and CI logs are read
		// by more people than the Redis is.
		t.Fatalf("%s Redis URL: %v", mode, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, err
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb, nil
}

// KeyPrefix returns a key prefix no other test uses, for a test that
// counts or scans its keys while other packages test against the same
// Redis.
func KeyPrefix(t testing.TB) string {
	b := make([]byte, 6)
	rand.Read(b)
	return "test-" + hex.EncodeToString(b) + ":"
}

// Keys returns every key under prefix, on every node of a Cluster.
func Keys(t testing.TB, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	var (
		mu   sync.Mutex // a Cluster's nodes are scanned at once
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			keys = append(keys, iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, scan)
	case *redis.Client:
		err = scan(ctx, c)
	default:
		t.Fatalf("Keys: unsupported client %T", rdb)
	}
	if err != nil {
		t.Fatalf("scan keys: %v", err)
	}
	return keys
}
