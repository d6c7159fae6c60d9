package store

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"
)

// A callback is claimed once, on the server. The login-transaction cookie
// says which logins this browser started, but two requests of the same
// callback (a double click, a prefetch, Back after the login) carry the
// same cookie: both would exchange the code, CONNECT would refuse the
// second and, as RFC 6749 §4.1.2 recommends, revoke the first one's tokens.
// So the first request that matched its state and carries a code claims
// the state in Redis; a second waits briefly and follows the first one's
// outcome, which the claim keeps, sealed, for a few seconds.
//
// Only a callback that matched a login of the browser's claims anything,
// so anonymous visitors still cost Redis nothing.

const (
	// claimedMark is a claim's value while its exchange is in flight.
	claimedMark = "claimed"
	// callbackOutcomeTTL is how long a finished callback's outcome is kept
	// for a second request of it to follow.
	callbackOutcomeTTL = 30 * time.Second
	// callbackWait is how long a second request waits for the first's
	// outcome: longer than a code exchange takes.
	callbackWait = 10 * time.Second
	callbackPoll = 25 * time.Millisecond
)

// CallbackOutcome is what a callback that logged the user in did: the
// session it made and where it sent the browser.
type CallbackOutcome struct {
	ReturnTo string    `json:"return_to"`
	Token    string    `json:"token"` // the new session's scs token
	Expiry   time.Time `json:"expiry"`
	Persist  bool      `json:"persist"`
}

func (s *Sessions) callbackKey(state string) string {
	return s.keys.callback(s.secrets.current().hashedName("callback", state))
}

// ClaimCallback claims the callback of the login with state until
// expires (the login's own end). It reports false when another request
// claimed it first.
func (s *Sessions) ClaimCallback(ctx context.Context, state string, expires time.Time) (bool, error) {
	ttl := max(expires.Sub(s.now()), time.Second)
	won, err := s.rdb.SetNX(ctx, s.callbackKey(state), claimedMark, ttl).Result()
	if err != nil {
		return false, unavailable("claim callback", err)
	}
	return won, nil
}

// ReleaseCallback gives up a claim whose exchange failed, so the outcome
// a second request waits for is "none".
func (s *Sessions) ReleaseCallback(ctx context.Context, state string) {
	s.rdb.Del(context.WithoutCancel(ctx), s.callbackKey(state))
}

// CallbackDone records, in place of the claim, the session this request
// has just logged in to (LogIn) and where it sends the browser.
func (s *Sessions) CallbackDone(ctx context.Context, state, returnTo string) error {
	u, ok := s.CurrentUser(ctx)
	if !ok {
		return errors.New("store: CallbackDone without a login")
	}
	outcome, err := json.Marshal(CallbackOutcome{
		ReturnTo: returnTo, Token: s.Manager.Token(ctx), Expiry: s.Manager.Deadline(ctx), Persist: u.PersistentCookie(),
	})
	if err != nil {
		return err
	}
	key := s.callbackKey(state)
	if err := s.rdb.Set(ctx, key, s.secrets.seal(outcome, key), callbackOutcomeTTL).Err(); err != nil {
		return unavailable("record callback", err)
	}
	return nil
}

// AwaitCallback waits for the outcome of the callback another request
// claimed, and returns it once its session is stored. nil means there is
// none to follow: that request failed, or took too long.
func (s *Sessions) AwaitCallback(ctx context.Context, state string) (*CallbackOutcome, error) {
	key := s.callbackKey(state)
	giveUp := time.Now().Add(callbackWait)
	for {
		outcome, err := s.callbackOutcome(ctx, key)
		switch {
		case errors.Is(err, errStillClaimed):
		case err != nil:
			return nil, err
		case outcome == nil:
			return nil, nil // released: the other request failed
		default:
			// The outcome is recorded before its session is saved.
			stored, err := s.rdb.Exists(ctx, s.keys.session(s.secrets.current().hashedName("session", outcome.Token))).Result()
			if err != nil {
				return nil, unavailable("find session", err)
			}
			if stored == 1 {
				return outcome, nil
			}
		}
		if time.Now().After(giveUp) {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(callbackPoll):
		}
	}
}

var errStillClaimed = errors.New("store: the callback is still being handled")

// FinishedCallback is the outcome of a callback that logged a user in
// within the last half minute, if there is one for state.
func (s *Sessions) FinishedCallback(ctx context.Context, state string) (*CallbackOutcome, error) {
	outcome, err := s.callbackOutcome(ctx, s.callbackKey(state))
	if errors.Is(err, errStillClaimed) {
		return nil, nil
	}
	return outcome, err
}

func (s *Sessions) callbackOutcome(ctx context.Context, key string) (*CallbackOutcome, error) {
	value, err := s.rdb.Get(ctx, key).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, unavailable("read callback", err)
	case string(value) == claimedMark:
		return nil, errStillClaimed
	}
	plain, err := s.secrets.open(value, key)
	if err != nil {
		return nil, nil // not ours to follow
	}
	var outcome CallbackOutcome
	if err := json.Unmarshal(plain, &outcome); err != nil {
		return nil, nil
	}
	return &outcome, nil
}

// UseSession gives the browser the session another request of the same
// callback made: the browser may have dropped that request's answer (a
// double click cancels the first request), so this one carries the cookie.
func (s *Sessions) UseSession(w http.ResponseWriter, outcome *CallbackOutcome) {
	c := s.Manager.Cookie
	cookie := &http.Cookie{Name: c.Name, Value: outcome.Token, Path: c.Path, Domain: c.Domain,
		HttpOnly: c.HttpOnly, Secure: c.Secure, SameSite: c.SameSite}
	if outcome.Persist {
		cookie.Expires = outcome.Expiry
	}
	http.SetCookie(w, cookie)
}
