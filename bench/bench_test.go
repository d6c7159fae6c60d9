// Package bench is the load benchmark of the sample app. It builds the real
// binary, starts it against a CONNECT stand-in in the benchmark's own
// process and a Redis of its own, and drives it over HTTP:
//
//	go test -run XXX -bench . ./bench/
//
// It has two kinds of benchmarks. The harness (floor_test.go,
// sessions_test.go, logins_test.go) measures the app under 32 connections
// at once, side by side with a floor server, and prints a table at the end
// of the run. The Go benchmarks below (one visitor at a time, or one per
// CPU) are for benchstat: before and after a change, -count 6 each.
//
// Plain `go test ./...` runs no benchmark, so it never builds or starts
// anything here. README.md says what each part measures and holds the
// latest results.
package bench

import (
	"fmt"
	"net/http"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	results.print(os.Stdout, &shared)
	if err := shared.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		code = 1
	}
	os.Exit(code)
}

// BenchmarkHomeAnonymous is GET / without a session cookie: templates and
// middleware only, since a visitor without a cookie costs Redis nothing.
func BenchmarkHomeAnonymous(b *testing.B) {
	app := setUp(b).app
	v := newVisitor(app.baseURL, newTransport(b))
	// The app sets a session cookie only when it saves a session; none
	// here means the page really was served without one.
	if cookies, err := v.cookiesFrom("/"); err != nil || len(cookies) > 0 {
		b.Fatalf("GET / without a session: cookies %v, error %v; want none", cookies, err)
	}

	done := app.measure(b, "req/s")
	for range b.N {
		if err := v.get("/", http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkProtectedPage is GET /protected with a session, one request at
// a time: the session is read from Redis, and written back only when its
// idle timeout is due to move.
func BenchmarkProtectedPage(b *testing.B) {
	app := setUp(b).app
	v := app.loggedIn(b)

	done := app.measure(b, "req/s")
	for range b.N {
		if err := v.get("/protected", http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkProfile is GET /profile: the page view above, plus a read of
// the token record and a userinfo call to the stand-in. The access token
// lives an hour, so nothing is refreshed.
func BenchmarkProfile(b *testing.B) {
	app := setUp(b).app
	v := app.loggedIn(b)

	done := app.measure(b, "req/s")
	for range b.N {
		if err := v.get("/profile", http.StatusOK); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkLogin is one whole login by a new browser: GET /login, the
// stand-in's login page, the form posted, the callback (code exchange, ID
// token checked by the app, session created in Redis), and the protected
// page it lands on. Each iteration has an empty cookie jar, so the
// stand-in has no SSO session and shows its page.
func BenchmarkLogin(b *testing.B) {
	app := setUp(b).app
	transport := newTransport(b)

	done := app.measure(b, "logins/s")
	for range b.N {
		if err := newVisitor(app.baseURL, transport).logIn(); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkProtectedPageParallel is BenchmarkProtectedPage from
// GOMAXPROCS goroutines at once, all with the same session cookie.
func BenchmarkProtectedPageParallel(b *testing.B) {
	benchmarkParallel(b, "/protected")
}

// BenchmarkProfileParallel is BenchmarkProfile from GOMAXPROCS goroutines
// at once, all with the same session cookie.
func BenchmarkProfileParallel(b *testing.B) {
	benchmarkParallel(b, "/profile")
}

func benchmarkParallel(b *testing.B, path string) {
	app := setUp(b).app
	v := app.loggedIn(b)

	done := app.measure(b, "req/s")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := v.get(path, http.StatusOK); err != nil {
				b.Error(err) // not Fatal: this is not the benchmark's goroutine
				return
			}
		}
	})
	done()
}

// measure starts the clock after a benchmark's set-up and returns the
// function to call after its loop, which reports unit (say, req/s) and the
// CPU time the app's process spent per operation, where /proc tells it.
// The stand-in runs in the benchmark's process, so it is not counted.
func (app *appProcess) measure(b *testing.B, unit string) (done func()) {
	b.ResetTimer()
	cpuBefore, ok := app.cpuTime()
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
		if cpuAfter, ok2 := app.cpuTime(); ok && ok2 {
			b.ReportMetric(float64(cpuAfter-cpuBefore)/float64(b.N), "app-cpu-ns/op")
		}
	}
}
