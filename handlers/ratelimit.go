package handlers

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/telenordigital/connect-web-sample/connectweb"
	"golang.org/x/time/rate"
)

// Rate limits. Every login start and every callback costs a call to
// CONNECT's token endpoint (with the client secret), and CONNECT may
// throttle a client id that calls too often, which would lock out every
// real user. So the events that reach CONNECT on a visitor's say are
// limited per client address (RATE_LIMIT_PER_ADDRESS a minute), and the
// "Refresh now" button per session (RATE_LIMIT_REFRESH a minute). The
// limits live in this process: with several instances, each allows its
// share.

// Defaults when Options leaves a limit at zero, as config's are.
const (
	defaultRateLimitPerAddress = 300
	defaultRateLimitRefresh    = 10
)

// maxLimitedKeys bounds each limiter's memory (about 200 bytes a key).
// A visitor rotating addresses cannot grow it further: past the bound,
// a new key pushes out an old one.
const maxLimitedKeys = 50_000

// rateLimiter is a token bucket per key (a client address, a session):
// perMinute events a minute, all of which may come at once.
type rateLimiter struct {
	perMinute int
	now       func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	sweeper *time.Timer // pending sweep; nil while there are no buckets
}

func newRateLimiter(perMinute int, now func() time.Time) *rateLimiter {
	return &rateLimiter{perMinute: perMinute, now: now, buckets: make(map[string]*rate.Limiter)}
}

// allow takes one event from key's bucket. When the bucket is empty it
// says how long until the next event is allowed.
func (l *rateLimiter) allow(key string) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, found := l.buckets[key]
	if !found {
		if len(l.buckets) >= maxLimitedKeys {
			for k := range l.buckets { // Go picks one at random
				delete(l.buckets, k)
				break
			}
		}
		b = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), l.perMinute)
		l.buckets[key] = b
		if l.sweeper == nil {
			l.sweeper = time.AfterFunc(time.Minute, l.sweep)
		}
	}
	if b.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - b.TokensAt(now)
	return time.Duration(missing / float64(b.Limit()) * float64(time.Second)), false
}

// sweep forgets the buckets that have filled up again: a full bucket is
// just what a new key gets, so nothing is lost. It runs a minute after the
// first key arrives and every minute while any are left, so an idle app
// holds no buckets and no timer.
func (l *rateLimiter) sweep() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) == 0 {
		l.sweeper = nil
		return
	}
	l.sweeper.Reset(time.Minute)
}

// size is how many keys the limiter holds.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// limitByAddress counts the request against its client address's limit,
// and answers 429 once that is spent: for login starts and callbacks.
func (app *App) limitByAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wait, ok := app.allowAddress(r); !ok {
			app.tooManyRequests(w, r, wait, "too_many_logins")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowAddress counts one event (a login start, a callback, a token
// validation that reaches CONNECT) against the limit of r's client
// address, and says how long to wait when that is spent.
func (app *App) allowAddress(r *http.Request) (wait time.Duration, ok bool) {
	wait, ok = app.addressLimits.allow(rateLimitKey(clientAddress(r, app.TrustedProxies)))
	if !ok {
		app.Metrics.rateLimited.WithLabelValues("address").Inc()
	}
	return wait, ok
}

// limitRefreshes counts a POST /refresh against its session's limit. It
// goes inside RequireLogin, which has found the user.
func (app *App) limitRefreshes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The session's random ID: it works as nothing else, so the
		// limiter holds nothing a heap dump could turn into a login.
		if wait, ok := app.refreshLimits.allow(connectweb.CurrentUser(r).ID); !ok {
			app.Metrics.rateLimited.WithLabelValues("refresh").Inc()
			app.tooManyRequests(w, r, wait, "too_many_refreshes")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tooManyRequests is the 429 page, with Retry-After for clients that
// honour it.
func (app *App) tooManyRequests(w http.ResponseWriter, r *http.Request, wait time.Duration, key string) {
	w.Header().Set("Retry-After", retryAfterSeconds(wait))
	app.serveError(w, r, failure(http.StatusTooManyRequests, key))
}

// retryAfterSeconds is wait in whole seconds, rounded up: Retry-After
// has no fractions, and "0" would invite an immediate retry.
func retryAfterSeconds(wait time.Duration) string {
	return strconv.FormatInt(int64(max(1, (wait+time.Second-1)/time.Second)), 10)
}
