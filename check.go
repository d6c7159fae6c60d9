package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"syscall"
	"time"

	"github.com/telenordigital/connect-web-sample/config"
	"github.com/telenordigital/connect-web-sample/handlers"
	"github.com/telenordigital/connect-web-sample/regcheck"
	"github.com/telenordigital/connect-web-sample/store"
)

// runCheck is the `connect-sample check` subcommand: the registration
// check (regcheck) against the configured CONNECT, printed one line per
// check, in English. It reads the same settings as the app, prints the
// bad ones as ✗ lines and goes on with the rest; with no CONNECT_ISSUER
// it starts the stand-in in this process, as the app does. It returns an
// error, so the exit status is 1, when a line is ✗.
func runCheck(ctx context.Context, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	cfg, problems, err := config.LoadPartial(lookupEnv, ".env")
	if err != nil {
		return err
	}
	// Only what goes wrong: the stand-in's info lines (a token request
	// refused, as the check means it to be) would drown the report.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	backEnd := &http.Client{Timeout: 10 * time.Second}
	bad := func(names ...string) bool {
		return slices.ContainsFunc(problems, func(p config.Problem) bool { return slices.Contains(names, p.Variable) })
	}

	o := registrationCheckOptions(cfg, problems, backEnd)
	switch {
	case !cfg.UsesStandIn():
		if !bad("CONNECT_ISSUER") {
			o.Issuer = cfg.Issuer
		}
	case cfg.LocalConnectURL != nil && cfg.BaseURL != nil && !bad("LOCAL_CONNECT_LISTEN", "LOCAL_CONNECT_CLIENTS", "LOCAL_CONNECT_ACCESS_TOKENS", "LOCAL_CONNECT_FAULTS"):
		o.Issuer, o.StandIn = cfg.IssuerURL(), true
		standIn, err := startStandIn(cfg, backEnd, logger)
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			// Most likely the app, running with these settings in
			// another terminal: its stand-in has this client too.
			o.StandInShared = true
		case err != nil:
			return err
		default:
			defer standIn.Close()
		}
	}

	switch {
	case cfg.RedisURL == "":
		o.EmbeddedRedis = true
	case !bad("REDIS_URL", "REDIS_MODE"):
		rdb, err := store.OpenRedis(cfg.RedisURL, cfg.RedisMode)
		if err != nil {
			o.PingRedis = func(context.Context) error { return err }
			break
		}
		defer rdb.Close()
		o.PingRedis = func(ctx context.Context) error { return store.Ping(ctx, rdb) }
	}

	lines := regcheck.Run(ctx, o)
	fmt.Fprint(stdout, handlers.CheckReport("en", lines))
	if n := regcheck.Failed(lines); n > 0 {
		return fmt.Errorf("check: %d of the lines above are ✗", n)
	}
	return nil
}

// registrationCheckOptions are the settings the registration check looks
// at, from the configuration and its problems; the caller adds where
// CONNECT and Redis are. A setting with a problem stays empty, so the
// check skips what needs it.
func registrationCheckOptions(cfg *config.Config, problems []config.Problem, backEnd *http.Client) regcheck.Options {
	o := regcheck.Options{
		ClientID:            cfg.ClientID,
		ClientSecret:        cfg.ClientSecret,
		Scopes:              cfg.Scopes,
		ACRValues:           cfg.ACRValues,
		RandomSessionSecret: cfg.RandomSessionSecret,
		HTTPClient:          backEnd,
	}
	for _, p := range problems {
		o.Problems = append(o.Problems, regcheck.Problem{Variable: p.Variable, Message: p.Message})
	}
	if cfg.BaseURL != nil {
		o.BaseURL = cfg.BaseURL.String()
		o.RedirectURL = cfg.RedirectURL()
		o.BackchannelLogoutURL = cfg.BackchannelLogoutURL()
	}
	return o
}
