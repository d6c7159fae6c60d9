package connectweb

import (
	"context"
	"errors"
	"net/http"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Using the tokens (step 10 of CONNECT's guide). A page that calls CONNECT
// or an API asks for the tokens of its request with Tokens, which
// refreshes them first when they are due, once for all app instances
// (store.Sessions.FreshTokens holds that protocol). A page whose call was
// answered 401 asks again with TokensAfter401, which refreshes once more.
// An error from either goes to Fail, which sends the visitor to log in
// again when CONNECT has ended the grant.

type contextKey int

const userKey contextKey = iota

// RequireLogin lets logged-in visitors through and sends everyone else to
// log in, with a way back to the page they asked for. Behind it,
// CurrentUser names the user.
func (web *Web) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := web.opts.Sessions.CurrentUser(r.Context())
		if !ok {
			returnTo := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				returnTo = "/"
			}
			web.redirectToLogin(w, r, returnTo, http.StatusFound)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	})
}

// CurrentUser is the logged-in user of a request RequireLogin let through.
// Elsewhere, ask store.Sessions.CurrentUser, which may find nobody.
func CurrentUser(r *http.Request) *store.User {
	return r.Context().Value(userKey).(*store.User)
}

// Tokens returns the tokens of r's session, refreshed first if the access
// token expires within Options.RefreshMargin.
func (web *Web) Tokens(r *http.Request) (store.TokenRecord, error) {
	return web.freshTokens(r, store.Refresh{})
}

// TokensAfter401 returns the session's tokens after CONNECT (or an API)
// answered 401 to rejected: refreshed, unless another request has
// refreshed them meanwhile.
func (web *Web) TokensAfter401(r *http.Request, rejected string) (store.TokenRecord, error) {
	return web.freshTokens(r, store.Refresh{Rejected: rejected})
}

// RefreshNow refreshes the session's tokens whether they are due or not,
// and leaves a notice saying so.
func (web *Web) RefreshNow(w http.ResponseWriter, r *http.Request) (store.TokenRecord, error) {
	rec, err := web.freshTokens(r, store.Refresh{Force: true})
	if err == nil {
		web.opts.Notify(w, r, NoticeTokensRefreshed)
	}
	return rec, err
}

func (web *Web) freshTokens(r *http.Request, rq store.Refresh) (store.TokenRecord, error) {
	u, ok := web.opts.Sessions.CurrentUser(r.Context())
	if !ok {
		return store.TokenRecord{}, store.ErrGrantEnded
	}
	rq.Margin, rq.Revoke = web.opts.RefreshMargin, web.RevokeTokens
	var trace *connect.Trace
	rq.Trace = func() *connect.Trace { return trace }
	rq.Grant = func(ctx context.Context, current connect.TokenSet) (connect.TokenSet, error) {
		// A new ID token must name the same user as the one it replaces
		// (OIDC Core 12.2): the one in the record, verified when it came.
		previous, err := connect.ClaimsOf(current.IDToken)
		if err != nil {
			previous = u.Claims
		}
		refreshed, err := web.opts.Connect.Refresh(ctx, current, previous)
		web.count("refresh", refreshOutcome(err), "")
		if err != nil {
			return connect.TokenSet{}, err
		}
		trace = &refreshed.Trace
		return refreshed.Tokens, nil
	}
	return web.opts.Sessions.FreshTokens(r.Context(), rq)
}

// refreshOutcome names a refresh's outcome at CONNECT for counting.
func refreshOutcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case connect.IsInvalidGrant(err), errors.Is(err, connect.ErrNoRefreshToken):
		return "ended"
	case errors.Is(err, connect.ErrUnavailable):
		return "unavailable"
	default:
		return "failed"
	}
}
