package handlers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/telenordigital/connect-web-sample/connectweb"
)

type contextKey int

const (
	requestInfoKey contextKey = iota
)

// requestInfo is what observeRequests learns of a request as it is
// served: the id it gave it, and the route pattern that served it
// (notePattern).
type requestInfo struct{ id, pattern string }

// requestID returns the id observeRequests gave this request; error pages
// show it so a visitor's report can be matched to the log.
func requestID(ctx context.Context) string {
	if info, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// observeRequests gives each request an id and, when it is done, records
// how long it took under the pattern of the route that served it (never
// the path, which a visitor chooses) and logs one line.
//
// The line has the path only, never the query: the callback's query holds
// the authorization code, and a code in a log can be redeemed by whoever
// reads it before the user does. Method and path are the visitor's
// choice, so they are clipped (logvalues.go), and logged here only.
func (app *App) observeRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// One allocation for both: this runs on every request.
		seen := &struct {
			requestInfo
			statusRecorder
		}{requestInfo{id: newRequestID()}, statusRecorder{ResponseWriter: w, status: http.StatusOK}}
		info, rec := &seen.requestInfo, &seen.statusRecorder
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, info))
		start := time.Now()
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		app.Metrics.requestDuration.WithLabelValues(cmp.Or(info.pattern, "unmatched"), strconv.Itoa(rec.status)).Observe(took.Seconds())
		if !app.Logger.Enabled(r.Context(), slog.LevelInfo) {
			return // the line's values cost more than a page view's template
		}
		app.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", connectweb.ClipForLog(r.Method)),
			slog.String("path", connectweb.ClipForLog(r.URL.Path)),
			slog.String("client", clientAddress(r, app.TrustedProxies).String()),
			slog.Int("status", rec.status),
			slog.Duration("duration", took),
			slog.String("request_id", info.id))
	})
}

// notePattern passes the pattern the mux inside it chose (ServeMux sets
// r.Pattern on the request it was given) out to observeRequests. The
// site has two muxes, one inside the session middleware; each is wrapped
// in notePattern, and the innermost that chose a route wins. A request no
// route served (a redirect to a cleaned path, a 405) is "unmatched".
func notePattern(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok && info.pattern == "" {
			info.pattern = r.Pattern
		}
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status code for the log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// recoverPanic turns a panic into the error page and a log line with the
// stack, so a bug shows the visitor a 500 page and never a stack trace.
func (app *App) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				w.Header().Set("Connection", "close")
				app.serveError(w, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response gets. The policy allows
// no script at all and styles only from /static; forms may post to us and
// to CONNECT (the logout form's redirect goes there).
func securityHeaders(formTargets string, https bool, next http.Handler) http.Handler {
	csp := "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; " +
		"base-uri 'none'; frame-ancestors 'none'; form-action " + formTargets
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		// The callback URL carries the code: never send it on as a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if https {
			// Never over plain http again, so cookies and codes cannot leak.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOriginProtection refuses cross-site POSTs (a form on another site
// posting to /logout or /refresh), using the browser's Sec-Fetch-Site and
// Origin headers. Back-channel logout is posted by CONNECT's server, which
// sends neither header, so it passes.
func (app *App) crossOriginProtection(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(app.handle(func(w http.ResponseWriter, r *http.Request) error {
		return failure(http.StatusForbidden, "cross_site")
	}))
	return cop.Handler(next)
}

// noStore keeps pages out of every cache: they show who is logged in.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// requestIDs is a log handler that adds the request's id to each line
// logged with its context, for code that knows nothing of the id
// (connectweb's).
type requestIDs struct{ slog.Handler }

func (h requestIDs) Handle(ctx context.Context, rec slog.Record) error {
	if id := requestID(ctx); id != "" {
		rec.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDs{h.Handler.WithAttrs(attrs)}
}

func (h requestIDs) WithGroup(name string) slog.Handler {
	return requestIDs{h.Handler.WithGroup(name)}
}
