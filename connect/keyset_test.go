package connect

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestAKeyRotatedMomentsAfterALoginDoesNotCostTheNextLogin(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	if _, err := provider.logIn(t, client, AuthOptions{}); err != nil {
		t.Fatalf("first login: %v", err)
	}

	provider.rotate("key-2") // CONNECT publishes a new key and signs with it at once
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatalf("login moments after the rotation: %v, want success", err)
	}
	if login.Claims.Subject != testSubject {
		t.Errorf("sub = %q, want %q", login.Claims.Subject, testSubject)
	}
	if got := provider.fetches.Load(); got != 2 {
		t.Errorf("key set fetched %d times, want 2: once at the first login, once for the new kid", got)
	}
}

func TestConcurrentTokensUnderANewKeyShareOneFetch(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	client := provider.newClient(t)
	if _, err := client.VerifyIDToken(t.Context(), provider.sign("JWT", provider.idClaims()), Expectations{}); err != nil {
		t.Fatalf("token under the first key: %v", err)
	}
	provider.rotate("key-2")
	token := provider.sign("JWT", provider.idClaims())

	// The key set answers only when the test says, so every token below
	// arrives while the first one's fetch is in flight.
	gate := make(chan struct{})
	provider.mu.Lock()
	provider.jwksGate = gate
	provider.mu.Unlock()
	const tokens = 10
	errs := make(chan error, tokens)
	var wg sync.WaitGroup
	for range tokens {
		wg.Go(func() { errs <- verifyAsFromTheTokenEndpoint(t, client, token, Expectations{}) })
	}
	for deadline := time.Now().Add(5 * time.Second); provider.fetches.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no token made the key set be fetched again within 5s (%d fetches)", provider.fetches.Load())
		}
	}
	time.Sleep(50 * time.Millisecond) // room for a second fetch, were there one
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("token under the new key: %v, want success", err)
		}
	}
	if got := provider.fetches.Load(); got != 2 {
		t.Errorf("key set fetched %d times, want 2: %d tokens under one new kid share one fetch", got, tokens)
	}
}

func TestForgedTokensCauseAtMostOneFetchPerInterval(t *testing.T) {
	// Logout tokens, and ID tokens handed to VerifyIDToken, can come from
	// anyone: a kid we do not know may cost CONNECT one fetch per interval.
	for _, tc := range []struct {
		name, typ string
		claims    func(*testProvider) map[string]any
		verify    func(*Client, string) error
		wantErr   error
	}{
		{"logout tokens", "logout+jwt", (*testProvider).logoutClaims,
			func(c *Client, raw string) error { _, err := c.VerifyLogoutToken(t.Context(), raw); return err }, ErrLogoutTokenInvalid},
		{"ID tokens from outside the token endpoint", "JWT", (*testProvider).idClaims,
			func(c *Client, raw string) error {
				_, err := c.VerifyIDToken(t.Context(), raw, Expectations{})
				return err
			}, ErrIDTokenInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{})
			provider.clock.base = time.Now()
			client := provider.newClient(t)
			if err := tc.verify(client, provider.sign(tc.typ, tc.claims(provider))); err != nil {
				t.Fatalf("genuine token: %v", err)
			}

			// 1,000 tokens under random kids over 100 s: ten intervals of 10 s.
			forger := newECKey(t)
			for i := range 1000 {
				provider.clock.Advance(100 * time.Millisecond)
				forged := signWith(t, testKey{id: randomValue()[:8], key: forger, alg: jose.ES256}, tc.typ, tc.claims(provider))
				if err := tc.verify(client, forged); !errors.Is(err, tc.wantErr) || errors.Is(err, ErrUnavailable) {
					t.Fatalf("forged token %d: %v, want %v (400), not an outage", i+1, err, tc.wantErr)
				}
			}
			got := provider.fetches.Load()
			if got > 1+10 {
				t.Errorf("key set fetched %d times for 1,000 forged tokens over ten intervals, want at most 11", got)
			}
			if got < 2 {
				t.Errorf("key set fetched %d times, want a fetch for the unknown kids too: a rotated key would never be learned", got)
			}
			before := provider.fetches.Load()
			if err := tc.verify(client, provider.sign(tc.typ, tc.claims(provider))); err != nil {
				t.Errorf("genuine token after the forged ones: %v, want success", err)
			}
			if got := provider.fetches.Load(); got != before {
				t.Errorf("a token under a known kid fetched the key set (%d -> %d fetches)", before, got)
			}
		})
	}
}

func TestAnUnfetchableKeySetIsAnOutage(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	provider.clock.base = time.Now()
	var outcomes []error
	client := provider.newClient(t, func(c *Config) {
		c.KeySetFetched = func(err error) { outcomes = append(outcomes, err) }
	})
	provider.fail("jwks", 503)

	t.Run("a logout token is ErrUnavailable, so CONNECT retries it", func(t *testing.T) {
		_, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims()))
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrLogoutTokenInvalid) {
			t.Fatalf("VerifyLogoutToken = %v, want ErrUnavailable", err)
		}
	})
	t.Run("a second one moments later is too, without another fetch", func(t *testing.T) {
		_, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims()))
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("VerifyLogoutToken = %v, want ErrUnavailable", err)
		}
		if got := provider.fetches.Load(); got != 1 {
			t.Errorf("key set fetched %d times, want 1", got)
		}
	})
	t.Run("an ID token from the token endpoint is ErrUnavailable", func(t *testing.T) {
		err := verifyAsFromTheTokenEndpoint(t, client, provider.sign("JWT", provider.idClaims()), Expectations{Nonce: "the-nonce"})
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrIDTokenInvalid) {
			t.Fatalf("VerifyIDToken = %v, want ErrUnavailable", err)
		}
	})
	t.Run("the hook saw every fetch and its outcome", func(t *testing.T) {
		if len(outcomes) != 2 || outcomes[0] == nil || outcomes[1] == nil {
			t.Errorf("KeySetFetched saw %v, want two failures", outcomes)
		}
	})
	t.Run("once the key set answers again, tokens pass", func(t *testing.T) {
		provider.fail("jwks", 0)
		provider.clock.Advance(11 * time.Second)
		if _, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims())); err != nil {
			t.Fatalf("VerifyLogoutToken = %v, want success", err)
		}
		if len(outcomes) != 3 || outcomes[2] != nil {
			t.Errorf("KeySetFetched saw %v, want a success last", outcomes)
		}
	})
}

func TestAFailedFetchKeepsTheLastGoodKeys(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	provider.clock.base = time.Now()
	client := provider.newClient(t)
	if _, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims())); err != nil {
		t.Fatalf("genuine logout token: %v", err)
	}
	provider.fail("jwks", 503)
	provider.clock.Advance(11 * time.Second)
	forged := signWith(t, testKey{id: "made-up", key: newECKey(t), alg: jose.ES256}, "logout+jwt", provider.logoutClaims())
	if _, err := client.VerifyLogoutToken(t.Context(), forged); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("token under a new kid while the key set is down: %v, want ErrUnavailable", err)
	}
	if _, err := client.VerifyLogoutToken(t.Context(), provider.sign("logout+jwt", provider.logoutClaims())); err != nil {
		t.Fatalf("genuine token right after the failed fetch: %v, want success (key-1 is still held)", err)
	}
	if _, err := client.VerifyLogoutToken(t.Context(), forged); !errors.Is(err, ErrLogoutTokenInvalid) {
		t.Fatalf("the new kid again within the interval: %v, want ErrLogoutTokenInvalid", err)
	}
}

func TestKeysOfTypesWeDoNotKnowAreSkipped(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	provider.extraKeys = []json.RawMessage{
		json.RawMessage(`{"kty":"OKP","crv":"X25519","kid":"enc-1","use":"enc","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}`),
		json.RawMessage(`{"kty":"oct","kid":"key-1","k":"c2hhcmVkLXNlY3JldC1vZi10aGUtY2xpZW50"}`),
	}
	client := provider.newClient(t)
	if _, err := client.VerifyIDToken(t.Context(), provider.sign("JWT", provider.idClaims()), Expectations{}); err != nil {
		t.Fatalf("token under the RSA key beside keys of other types: %v, want success", err)
	}
	hmac := signWith(t, testKey{id: "key-1", key: []byte("shared-secret-of-the-client, 32 bytes at least"), alg: jose.HS256}, "JWT", provider.idClaims())
	if _, err := client.VerifyIDToken(t.Context(), hmac, Expectations{}); !errors.Is(err, ErrIDTokenInvalid) {
		t.Errorf("HS256 token under a symmetric key the set published: %v, want ErrIDTokenInvalid", err)
	}
}

// verifyAsFromTheTokenEndpoint checks an ID token as Exchange and Refresh
// do: it came from CONNECT's token endpoint, so an unknown kid may always
// cause a fetch.
func verifyAsFromTheTokenEndpoint(t *testing.T, c *Client, raw string, want Expectations) error {
	p, err := c.discovered(t.Context())
	if err != nil {
		return err
	}
	_, _, err = c.verifyIDToken(t.Context(), p, raw, fromTokenEndpoint, want)
	return err
}
