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
		got, ok, err := cache.Find(ctx, token, now)
		if err != nil || !ok || got.Subject != "kari" {
			t.Fatalf("Find = %+v, %v, %v; want kari's validation", got, ok, err)
		}
		for _, key := range storetest.Keys(t, rdb, prefix) {
			if strings.Contains(key, token) || strings.Contains(rdb.Get(ctx, key).Val(), token) {
				t.Errorf("key %q or its value holds the token in clear", key)
			}
			rdb.Del(ctx, key)
		}
		if _, ok, _ := cache.Find(ctx, "another-token-0123456789", now); ok {
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
	t.Run("an entry kept past its TTL is not trusted past its own bounds", func(t *testing.T) {
		// Someone with write access to Redis can PERSIST a key, so a
		// revoked or expired token would answer 200 for ever if the key's
		// TTL were the only bound. The sealed entry carries its own.
		for _, tt := range []struct {
			name   string
			expiry time.Time
			bound  time.Time // the earlier of validated + MaxValidatedTokenAge and expiry
		}{
			{"MaxValidatedTokenAge after the validation, for a long-lived token", now.Add(time.Hour), now.Add(store.MaxValidatedTokenAge)},
			{"the token's expiry, when that comes first", now.Add(20 * time.Second), now.Add(20 * time.Second)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				token := "access-token-persisted-" + tt.expiry.Format("150405.000000")
				at := &connect.AccessToken{Subject: "kari", Expiry: tt.expiry, Path: connect.ByIntrospection}
				if err := cache.Remember(ctx, token, at, now); err != nil {
					t.Fatal(err)
				}
				keys := storetest.Keys(t, rdb, prefix)
				if len(keys) != 1 {
					t.Fatalf("Remember wrote %d keys, want 1", len(keys))
				}
				defer rdb.Del(ctx, keys[0])
				if err := rdb.Persist(ctx, keys[0]).Err(); err != nil {
					t.Fatal(err)
				}
				if ttl := rdb.TTL(ctx, keys[0]).Val(); ttl != -1 {
					t.Fatalf("after PERSIST the key's TTL is %v, want none (-1)", ttl)
				}
				if _, ok, err := cache.Find(ctx, token, tt.bound.Add(-time.Second)); err != nil || !ok {
					t.Fatalf("Find a second before the bound = %v, %v; want found", ok, err)
				}
				for _, at := range []time.Time{tt.bound, tt.bound.Add(time.Second), tt.bound.Add(24 * time.Hour)} {
					if got, ok, err := cache.Find(ctx, token, at); err != nil || ok {
						t.Errorf("Find %v after the validation, key persisted = %+v, %v, %v; want not found", at.Sub(now), got, ok, err)
					}
				}
			})
		}
	})
}
