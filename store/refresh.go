package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
)

// Keeping access alive (step 10 of CONNECT's guide) across app instances.
// Access tokens live minutes to an hour; the refresh token gets new ones.
// Three rules make this safe under load and with many instances, and all
// three live in this file, over the lock and the versioned token record
// of tokens.go:
//
//  1. Refresh shortly before expiry (Refresh.Margin), and once on a 401,
//     never on every page view.
//  2. One refresh at a time per session, everywhere: CONNECT rotates the
//     refresh token, so a second concurrent refresh would use a dead one
//     and log the user out. The holder of a Redis lock refreshes; everyone
//     else waits and then uses what it stored.
//  3. Never overwrite newer tokens with older ones: the token record is
//     replaced by compare-and-swap on its version.

const (
	// refreshLockTTL outlives the back-end HTTP timeout, so a lock is never
	// lost while its holder is still talking to CONNECT, yet frees itself
	// if that instance dies.
	refreshLockTTL = 15 * time.Second
	// refreshWait is how long a request waits for another's refresh.
	refreshWait = 10 * time.Second
	// refreshPoll is how often a waiting request looks for the result.
	refreshPoll = 25 * time.Millisecond
)

// ErrGrantEnded means CONNECT no longer honours the session's refresh
// token (invalid_grant: it expired, was revoked, or the user logged out at
// CONNECT), or the tokens are gone. The only way on is a new login.
var ErrGrantEnded = errors.New("store: the CONNECT authorization behind this session has ended")

// ErrRefreshBusy means another request held the refresh lock for longer
// than we wait; the visitor may simply try again.
var ErrRefreshBusy = errors.New("store: token refresh in progress elsewhere took too long")

// Refresh says how FreshTokens gets new tokens, and when it must.
type Refresh struct {
	// Grant asks CONNECT for new tokens with current's refresh token
	// (connect.Client.Refresh). Its invalid_grant ends the session.
	Grant func(ctx context.Context, current connect.TokenSet) (connect.TokenSet, error)
	// Revoke revokes tokens nobody will use (new ones whose session ended
	// while they were fetched). It logs its own failures.
	Revoke func(ctx context.Context, t connect.TokenSet)
	// Margin is how long before expiry an access token is due.
	Margin time.Duration
	// Force refreshes even fresh tokens ("Refresh now").
	Force bool
	// Rejected is an access token CONNECT just answered 401 to; a record
	// that still holds it must be refreshed.
	Rejected string
	// Trace, when set, gives the trace of Grant's last call
	// (connect.Refreshed.Trace); once its tokens are stored, it becomes
	// the session's latest refresh on the session page.
	Trace func() *connect.Trace
}

// FreshTokens returns this request's session's tokens, refreshed first if
// they are due (or rejected, or a refresh is forced). ErrGrantEnded means
// the session can only go on with a new login; ErrRefreshBusy that
// another instance's refresh did not finish in time.
func (s *Sessions) FreshTokens(ctx context.Context, rq Refresh) (TokenRecord, error) {
	seen, err := s.liveTokens(ctx)
	if err != nil {
		return seen, err
	}
	due := rq.Force || connect.NeedsRefresh(seen.Tokens, s.now(), rq.Margin) ||
		(rq.Rejected != "" && seen.Tokens.AccessToken == rq.Rejected)
	if !due {
		return seen, nil
	}
	giveUp := time.Now().Add(refreshWait)
	for {
		unlock, ok, err := s.lockRefresh(ctx, refreshLockTTL)
		if err != nil {
			return seen, err
		}
		if ok {
			defer unlock()
			return s.refreshLocked(ctx, rq, seen)
		}
		select {
		case <-ctx.Done():
			return seen, ctx.Err()
		case <-time.After(refreshPoll):
		}
		latest, err := s.liveTokens(ctx)
		if err != nil {
			return seen, err
		}
		if latest.Version != seen.Version {
			return latest, nil // the lock holder refreshed: use its tokens
		}
		if time.Now().After(giveUp) {
			return seen, ErrRefreshBusy
		}
	}
}

// refreshLocked refreshes while holding the session's refresh lock.
func (s *Sessions) refreshLocked(ctx context.Context, rq Refresh, seen TokenRecord) (TokenRecord, error) {
	// The previous holder may have refreshed just before we got the lock.
	current, err := s.liveTokens(ctx)
	if err != nil {
		return seen, err
	}
	if current.Version != seen.Version {
		return current, nil
	}
	tokens, err := rq.Grant(ctx, current.Tokens)
	if connect.IsInvalidGrant(err) || errors.Is(err, connect.ErrNoRefreshToken) {
		return current, fmt.Errorf("%w: %w", ErrGrantEnded, err)
	}
	if err != nil {
		return current, err
	}
	// A new ID token, if the refresh brought one, is in the new tokens:
	// kept under the same compare-and-swap, not in the scs session, which
	// a request in flight could write back older.
	next := TokenRecord{Tokens: tokens, RefreshedAt: s.now(), Refreshes: current.Refreshes + 1}
	stored, err := s.replaceTokens(ctx, current.Version, next)
	if err != nil || !stored {
		return s.refreshNotStored(ctx, rq, current, next, err)
	}
	next.Version = current.Version + 1
	s.traceRefresh(ctx, rq)
	return next, nil
}

// traceRefresh keeps the trace of a refresh whose tokens were stored. A
// trace that cannot be written is no reason to fail a page: the tokens
// are what counts, and the session page says when it has no trace.
func (s *Sessions) traceRefresh(ctx context.Context, rq Refresh) {
	if rq.Trace == nil {
		return
	}
	if t := rq.Trace(); t != nil {
		_ = s.recordRefresh(ctx, *t)
	}
}

// refreshNotStored handles new tokens that could not be stored. What to do
// depends on why, so the record is read again:
//   - the session was ended meanwhile (a logout): nobody will use the new
//     tokens, so they are revoked;
//   - the write went through after all, despite the error: fine;
//   - the write failed and nothing changed: try it once more, since CONNECT
//     has already spent the old refresh token;
//   - another refresh won (our lock expired mid-call): use its tokens, and
//     leave ours to expire; revoking even our access token could end the
//     grant the winner's tokens belong to (RFC 7009 allows that);
//   - Redis cannot tell us: revoke nothing, the write may have gone through.
func (s *Sessions) refreshNotStored(ctx context.Context, rq Refresh, current, next TokenRecord, writeErr error) (TokenRecord, error) {
	latest, err := s.Tokens(ctx)
	switch {
	case errors.Is(err, ErrNoTokens):
		rq.Revoke(ctx, next.Tokens)
		return latest, fmt.Errorf("%w: %w", ErrGrantEnded, err)
	case err != nil:
		return latest, errors.Join(writeErr, err)
	case latest.Tokens.AccessToken == next.Tokens.AccessToken:
		return latest, nil
	case latest.Version == current.Version:
		if stored, err := s.replaceTokens(ctx, current.Version, next); err == nil && stored {
			next.Version = current.Version + 1
			s.traceRefresh(ctx, rq)
			return next, nil
		}
		return latest, errors.Join(writeErr, errors.New("new tokens could not be stored"))
	default:
		return latest, nil
	}
}

// liveTokens reads the session's token record; a missing one means the
// session has been ended elsewhere (logout in another tab, back-channel
// logout), which only a new login mends.
func (s *Sessions) liveTokens(ctx context.Context) (TokenRecord, error) {
	rec, err := s.Tokens(ctx)
	if errors.Is(err, ErrNoTokens) {
		return rec, fmt.Errorf("%w: %w", ErrGrantEnded, err)
	}
	return rec, err
}
