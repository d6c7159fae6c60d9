package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"
)

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
func (app *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	var problems []string
	if app.Ping != nil {
		if err := app.Ping(ctx); err != nil {
			problems = append(problems, "session store (Redis) unavailable")
		}
	}
	if err := app.Connect.Discover(ctx); err != nil {
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
