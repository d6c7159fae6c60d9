package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// TestTokensOnEveryBackend is the conformance suite every Tokens
// implementation passes: what Redis does across instances, memory does
// within one process.
func TestTokensOnEveryBackend(t *testing.T) {
	// Each backend comes with how a test lets time pass for it.
	type backend struct {
		tokens Tokens
		wait   func(time.Duration)
	}
	backends := map[string]func(t *testing.T) backend{
		"memory": func(t *testing.T) backend { return backend{NewMemoryTokens(), time.Sleep} },
		"redis": func(t *testing.T) backend {
			rdb := storetest.Redis(t)
			tokens, err := NewRedisTokens(rdb, testKey(0))
			if err != nil {
				t.Fatal(err)
			}
			return backend{tokens, func(d time.Duration) { storetest.Wait(rdb, d) }}
		},
	}
	ctx := context.Background()
	for name, newBackend := range backends {
		t.Run(name, func(t *testing.T) {
			b := newBackend(t)
			tokens := b.tokens

			t.Run("a created record reads back as version 1", func(t *testing.T) {
				id := NewTokenID()
				if err := tokens.Create(ctx, id, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-1"}}, time.Minute); err != nil {
					t.Fatal(err)
				}
				rec, err := tokens.Get(ctx, id)
				if err != nil || rec.Version != 1 || rec.Tokens.RefreshToken != "rt-1" {
					t.Fatalf("Get = %+v, %v; want rt-1 at version 1", rec, err)
				}
			})

			t.Run("a write based on an old version loses to the newer one", func(t *testing.T) {
				id := NewTokenID()
				if err := tokens.Create(ctx, id, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-1"}}, time.Minute); err != nil {
					t.Fatal(err)
				}
				ok, err := tokens.Replace(ctx, id, 1, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-2"}, Refreshes: 1})
				if err != nil || !ok {
					t.Fatalf("first Replace = %v, %v; want it to win", ok, err)
				}
				ok, err = tokens.Replace(ctx, id, 1, TokenRecord{Tokens: connect.TokenSet{RefreshToken: "rt-stale"}})
				if err != nil || ok {
					t.Fatalf("stale Replace = %v, %v; want it to lose", ok, err)
				}
				rec, _ := tokens.Get(ctx, id)
				if rec.Tokens.RefreshToken != "rt-2" || rec.Version != 2 || rec.Refreshes != 1 {
					t.Fatalf("Get = %+v, want rt-2 at version 2", rec)
				}
			})

			t.Run("a deleted or unknown record is ErrNoTokens", func(t *testing.T) {
				id := NewTokenID()
				if err := tokens.Create(ctx, id, TokenRecord{}, time.Minute); err != nil {
					t.Fatal(err)
				}
				if err := tokens.Delete(ctx, id); err != nil {
					t.Fatal(err)
				}
				for _, id := range []string{id, "never-created"} {
					if _, err := tokens.Get(ctx, id); !errors.Is(err, ErrNoTokens) {
						t.Errorf("Get(%q) = %v, want ErrNoTokens", id, err)
					}
				}
				if ok, _ := tokens.Replace(ctx, id, 1, TokenRecord{}); ok {
					t.Error("Replace brought a deleted record back")
				}
			})

			t.Run("only one holder of the refresh lock at a time", func(t *testing.T) {
				id := NewTokenID()
				unlock, ok, err := tokens.Lock(ctx, id, time.Minute)
				if err != nil || !ok {
					t.Fatalf("first Lock = %v, %v; want it taken", ok, err)
				}
				if _, ok, _ := tokens.Lock(ctx, id, time.Minute); ok {
					t.Fatal("second Lock taken while the first is held")
				}
				unlock()
				unlock2, ok, _ := tokens.Lock(ctx, id, time.Minute)
				if !ok {
					t.Fatal("Lock not available after unlock")
				}
				unlock2()
			})

			t.Run("an expired lock is free, and its old holder cannot release the new one", func(t *testing.T) {
				id := NewTokenID()
				staleUnlock, _, _ := tokens.Lock(ctx, id, 50*time.Millisecond)
				b.wait(100 * time.Millisecond)
				_, ok, _ := tokens.Lock(ctx, id, time.Minute)
				if !ok {
					t.Fatal("Lock not available after the holder's TTL")
				}
				staleUnlock()
				if _, ok, _ := tokens.Lock(ctx, id, time.Minute); ok {
					t.Fatal("the old holder's unlock released the new holder's lock")
				}
			})
		})
	}
}
