package handlers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connectweb"
)

// Metrics are what an operator watches: logins, refreshes, logouts, rate
// limits, CONNECT and Redis errors, and latency per route. They are kept in
// a registry of their own (no global state) and served by Handler on
// METRICS_LISTEN, a listener apart from the site's.
//
// No label ever holds a user id, a token, an address or a raw path: each
// label takes one of a few fixed values, so a visitor can neither read
// anything in them nor grow their number.
type Metrics struct {
	registry *prometheus.Registry

	loginsStarted      prometheus.Counter
	loginsCompleted    prometheus.Counter
	loginsFailed       *prometheus.CounterVec // reason
	callbacksRefused   *prometheus.CounterVec // reason
	refreshes          *prometheus.CounterVec // outcome
	backchannelLogouts *prometheus.CounterVec // outcome
	rateLimited        *prometheus.CounterVec // limit
	keySetFetches      *prometheus.CounterVec // outcome
	backendErrors      *prometheus.CounterVec // backend
	requestDuration    *prometheus.HistogramVec
}

// NewMetrics registers the app's metrics, and the Go runtime's and the
// process's, in a new registry.
func NewMetrics() *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "connect_sample", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		loginsStarted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "connect_sample", Name: "logins_started_total",
			Help: "Logins (and step-ups) sent to CONNECT's authorization endpoint."}),
		loginsCompleted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "connect_sample", Name: "logins_completed_total",
			Help: "Callbacks that ended in a new session."}),
		loginsFailed: counter("logins_failed_total",
			"Callbacks that matched a login but ended without a session, by reason: CONNECT's error code, or why its answer was not accepted.", "reason"),
		callbacksRefused: counter("callbacks_refused_total",
			"Callbacks refused before asking CONNECT anything: no login of this browser matched the state, or there was no code.", "reason"),
		refreshes: counter("token_refreshes_total",
			"Token refreshes at CONNECT, by outcome.", "outcome"),
		backchannelLogouts: counter("backchannel_logouts_total",
			"Back-channel logout requests, by outcome.", "outcome"),
		rateLimited: counter("rate_limited_total",
			"Requests refused with 429, by the limit they hit.", "limit"),
		keySetFetches: counter("key_set_fetches_total",
			"Fetches of CONNECT's signing keys (JWK set), by outcome.", "outcome"),
		backendErrors: counter("backend_errors_total",
			"Calls to CONNECT or Redis that failed: no answer, a timeout, or (CONNECT) a 5xx status.", "backend"),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "connect_sample", Name: "http_request_duration_seconds",
			Help: "Time to answer a request, by route pattern and status code.", Buckets: prometheus.DefBuckets}, []string{"route", "code"}),
	}
	m.registry.MustRegister(m.loginsStarted, m.loginsCompleted, m.loginsFailed, m.callbacksRefused, m.refreshes,
		m.backchannelLogouts, m.rateLimited, m.keySetFetches, m.backendErrors, m.requestDuration)
	m.registry.MustRegister(
		// The live heap after the last collection, besides the usual memory
		// figures: what a memory leak shows in.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Every known label value starts at zero, so dashboards and alerts see
	// the series before the first event.
	for _, reason := range connectweb.FailureReasons() {
		m.loginsFailed.WithLabelValues(reason)
	}
	for _, reason := range []string{"no_matching_login", "no_code", "reauthenticate"} {
		m.callbacksRefused.WithLabelValues(reason)
	}
	for _, outcome := range []string{"ok", "ended", "unavailable", "failed"} {
		m.refreshes.WithLabelValues(outcome)
	}
	for _, outcome := range []string{"accepted", "invalid", "unavailable"} {
		m.backchannelLogouts.WithLabelValues(outcome)
	}
	for _, limit := range []string{"address", "refresh"} {
		m.rateLimited.WithLabelValues(limit)
	}
	for _, outcome := range []string{"ok", "failed"} {
		m.keySetFetches.WithLabelValues(outcome)
	}
	for _, backend := range []string{"connect", "redis"} {
		m.backendErrors.WithLabelValues(backend)
	}
	return m
}

// Handler serves the metrics at GET /metrics, for METRICS_LISTEN only.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	return mux
}

// KeySetFetched counts one fetch of CONNECT's JWK set; err is its outcome.
// It is the connect client's key-set hook.
func (m *Metrics) KeySetFetched(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.keySetFetches.WithLabelValues(outcome).Inc()
}

// CountConnectErrors wraps the transport of the HTTP client that calls
// CONNECT, counting the calls that got no answer or a 5xx.
func (m *Metrics) CountConnectErrors(next http.RoundTripper) http.RoundTripper {
	return connectErrorCounter{next: next, errors: m.backendErrors.WithLabelValues("connect")}
}

type connectErrorCounter struct {
	next   http.RoundTripper
	errors prometheus.Counter
}

func (c connectErrorCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	// A visitor who went away cancels the call: not CONNECT's failure.
	if (err != nil && !errors.Is(err, context.Canceled)) || (err == nil && resp.StatusCode >= 500) {
		c.errors.Inc()
	}
	return resp, err
}

// RedisHook counts Redis commands that got no answer (a connection
// refused or lost, a timeout); add it to the app's Redis client. An error
// reply from Redis is an answer, not a failure: redis.Nil ("no such key"),
// or NOSCRIPT, after which go-redis sends the script itself.
func (m *Metrics) RedisHook() redis.Hook {
	return redisErrorCounter{errors: m.backendErrors.WithLabelValues("redis")}
}

type redisErrorCounter struct{ errors prometheus.Counter }

func (h redisErrorCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		h.count(err)
		return conn, err
	}
}

func (h redisErrorCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		h.count(err)
		return err
	}
}

func (h redisErrorCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		h.count(err)
		return err
	}
}

func (h redisErrorCounter) count(err error) {
	if _, answered := errors.AsType[redis.Error](err); err != nil && !answered {
		h.errors.Inc()
	}
}

// count is connectweb's Count hook: each flow's outcome, as the flow
// decides it, onto the counter an operator watches.
func (m *Metrics) count(e connectweb.Event) {
	switch e.Flow + "/" + e.Outcome {
	case "login/started":
		m.loginsStarted.Inc()
	case "callback/completed":
		m.loginsCompleted.Inc()
	case "callback/failed":
		m.loginsFailed.WithLabelValues(e.Reason).Inc()
	case "callback/refused":
		m.callbacksRefused.WithLabelValues(e.Reason).Inc()
	case "refresh/" + e.Outcome:
		m.refreshes.WithLabelValues(e.Outcome).Inc()
	case "backchannel_logout/" + e.Outcome:
		m.backchannelLogouts.WithLabelValues(e.Outcome).Inc()
	}
}
