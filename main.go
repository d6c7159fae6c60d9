// Command connect-sample is the reference web client for Telenor CONNECT ID.
//
// main only wires the parts together: configuration, Redis, sessions, the
// CONNECT client, the handlers and the HTTP server, plus the local CONNECT
// stand-in when no issuer is configured. Each step of the integration lives
// in its own package; see README.md for the map.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	// Norwegian pages give times in Norway's time: the zone's rules are
	// part of the binary, as the container image has no zoneinfo.
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/config"
	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/handlers"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/regcheck"
	"github.com/telenordigital/connect-web-sample/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// run is the whole program, with its environment passed in so that it can
// be run from a test. It returns when ctx is cancelled (SIGINT, SIGTERM) and
// the servers have shut down.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) (err error) {
	if len(args) > 1 && args[1] == "check" {
		return runCheck(ctx, lookupEnv, stdout, stderr)
	}
	cfg, err := config.Load(lookupEnv, ".env")
	if err != nil {
		return err
	}
	if len(args) > 1 && args[1] == "healthcheck" {
		return healthcheck(ctx, cfg, stdout)
	}
	logger := newLogger(cfg, stderr)
	for _, warning := range cfg.Warnings() {
		logger.Warn(handlers.InEnglish(warning.Key, warning.Args...))
	}

	// Counted from the start, served only on METRICS_LISTEN (if set).
	metrics := handlers.NewMetrics()

	// One client for every call to CONNECT: the timeout keeps a slow
	// provider from holding requests (and goroutines) forever, and a pool
	// larger than the default two idle connections saves a TLS handshake
	// per call when many visitors are busy at once (see bench/README.md).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 100
	backEnd := &http.Client{Timeout: 10 * time.Second, Transport: metrics.CountConnectErrors(transport)}

	var servers []*http.Server
	defer func() {
		if err != nil { // a failed start must not leave the stand-in running
			for _, srv := range servers {
				srv.Close()
			}
		}
	}()
	if cfg.UsesStandIn() {
		standIn, err := startStandIn(cfg, backEnd, logger)
		if err != nil {
			return err
		}
		servers = append(servers, standIn)
	}

	secrets, err := store.NewSecrets(cfg.SessionSecret, cfg.PreviousSessionSecret)
	if err != nil {
		return err
	}
	rdb, closeRedis, err := openRedis(cfg)
	if err != nil {
		return err
	}
	defer closeRedis()
	rdb.AddHook(metrics.RedisHook())
	if err := store.Ping(ctx, rdb); err != nil {
		logger.Warn("Redis is not answering yet; pages that need a session answer 503 until it does", "error", err)
	}
	sessions, err := store.NewSessions(store.SessionOptions{
		Redis:       rdb,
		Secrets:     secrets,
		IdleTimeout: cfg.SessionIdleTimeout,
		Lifetime:    cfg.SessionLifetime,
		Secure:      cfg.SecureCookies(),
		ACRFloor:    cfg.ACRValues,
		// A device ended from /sessions must authenticate afresh.
		EndedSessionMemory: cfg.EndedSessionMemory,
	})
	if err != nil {
		return err
	}

	client, err := connect.New(connect.Config{
		Issuer:                cfg.IssuerURL(),
		ClientID:              cfg.ClientID,
		ClientSecret:          cfg.ClientSecret,
		RedirectURL:           cfg.RedirectURL(),
		PostLogoutRedirectURL: cfg.PostLogoutRedirectURL(),
		Scopes:                cfg.Scopes,
		HTTPClient:            backEnd,
		KeySetFetched:         metrics.KeySetFetched,
	})
	if err != nil {
		return err
	}
	standInURL := ""
	if cfg.UsesStandIn() {
		standInURL = cfg.LocalConnectURL.String()
	}
	// /setup's button runs the same check as `connect-sample check`.
	check := registrationCheckOptions(cfg, nil, backEnd)
	check.Issuer, check.StandIn = cfg.IssuerURL(), cfg.UsesStandIn()
	check.EmbeddedRedis = cfg.RedisURL == ""
	check.PingRedis = func(ctx context.Context) error { return store.Ping(ctx, rdb) }
	app, err := handlers.New(handlers.Options{
		Connect:  client,
		Sessions: sessions,
		Logins:   store.NewLoginTransactions(store.LoginTransactionOptions{Secrets: secrets, Secure: cfg.SecureCookies()}),
		Messages: store.NewMessages(store.MessageOptions{Secrets: secrets, Secure: cfg.SecureCookies()}),
		// Shared by every instance, like the sessions.
		ValidatedTokens: store.NewValidatedTokens(rdb, secrets, ""),
		Ping:            func(ctx context.Context) error { return store.Ping(ctx, rdb) },
		Logger:          logger,
		Issuer:          cfg.IssuerURL(),
		BaseURL:         cfg.BaseURL.String(),
		APIPolicy: connect.AccessTokenPolicy{
			Audience:       cfg.APIAudience,
			AllowedClients: cfg.APIAllowedClients,
			AllowUserInfo:  cfg.APIAllowUserInfo,
		},
		HTTPS: cfg.SecureCookies(),
		Registration: handlers.Registration{
			RedirectURL:           cfg.RedirectURL(),
			PostLogoutRedirectURL: cfg.PostLogoutRedirectURL(),
			BackchannelLogoutURL:  cfg.BackchannelLogoutURL(),
			InsecureBaseURL:       cfg.InsecureBaseURL(),
		},
		Scopes:             cfg.Scopes,
		Warnings:           cfg.Warnings(),
		StandInURL:         standInURL,
		RepositoryURL:      cfg.RepositoryURL,
		SSO:                cfg.SSO,
		ACRValues:          cfg.ACRValues,
		UILocales:          cfg.UILocales,
		EmbeddedRedis:      cfg.RedisURL == "",
		RefreshMargin:      cfg.RefreshMargin,
		StepUpMaxAge:       cfg.StepUpMaxAge,
		EndedSessionMemory: cfg.EndedSessionMemory,

		ServeSetupPage:      cfg.ServeSetupPage(),
		RegistrationCheck:   func(ctx context.Context) []regcheck.Line { return regcheck.Run(ctx, check) },
		TrustedProxies:      cfg.TrustedProxies,
		RateLimitPerAddress: cfg.RateLimitPerAddress,
		RateLimitRefresh:    cfg.RateLimitRefresh,
		Metrics:             metrics,
	})
	if err != nil {
		return err
	}
	if cfg.MetricsListen != "" {
		// A listener of its own, never the public one: the figures are for
		// the operator, and the scraper needs no route through the site.
		metricsServer, err := listen(address{"METRICS_LISTEN", cfg.MetricsListen, cfg.MetricsListen, "METRICS_LISTEN"}, metrics.Handler(), logger)
		if err != nil {
			return err
		}
		servers = append(servers, metricsServer)
	}

	site, err := listen(address{"APP_LISTEN", cfg.Listen, cfg.Listen, "APP_LISTEN (or PORT)"}, app.Routes(), logger)
	if err != nil {
		return err
	}
	servers = append(servers, site)
	logger.Info("CONNECT sample is running", "config", cfg)
	// Last, and plain, so a developer sees where to go without reading
	// key=value pairs. Unless APP_BASE_URL is set, it follows APP_LISTEN,
	// so this is where the app listens and where CONNECT sends the
	// browser back to.
	fmt.Fprintf(stdout, "open %s\n", cfg.BaseURL)

	// Load discovery now rather than on the first visitor's click. A
	// failure is not fatal: the client retries on the next request.
	go func() {
		if err := client.Discover(ctx); err != nil {
			logger.Warn("CONNECT discovery failed; will retry on demand", "error", err)
		}
	}()

	<-ctx.Done()
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(shutdownCtx))
	}
	return errors.Join(errs...)
}

// address is where a server listens, with the setting it comes from, so
// that a port already in use says which setting to change.
type address struct {
	setting string // the variable the address comes from, e.g. APP_LISTEN
	value   string // its value, e.g. :8081
	listen  string // host:port to listen on
	change  string // what to set to a free port, e.g. APP_LISTEN (or PORT)
}

// portInUse is a busy port, said in one line that names the setting, and
// still errors.Is(err, syscall.EADDRINUSE) for the check command, which
// then asks the stand-in already there.
type portInUse struct {
	line string
	err  error
}

func (p portInUse) Error() string { return p.line }
func (p portInUse) Unwrap() error { return p.err }

// listen binds a before returning, so a port already in use stops
// start-up with one line naming the setting to change, and then serves h
// in the background.
func listen(a address, h http.Handler, logger *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", a.listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, portInUse{fmt.Sprintf("%s %s: the port is in use by another program; set %s to a free one", a.setting, a.value, a.change), err}
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a.setting, a.value, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("server stopped", "addr", a.listen, "error", err)
		}
	}()
	return srv, nil
}

// startStandIn runs the local CONNECT stand-in with this app's client
// registered, and the other apps' clients of LOCAL_CONNECT_CLIENTS beside
// it, for demos and development before Telenor has issued credentials. It
// listens on LOCAL_CONNECT_LISTEN: loopback on LOCAL_CONNECT_URL's port
// unless the operator opens it up (compose does, for Docker's port
// mapping).
func startStandIn(cfg *config.Config, backEnd *http.Client, logger *slog.Logger) (*http.Server, error) {
	clients := []localconnect.Client{{
		ID:                     cfg.ClientID,
		Secret:                 cfg.ClientSecret,
		RedirectURIs:           []string{cfg.RedirectURL()},
		PostLogoutRedirectURIs: []string{cfg.PostLogoutRedirectURL()},
		BackchannelLogoutURI:   cfg.BackchannelLogoutURL(),
	}}
	for _, c := range cfg.LocalConnectClients {
		clients = append(clients, localconnect.Client{
			ID:                     c.ID,
			Secret:                 c.Secret,
			RedirectURIs:           c.RedirectURIs,
			PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
			BackchannelLogoutURI:   c.BackchannelLogoutURI,
		})
	}
	standIn, err := localconnect.New(localconnect.Options{
		Issuer:         cfg.IssuerURL(),
		Clients:        clients,
		AccessTokenTTL: cfg.LocalConnectAccessTokenTTL,
		AccessTokens:   localconnect.AccessTokenFormat(cfg.LocalConnectAccessTokens),
		Introspection:  cfg.LocalConnectIntrospection,
		HTTPClient:     backEnd,
		Logger:         logger.With("component", "localconnect"),
	})
	if err != nil {
		return nil, fmt.Errorf("local CONNECT stand-in: %w", err)
	}
	if len(cfg.LocalConnectFaults) > 0 {
		faults, err := standIn.NamedFaults(cfg.LocalConnectFaults)
		if err != nil {
			return nil, fmt.Errorf("local CONNECT stand-in: %w", err)
		}
		standIn.SetFaults(faults)
		logger.Warn("the local CONNECT stand-in makes these mistakes on purpose (LOCAL_CONNECT_FAULTS); logins may fail", "faults", cfg.LocalConnectFaults)
	}
	// Unless LOCAL_CONNECT_LISTEN is set, the stand-in listens on
	// LOCAL_CONNECT_URL's port: that URL is the setting to change.
	at := address{"LOCAL_CONNECT_LISTEN", cfg.LocalConnectListen, cfg.LocalConnectListen, "LOCAL_CONNECT_LISTEN (and LOCAL_CONNECT_URL's port)"}
	if cfg.StandInPortSetting() == "LOCAL_CONNECT_URL" {
		at = address{"LOCAL_CONNECT_URL", cfg.LocalConnectURL.String(), cfg.LocalConnectListen, "LOCAL_CONNECT_URL's port"}
	}
	return listen(at, standIn, logger)
}

// openRedis connects to REDIS_URL, or starts the embedded Redis when it is
// empty: the same store code runs on either.
func openRedis(cfg *config.Config) (redis.UniversalClient, func(), error) {
	if cfg.RedisURL == "" {
		return startEmbeddedRedis()
	}
	rdb, err := store.OpenRedis(cfg.RedisURL, cfg.RedisMode)
	if err != nil {
		return nil, nil, err
	}
	return rdb, func() { rdb.Close() }, nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// healthcheck is the `connect-sample healthcheck` subcommand, the container
// health check: the final image has no shell or curl, so the binary asks
// its own /healthz.
func healthcheck(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	_, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("healthcheck: APP_LISTEN: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}
