package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"
)

// readyTimeout is how long /readyz takes at most: probes give up soon
// after, and an answer that comes too late is as bad as none.
const readyTimeout = 2 * time.Second

// handleHealthz is GET /healthz, the liveness probe: 200 while the process
// serves requests. It checks nothing else, so an outage of Redis or CONNECT
// never gets a healthy process restarted.
func (app *App) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// handleReadyz is GET /readyz, the readiness probe: 200 when Redis answers
// and CONNECT's discovery document is loaded, else 503 with what is
// missing, so a load balancer sends no visitors to an instance that could
// not log them in.
//
// It answers within readyTimeout whatever the checks do. A Redis that
// accepts connections and never replies holds go-redis for its own read
// timeouts and retries, past any context deadline; so the checks run on
// their own, and a check still running at the deadline counts as failed.
// It finishes in the background within the client's own timeouts.
func (app *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	redis := startCheck(ctx, app.Ping)
	discovery := startCheck(ctx, app.Connect.Discover)
	var problems []string
	if !passed(ctx, redis) {
		problems = append(problems, "session store (Redis) unavailable")
	}
	if !passed(ctx, discovery) {
		problems = append(problems, "CONNECT discovery not loaded")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(strings.Join(problems, "\n") + "\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

// startCheck runs check on its own and returns where its result will be.
func startCheck(ctx context.Context, check func(context.Context) error) <-chan error {
	result := make(chan error, 1) // buffered: a late check must not block forever
	go func() { result <- check(ctx) }()
	return result
}

// passed waits for a check's result until ctx's deadline, and reports
// whether it succeeded in time. A result already there at the deadline
// counts (select alone would pick at random between the two).
func passed(ctx context.Context, result <-chan error) bool {
	select {
	case err := <-result:
		return err == nil
	case <-ctx.Done():
		select {
		case err := <-result:
			return err == nil
		default:
			return false
		}
	}
}
