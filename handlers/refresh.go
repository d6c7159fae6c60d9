package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Keeping access alive (step 10 of CONNECT's guide). Access tokens live
// minutes to an hour; the refresh token gets new ones. Three rules make
// this safe under load and across app instances:
//
//  1. Refresh shortly before expiry (CONNECT_REFRESH_MARGIN), and once on
//     a 401, never on every page view.
//  2. One refresh at a time per session, everywhere: CONNECT rotates the
//     refresh token, so a second concurrent refresh would use a dead one
//     and log the user out. The holder of a Redis lock refreshes; everyone
//     else waits and then uses what it stored.
//  3. Never overwrite newer tokens with older ones: the token record is
//     replaced by compare-and-swap on its version (store/tokens.go).

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

// errSessionEnded means CONNECT no longer honours the session's refresh
// token (invalid_grant: it expired, was revoked, or the user logged out at
// CONNECT), or the tokens are gone. The only way on is a new login; the
// handler wrapper sends the visitor there.
var errSessionEnded = errors.New("the CONNECT authorization behind this session has ended")

// errRefreshBusy means another request held the refresh lock for longer
// than we wait; the visitor may simply try again.
var errRefreshBusy = errors.New("token refresh in progress elsewhere took too long")

// refreshNeed says why tokens are asked for.
type refreshNeed struct {
	// force refreshes even fresh tokens ("Refresh now").
	force bool
	// rejected is an access token CONNECT just answered 401 to; a record
	// that still holds it must be refreshed.
	rejected string
}

// freshTokens returns the session's tokens, refreshed first if they are
// due (or rejected, or a refresh is forced).
func (app *App) freshTokens(ctx context.Context, u *store.User, need refreshNeed) (store.TokenRecord, error) {
	seen, err := app.tokens(ctx, u)
	if err != nil {
		return seen, err
	}
	due := need.force || connect.NeedsRefresh(seen.Tokens, app.Now(), app.RefreshMargin) ||
		(need.rejected != "" && seen.Tokens.AccessToken == need.rejected)
	if !due {
		return seen, nil
	}
	giveUp := time.Now().Add(refreshWait)
	for {
		unlock, ok, err := app.Sessions.LockRefresh(ctx, refreshLockTTL)
		if err != nil {
			return seen, err
		}
		if ok {
			defer unlock()
			return app.refreshLocked(ctx, u, seen)
		}
		select {
		case <-ctx.Done():
			return seen, ctx.Err()
		case <-time.After(refreshPoll):
		}
		latest, err := app.tokens(ctx, u)
		if err != nil {
			return seen, err
		}
		if latest.Version != seen.Version {
			return latest, nil // the lock holder refreshed: use its tokens
		}
		if time.Now().After(giveUp) {
			return seen, errRefreshBusy
		}
	}
}

// refreshLocked refreshes while holding the session's refresh lock.
func (app *App) refreshLocked(ctx context.Context, u *store.User, seen store.TokenRecord) (store.TokenRecord, error) {
	// The previous holder may have refreshed just before we got the lock.
	current, err := app.tokens(ctx, u)
	if err != nil {
		return seen, err
	}
	if current.Version != seen.Version {
		return current, nil
	}
	// A new ID token must name the same user as the one it replaces
	// (OIDC Core 12.2): the one in the record, verified when it came.
	previous, err := connect.ClaimsOf(current.Tokens.IDToken)
	if err != nil {
		previous = u.Claims
	}
	refreshed, err := app.Connect.Refresh(ctx, current.Tokens, previous)
	app.Metrics.refreshed(err)
	if connect.IsInvalidGrant(err) || errors.Is(err, connect.ErrNoRefreshToken) {
		return current, fmt.Errorf("%w: %w", errSessionEnded, err)
	}
	if err != nil {
		return current, err
	}
	// A new ID token, if the refresh brought one, is in the new tokens:
	// kept under the same compare-and-swap, not in the scs session, which
	// a request in flight could write back older.
	next := store.TokenRecord{Tokens: refreshed.Tokens, RefreshedAt: app.Now(), Refreshes: current.Refreshes + 1}
	stored, err := app.Sessions.ReplaceTokens(ctx, current.Version, next)
	if err != nil || !stored {
		return app.refreshNotStored(ctx, u, current, next, err)
	}
	next.Version = current.Version + 1
	return next, nil
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
func (app *App) refreshNotStored(ctx context.Context, u *store.User, current, next store.TokenRecord, writeErr error) (store.TokenRecord, error) {
	latest, err := app.Sessions.Tokens(ctx)
	switch {
	case errors.Is(err, store.ErrNoTokens):
		app.revokeTokens(ctx, next.Tokens)
		return latest, fmt.Errorf("%w: %w", errSessionEnded, err)
	case err != nil:
		return latest, errors.Join(writeErr, err)
	case latest.Tokens.AccessToken == next.Tokens.AccessToken:
		return latest, nil
	case latest.Version == current.Version:
		if stored, err := app.Sessions.ReplaceTokens(ctx, current.Version, next); err == nil && stored {
			next.Version = current.Version + 1
			return next, nil
		}
		return latest, errors.Join(writeErr, errors.New("new tokens could not be stored"))
	default:
		return latest, nil
	}
}

// tokens reads the session's token record; a missing one means the
// session has been ended elsewhere (logout in another tab, back-channel
// logout).
func (app *App) tokens(ctx context.Context, u *store.User) (store.TokenRecord, error) {
	rec, err := app.Sessions.Tokens(ctx)
	if errors.Is(err, store.ErrNoTokens) {
		return rec, fmt.Errorf("%w: %w", errSessionEnded, err)
	}
	return rec, err
}

// handleRefresh is POST /refresh: "Refresh now" on the session page. It
// refreshes the tokens at once and returns to the session page.
func (app *App) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if _, err := app.freshTokens(r.Context(), u, refreshNeed{force: true}); err != nil {
		return err
	}
	app.Messages.Set(w, "message.tokens_refreshed")
	http.Redirect(w, r, "/session", http.StatusSeeOther)
	return nil
}

// endSession is where errSessionEnded leads: the session is logged out and
// the visitor sent to log in again, back to the page they were on, with a
// one-line explanation waiting for them there.
func (app *App) endSession(w http.ResponseWriter, r *http.Request, cause error) {
	app.Logger.Info("session ended by CONNECT; asking for a new login", "reason", cause, "request_id", requestID(r.Context()))
	// The tokens are dead at CONNECT already: nothing to revoke.
	if _, err := app.Sessions.LogOut(r.Context()); err != nil {
		app.serveError(w, r, err)
		return
	}
	app.Messages.Set(w, "message.connect_session_ended")
	returnTo := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		returnTo = r.PostFormValue("return_to")
	}
	http.Redirect(w, r, "/login?return_to="+url.QueryEscape(safeReturnPath(returnTo)), http.StatusSeeOther)
}
