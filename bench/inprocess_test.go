package bench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/handlers"
	"github.com/telenordigital/connect-web-sample/store"
)

// BenchmarkProtectedInProcess is GET /protected from 32 connections at
// once, as in BenchmarkVersusFloor, but with the app's handler in this
// process, wired much as main.go wires it, so that Go's profiler can see it:
//
//	go test -run XXX -bench ProtectedInProcess -cpuprofile cpu.out ./bench/
//	go tool pprof -top -focus 'net/http.\(\*conn\).serve' bench.test cpu.out
//
// The profile also holds the load generator, which runs in the same
// process; -focus keeps the server's side. README.md shows the latest.
func BenchmarkProtectedInProcess(b *testing.B) {
	env := setUp(b)
	baseURL := env.inProcessApp(b)
	v := newVisitor(baseURL, newTransport(b))
	if err := v.logIn(); err != nil {
		b.Fatal(err)
	}

	// RunParallel starts parallelism × GOMAXPROCS goroutines: at least 32,
	// each with a connection of its own.
	procs := runtime.GOMAXPROCS(0)
	parallelism := (32 + procs - 1) / procs
	ops, closeAll := pageClients(parallelism*procs, baseURL+"/protected", v.cookies())
	defer closeAll()
	var next atomic.Int64
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		get := ops[next.Add(1)-1]
		for pb.Next() {
			if err := get(); err != nil {
				b.Error(err) // not Fatal: this is not the benchmark's goroutine
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// inProcessApp serves the app from this process, wired much as main.go
// does it with the benchmark's settings (LOG_LEVEL=error, the fixed
// secret, the environment's Redis, a stand-in of its own), and returns its
// URL. Package main cannot be imported, so this is a copy that leaves out
// what a page view does not touch (metrics' Redis and key-set hooks, rate
// limit settings); keep the rest in step with main.go.
func (env *environment) inProcessApp(b *testing.B) string {
	b.Helper()
	srv := httptest.NewServer(nil)
	b.Cleanup(srv.Close)
	baseURL := srv.URL
	_, issuer, err := env.startStandIn(baseURL)
	if err != nil {
		b.Fatal(err)
	}

	secrets, err := store.NewSecrets([]byte(sessionSecret), nil)
	if err != nil {
		b.Fatal(err)
	}
	rdb, err := store.OpenRedis(env.redis.url, "standalone")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rdb.Close() })
	sessions, err := store.NewSessions(store.SessionOptions{
		Redis: rdb, Secrets: secrets, IdleTimeout: 30 * time.Minute, Lifetime: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	scopes := []string{"openid", "profile", "email", "phone"}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 100
	client, err := connect.New(connect.Config{
		Issuer:                issuer,
		ClientID:              benchClientID,
		ClientSecret:          benchClientSecret,
		RedirectURL:           baseURL + "/connect/oauth2callback",
		PostLogoutRedirectURL: baseURL + "/connect/logoutcallback",
		Scopes:                scopes,
		HTTPClient:            &http.Client{Timeout: 10 * time.Second, Transport: transport},
	})
	if err != nil {
		b.Fatal(err)
	}
	app, err := handlers.New(handlers.Options{
		Connect:  client,
		Sessions: sessions,
		Logins:   store.NewLoginTransactions(store.LoginTransactionOptions{Secrets: secrets}),
		Messages: store.NewMessages(store.MessageOptions{Secrets: secrets}),
		// As main.go: shared by every instance, like the sessions.
		ValidatedTokens: store.NewValidatedTokens(rdb, secrets, ""),
		Ping:            func(ctx context.Context) error { return store.Ping(ctx, rdb) },
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		Issuer:          issuer,
		BaseURL:         baseURL,
		// As main.go's defaults: API_ALLOW_USERINFO=true.
		APIPolicy: connect.AccessTokenPolicy{Audience: benchClientID, AllowUserInfo: true},
		Registration: handlers.Registration{
			RedirectURL:           baseURL + "/connect/oauth2callback",
			PostLogoutRedirectURL: baseURL + "/connect/logoutcallback",
			BackchannelLogoutURL:  baseURL + "/connect/backchannellogout",
		},
		Scopes:        scopes,
		SSO:           true,
		RefreshMargin: time.Minute,
		StepUpMaxAge:  5 * time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = app.Routes()
	return baseURL
}
