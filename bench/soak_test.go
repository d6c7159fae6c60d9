package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// The soak: many users at once, for a while, against the real binary,
// checking what a short test cannot: that nothing fails under load, that
// no user ever sees another's page, and that the app gives back the
// goroutines and memory it took. It runs only when SOAK_DURATION is set:
//
//	SOAK_DURATION=60s go test -run '^TestSoak$' -count=1 -v ./bench   # the full run
//	SOAK_DURATION=10s go test -run '^TestSoak$' -count=1 -v ./bench   # what CI runs
//
// Everything stays on loopback, and the run stops by itself.

// soakUsers is how many users log in at once, each a test user of its own
// at the stand-in, with a browser (cookie jar) of its own.
const soakUsers = 200

func TestSoak(t *testing.T) {
	setting := os.Getenv("SOAK_DURATION")
	if setting == "" {
		t.Skip("the soak runs only with SOAK_DURATION set, e.g. SOAK_DURATION=60s")
	}
	duration, err := time.ParseDuration(setting)
	if err != nil || duration <= 0 {
		t.Fatalf("SOAK_DURATION=%q: want a duration such as 60s", setting)
	}

	users := make([]localconnect.User, soakUsers)
	for i := range users {
		n := fmt.Sprintf("%03d", i+1)
		users[i] = localconnect.User{Sub: "soak-" + n, Name: "Soak User " + n, Locale: "en",
			Email: "soak-" + n + "@example.test", PhoneNumber: "+4790000" + n, Password: "soak" + n, EmailVerified: true}
	}
	app := startSoakApp(t, users)
	t.Logf("app at %s; CONNECT stand-in at %s (in this process, with %d test users); sessions in Redis at %s",
		app.baseURL, app.issuer, soakUsers, redactedURL(app.redis))

	// Every user shares one transport, as browsers on one machine share
	// its network, but has cookies of its own.
	transport := &http.Transport{MaxIdleConns: soakUsers, MaxIdleConnsPerHost: soakUsers, IdleConnTimeout: 30 * time.Second}
	clients := make([]*soakUser, len(users))
	var run soakRun
	for i, user := range users {
		clients[i] = newSoakUser(app.baseURL, user, transport, &run)
	}

	// A warm-up first, so that the app's pools (Redis connections, each
	// with its buffers; connections to CONNECT) reach their working size:
	// "before" is the app at rest after that, and what the soak looks for
	// is what the long run adds. Failures in the warm-up count as well.
	load(clients, soakWarmUp)
	transport.CloseIdleConnections()
	t.Logf("warm-up: %d users for %s: %d visits, %d failed", soakUsers, soakWarmUp, run.visits.Load(), run.failures.Load())
	before, err := app.settled(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before: %d goroutines, live heap %s", before.goroutines, megabytes(before.liveHeap))

	visits, requests := run.visits.Load(), run.requests.Load()
	elapsed := load(clients, duration)
	transport.CloseIdleConnections()
	visits, requests = run.visits.Load()-visits, run.requests.Load()-requests
	t.Logf("load: %d users for %s: %d visits (log in, /protected, /profile, refresh, /session, log out), %d requests (%.0f/s), %d failed, %d pages naming another user",
		soakUsers, elapsed.Round(time.Second), visits, requests, float64(requests)/elapsed.Seconds(), run.failures.Load(), run.leaks.Load())
	if run.failures.Load()+run.leaks.Load() > 0 {
		t.Errorf("%d requests failed and %d pages named another user, want none; the first: %s\nthe end of the app's log:\n%s",
			run.failures.Load(), run.leaks.Load(), run.firstFailure(), app.log)
	}
	if visits == 0 {
		t.Error("no visit completed")
	}

	after, err := app.settled(&before)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after:  %d goroutines, live heap %s (%s after the load ended)", after.goroutines, megabytes(after.liveHeap),
		after.settledIn.Round(100*time.Millisecond))
	if after.goroutines > before.goroutines {
		t.Errorf("goroutines: %d after, %d before; want no more than before", after.goroutines, before.goroutines)
	}
	if allowed := max(before.liveHeap*11/10, before.liveHeap+5<<20); after.liveHeap > allowed {
		t.Errorf("live heap: %s after, %s before; want at most %s (10 %% or 5 MB more)",
			megabytes(after.liveHeap), megabytes(before.liveHeap), megabytes(allowed))
	}
}

// soakWarmUp is how long the users visit before "before" is measured.
const soakWarmUp = 5 * time.Second

// load has every user visit again and again for d, and says how long
// that took: d, and the visits in flight at its end.
func load(users []*soakUser, d time.Duration) time.Duration {
	ctx, stop := context.WithTimeout(context.Background(), d)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			for ctx.Err() == nil {
				u.visit()
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// soakRun is what the users report.
type soakRun struct {
	visits, requests, failures, leaks atomic.Int64

	mu    sync.Mutex
	first string
}

func (r *soakRun) fail(leak bool, format string, args ...any) {
	if leak {
		r.leaks.Add(1)
	} else {
		r.failures.Add(1)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first == "" {
		r.first = fmt.Sprintf(format, args...)
	}
}

func (r *soakRun) firstFailure() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// soakUser is one simulated user in a browser of their own.
type soakUser struct {
	user    localconnect.User
	number  string // the user's three digits, as pages name them
	baseURL string
	client  *http.Client
	run     *soakRun
}

func newSoakUser(baseURL string, user localconnect.User, transport http.RoundTripper, run *soakRun) *soakUser {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &soakUser{user: user, number: strings.TrimPrefix(user.Sub, "soak-"), baseURL: baseURL, run: run, client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// soakName finds users named on a page: by sub, name or e-mail address.
var soakName = regexp.MustCompile(`(?i)soak(?:-| user )(\d{3})`)

// visit is one round: log in (at the stand-in's page the first time, by
// single sign-on after that), view the private pages, refresh the tokens,
// look at them, log out. It stops at the first thing that goes wrong.
func (u *soakUser) visit() {
	authorize, _, ok := u.send(http.MethodGet, u.baseURL+"/login?return_to=/protected", nil, http.StatusFound)
	if !ok {
		return
	}
	callback, page, ok := u.send(http.MethodGet, authorize, nil, http.StatusOK, http.StatusFound)
	if !ok {
		return
	}
	if callback == "" { // the stand-in's login page: pick this user
		m := requestIDField.FindSubmatch(page)
		if m == nil {
			u.run.fail(false, "the stand-in's login page has no request_id field")
			return
		}
		form := url.Values{"request_id": {string(m[1])}, "user": {u.user.Sub}, "action": {"login"}}
		if callback, _, ok = u.send(http.MethodPost, strings.SplitN(authorize, "?", 2)[0], form, http.StatusFound); !ok {
			return
		}
	}
	if _, _, ok := u.send(http.MethodGet, callback, nil, http.StatusSeeOther); !ok {
		return
	}
	for _, path := range []string{"/protected", "/profile"} {
		if _, _, ok := u.page(path, u.user.Name); !ok {
			return
		}
	}
	if _, _, ok := u.send(http.MethodPost, u.baseURL+"/refresh", url.Values{}, http.StatusSeeOther); !ok {
		return
	}
	if _, _, ok := u.page("/session", u.user.Sub); !ok {
		return
	}
	loggedOut, _, ok := u.send(http.MethodPost, u.baseURL+"/logout", url.Values{}, http.StatusSeeOther)
	if !ok {
		return
	}
	if _, _, ok := u.send(http.MethodGet, loggedOut, nil, http.StatusOK); !ok {
		return
	}
	u.run.visits.Add(1)
}

// page gets one of the app's private pages, which must name the user
// (want) and nobody else.
func (u *soakUser) page(path, want string) (string, []byte, bool) {
	location, body, ok := u.send(http.MethodGet, u.baseURL+path, nil, http.StatusOK)
	if !ok {
		return location, body, false
	}
	for _, m := range soakName.FindAllSubmatch(body, -1) {
		if string(m[1]) != u.number {
			u.run.fail(true, "%s for %s names %s", path, u.user.Sub, m[0])
			return location, body, false
		}
	}
	if !bytes.Contains(body, []byte(want)) {
		u.run.fail(false, "%s for %s does not show %q", path, u.user.Sub, want)
		return location, body, false
	}
	return location, body, true
}

// send makes one request (a form POST when form is not nil) and checks
// that the status is one of want. It returns the Location, resolved, and
// the body.
func (u *soakUser) send(method, rawURL string, form url.Values, want ...int) (string, []byte, bool) {
	u.run.requests.Add(1)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		u.run.fail(false, "%s %s: %v", method, rawURL, err)
		return "", nil, false
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := u.client.Do(req)
	if err != nil {
		u.run.fail(false, "%s %s: %v", method, rawURL, err)
		return "", nil, false
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		u.run.fail(false, "%s %s: reading the body: %v", method, rawURL, err)
		return "", nil, false
	}
	location := ""
	if loc, err := resp.Location(); err == nil {
		location = loc.String()
	}
	for _, status := range want {
		if resp.StatusCode == status {
			return location, page, true
		}
	}
	u.run.fail(false, "%s %s as %s = %d, want %v", method, rawURL, u.user.Sub, resp.StatusCode, want)
	return location, page, false
}

// soakApp is the app's binary, running, with the stand-in in this process.
type soakApp struct {
	*process
	standIn    *httptest.Server
	baseURL    string
	metricsURL string
	issuer     string
	redis      string
	scraper    *http.Client
}

// startSoakApp builds the binary and starts it on free loopback ports,
// against a stand-in with users, and stops it when the test ends.
//
// The stand-in runs here rather than in the app so that it can have 200
// test users, and so that its memory (every token it issued) is not
// counted as the app's.
func startSoakApp(t *testing.T, users []localconnect.User) *soakApp {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "connect-sample")
	if err := goBuild(bin, "."); err != nil {
		t.Fatal(err)
	}
	appPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	metricsPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	app := &soakApp{
		baseURL:    "http://localhost:" + appPort,
		metricsURL: "http://127.0.0.1:" + metricsPort + "/metrics",
		redis:      soakRedisURL(t),
		// A new connection per scrape, so that the scraper holds no
		// connection (and the app no goroutine for it) between scrapes.
		scraper: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
	}

	const clientID = "soak-web"
	issuerServer := httptest.NewServer(nil)
	t.Cleanup(issuerServer.Close)
	app.standIn = issuerServer
	app.issuer = issuerServer.URL + "/oauth"
	standIn, err := localconnect.New(localconnect.Options{
		Issuer: app.issuer,
		Clients: []localconnect.Client{{
			ID:                     clientID,
			RedirectURIs:           []string{app.baseURL + "/connect/oauth2callback"},
			PostLogoutRedirectURIs: []string{app.baseURL + "/connect/logoutcallback"},
			BackchannelLogoutURI:   app.baseURL + "/connect/backchannellogout",
		}},
		Users: users,
	})
	if err != nil {
		t.Fatal(err)
	}
	issuerServer.Config.Handler = standIn

	// Its own directory, so a developer's .env is not read; only these
	// settings.
	app.process, err = startProcess("the app", bin, dir, []string{
		"APP_LISTEN=127.0.0.1:" + appPort,
		"APP_BASE_URL=" + app.baseURL,
		"CONNECT_ISSUER=" + app.issuer,
		"CONNECT_CLIENT_ID=" + clientID,
		"METRICS_LISTEN=127.0.0.1:" + metricsPort,
		"REDIS_URL=" + app.redis,
		"SESSION_SECRET=" + sessionSecret,
		"LOG_LEVEL=warn",
		// All users come from 127.0.0.1, and every visit refreshes: an
		// operator load-testing raises the limits just so.
		"RATE_LIMIT_PER_ADDRESS=1000000",
		"RATE_LIMIT_REFRESH=1000",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := app.stop(); err != nil {
			t.Error(err)
		}
	})
	if err := app.waitReady(app.baseURL+"/readyz", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return app
}

// soakRedisURL is the tests' Redis, else an embedded one in this process,
// which the app reaches over loopback like any Redis.
func soakRedisURL(t *testing.T) string {
	if url, ok := storetest.URL(); ok {
		return url
	}
	rdb := storetest.Embedded(t)
	return "redis://" + rdb.(*redis.Client).Options().Addr
}

// processState is what the app's metrics say of its process.
type processState struct {
	goroutines int
	liveHeap   int64         // bytes the last garbage collection found in use
	settledIn  time.Duration // how long after the call it was measured
}

// settled measures the app at rest, through its metrics listener (never
// the public one): it waits until the goroutine count has come down to
// that of ref (or, without ref, has stopped changing), then has the app
// collect garbage and reads the live heap that collection found.
//
// First the stand-in drops its connections, as CONNECT closes idle ones
// in its own time: the app's pool of connections to it (two goroutines
// each) is bounded, but not a thing to wait for.
//
// There is no debug endpoint to force a collection, and none is wanted
// on a production binary. A collection starts when the heap has grown by
// GOGC (100 %) since the last one, so settled sends the app cheap
// requests (GET /healthz) until the metrics show two more collections
// completed: the second started after settled did, so it saw only what
// is live now. go_gc_heap_live_bytes is the heap it found in use.
func (app *soakApp) settled(ref *processState) (processState, error) {
	app.standIn.CloseClientConnections()
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	last, stableSince := -1, time.Now()
	for {
		m, err := app.metrics()
		if err != nil {
			return processState{}, err
		}
		n := int(m["go_goroutines"])
		if n != last {
			last, stableSince = n, time.Now()
		}
		if (ref != nil && n <= ref.goroutines) || (ref == nil && time.Since(stableSince) >= time.Second) {
			break
		}
		if time.Now().After(deadline) {
			if ref == nil {
				return processState{}, fmt.Errorf("the app's goroutines did not settle within 60s (last %d)", n)
			}
			break // reported by the caller, against ref
		}
		time.Sleep(100 * time.Millisecond)
	}
	state := processState{goroutines: last, settledIn: time.Since(start)}

	m, err := app.metrics()
	if err != nil {
		return state, err
	}
	collections := m["go_gc_duration_seconds_count"]
	load := &http.Client{Timeout: 5 * time.Second}
	defer load.CloseIdleConnections()
	deadline = time.Now().Add(30 * time.Second)
	for m["go_gc_duration_seconds_count"] < collections+2 {
		if time.Now().After(deadline) {
			return state, errors.New("the app did not collect garbage within 30s of steady requests")
		}
		for range 500 {
			resp, err := load.Get(app.baseURL + "/healthz")
			if err != nil {
				return state, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if m, err = app.metrics(); err != nil {
			return state, err
		}
	}
	state.liveHeap = int64(m["go_gc_heap_live_bytes"])
	if state.liveHeap == 0 {
		return state, fmt.Errorf("the app's metrics have no go_gc_heap_live_bytes")
	}
	return state, nil
}

// metrics scrapes the app's metrics listener: series name -> value, for
// the series without labels.
func (app *soakApp) metrics() (map[string]float64, error) {
	resp, err := app.scraper.Get(app.metricsURL)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape metrics: %s", resp.Status)
	}
	values := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			values[name] = v
		}
	}
	return values, s.Err()
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
