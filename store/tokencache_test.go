package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func TestValidatedTokensAreTrustedForALimitedTime(t *testing.T) {
	ctx := context.Background()
	rdb := storetest.Redis(t)
	prefix := storetest.KeyPrefix(t)
	cache := store.NewValidatedTokens(rdb, testSecrets(t, testSecret(0), nil), prefix)
	now := time.Now()
	remember := func(t *testing.T, token string, expiry time.Time) time.Duration {
		t.Helper()
		at := &connect.AccessToken{Subject: "kari", Expiry: expiry, Path: connect.ByIntrospection}
		if err := cache.Remember(ctx, token, at, now); err != nil {
			t.Fatal(err)
		}
		keys := storetest.Keys(t, rdb, prefix)
		switch len(keys) {
		case 0:
			return 0
		case 1:
		default:
			t.Fatalf("Remember wrote %d keys, want at most 1", len(keys))
		}
		defer rdb.Del(ctx, keys[0])
		return rdb.PTTL(ctx, keys[0]).Val()
	}

	t.Run("a remembered token is found, under a name that is not the token", func(t *testing.T) {
		const token = "access-token-remembered-0123456789"
		at := &connect.AccessToken{Subject: "kari", Expiry: now.Add(time.Hour), Path: connect.ByIntrospection}
		if err := cache.Remember(ctx, token, at, now); err != nil {
			t.Fatal(err)
		}
		got, ok, err := cache.Find(ctx, token)
		if err != nil || !ok || got.Subject != "kari" {
			t.Fatalf("Find = %+v, %v, %v; want kari's validation", got, ok, err)
		}
		for _, key := range storetest.Keys(t, rdb, prefix) {
			if strings.Contains(key, token) || strings.Contains(rdb.Get(ctx, key).Val(), token) {
				t.Errorf("key %q or its value holds the token in clear", key)
			}
			rdb.Del(ctx, key)
		}
		if _, ok, _ := cache.Find(ctx, "another-token-0123456789"); ok {
			t.Error("Find found a token that was never remembered")
		}
	})
	t.Run("a long-lived token is trusted for a minute at most", func(t *testing.T) {
		ttl := remember(t, "access-token-long-lived-0123456789", now.Add(time.Hour))
		if ttl <= 55*time.Second || ttl > store.MaxValidatedTokenAge {
			t.Errorf("kept for %v, want about %v", ttl, store.MaxValidatedTokenAge)
		}
	})
	t.Run("a token about to expire is trusted until it does, not a minute", func(t *testing.T) {
		ttl := remember(t, "access-token-expiring-0123456789", now.Add(5*time.Second))
		if ttl <= 0 || ttl > 5*time.Second {
			t.Errorf("kept for %v, want at most the 5s it has left", ttl)
		}
	})
	t.Run("an expired token is not remembered at all", func(t *testing.T) {
		if ttl := remember(t, "access-token-expired-0123456789", now.Add(-time.Second)); ttl != 0 {
			t.Errorf("an expired token was kept for %v, want no key", ttl)
		}
	})
}
