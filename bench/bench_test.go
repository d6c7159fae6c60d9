// Package bench is the load benchmark of the sample app. It builds the real
// binary, starts it with the CONNECT stand-in on free loopback ports, and
// drives it over HTTP the way a browser does:
//
//	go test -run XXX -bench . -benchmem ./bench/
//
// Plain `go test ./...` runs no benchmark, so it never builds or starts
// anything here. README.md says what each benchmark measures and holds
// the latest results.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// sample is the app under test. It is package state because it must
// outlive every benchmark: the first benchmark that needs it starts it
// (so a run without -bench starts nothing), and TestMain stops it.
var sample sampleApp

func TestMain(m *testing.M) {
	code := m.Run()
	if err := sample.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		code = 1
	}
	os.Exit(code)
}

// BenchmarkHomeAnonymous is GET / without a session cookie: templates and
// middleware only, since a visitor without a cookie costs Redis nothing.
func BenchmarkHomeAnonymous(b *testing.B) {
	app := startSample(b)
	v := newVisitor(app.baseURL, newTransport(b))
	// scs sets a cookie only when it saves a session; none here means
	// the page really was served without one.
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

// BenchmarkProtectedPage is GET /protected with a session: one Redis read
// to load it and one write to push its idle timeout on.
func BenchmarkProtectedPage(b *testing.B) {
	app := startSample(b)
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
// lives an hour (LOCAL_CONNECT_ACCESS_TOKEN_TTL), so nothing is refreshed.
func BenchmarkProfile(b *testing.B) {
	app := startSample(b)
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
// token signed by the stand-in and checked by the app, session created in
// Redis), and the protected page it lands on. Each iteration has an empty
// cookie jar, so the stand-in has no SSO session and shows its page.
func BenchmarkLogin(b *testing.B) {
	app := startSample(b)
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
	app := startSample(b)
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

// sampleApp is the running binary: the app on one port, the stand-in on
// another.
type sampleApp struct {
	once    sync.Once
	err     error
	dir     string // the binary, and the working directory it runs in
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has ended
	log     *tailBuffer   // the end of its log, for error messages
	baseURL string
	redis   string // what the app was given as REDIS_URL, "" for memory
}

// startSample returns the running app, building and starting it on the
// first call.
func startSample(b *testing.B) *sampleApp {
	b.Helper()
	if testing.Short() {
		b.Skip("skipped with -short: the benchmark builds and starts the whole app")
	}
	sample.once.Do(func() {
		sample.err = sample.start()
		if sample.err == nil {
			where := "sessions in memory (no Redis answered; set REDIS_URL to use one)"
			if sample.redis != "" {
				where = "sessions in Redis at " + sample.redis
			}
			b.Logf("app at %s, %s", sample.baseURL, where)
		}
	})
	if sample.err != nil {
		b.Fatal(sample.err)
	}
	return &sample
}

// sessionSecret is fixed so that the app logs no warning about a random
// one; it protects nothing but this benchmark's throwaway sessions.
const sessionSecret = "benchmark-only-session-secret-not-for-real-use!!"

func (app *sampleApp) start() error {
	dir, err := os.MkdirTemp("", "connect-sample-bench-")
	if err != nil {
		return err
	}
	app.dir = dir
	bin := filepath.Join(dir, "connect-sample")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}

	appPort, standInPort, err := freePorts()
	if err != nil {
		return err
	}
	app.baseURL = "http://localhost:" + appPort
	app.redis = benchRedisURL()
	app.log = &tailBuffer{max: 64 << 10}
	app.cmd = exec.Command(bin)
	// Its own directory, so a developer's .env in the module root (which
	// might name a real CONNECT) is not read; and only these variables.
	app.cmd.Dir = dir
	app.cmd.Env = []string{
		"APP_LISTEN=127.0.0.1:" + appPort,
		"APP_BASE_URL=" + app.baseURL,
		"LOCAL_CONNECT_URL=http://localhost:" + standInPort,
		"REDIS_URL=" + app.redis,
		"SESSION_SECRET=" + sessionSecret,
		// One log line per request at info would cost more than some pages.
		"LOG_LEVEL=warn",
		// Long enough that no page view refreshes the token mid-benchmark.
		"LOCAL_CONNECT_ACCESS_TOKEN_TTL=1h",
		// The logins leave sessions behind in Redis; let them go within the hour.
		"SESSION_LIFETIME=1h",
	}
	app.cmd.Stdout, app.cmd.Stderr = app.log, app.log
	if err := app.cmd.Start(); err != nil {
		return err
	}
	app.exited = make(chan struct{})
	go func() { app.cmd.Wait(); close(app.exited) }()
	return app.waitReady(30 * time.Second)
}

// waitReady polls /readyz until it answers 200: Redis answers and the
// app has loaded the stand-in's discovery document.
func (app *sampleApp) waitReady(timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(app.baseURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-app.exited:
			return fmt.Errorf("the app exited at start-up (%v); its log:\n%s", app.cmd.ProcessState, app.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /readyz: %v after %s; the app's log:\n%s", err, timeout, app.log)
		}
	}
}

// stop ends the app as docker stop would, with SIGTERM, and checks that it
// shut down cleanly.
func (app *sampleApp) stop() error {
	if app.dir != "" {
		defer os.RemoveAll(app.dir)
	}
	if app.exited == nil {
		return nil // never started
	}
	if err := app.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		app.cmd.Process.Kill() // no SIGTERM on Windows
	}
	select {
	case <-app.exited:
	case <-time.After(15 * time.Second):
		app.cmd.Process.Kill()
		<-app.exited
		return fmt.Errorf("the app did not stop within 15s of SIGTERM; its log:\n%s", app.log)
	}
	if !app.cmd.ProcessState.Success() {
		return fmt.Errorf("the app ended with %v; its log:\n%s", app.cmd.ProcessState, app.log)
	}
	return nil
}

// measure starts the clock after a benchmark's set-up and returns the
// function to call after its loop, which reports unit (say, req/s) and the
// CPU time the app's process spent per operation, where /proc tells it.
// The app's CPU includes the stand-in's, which runs in the same process.
func (app *sampleApp) measure(b *testing.B, unit string) (done func()) {
	b.ResetTimer()
	cpuBefore, ok := cpuTime(app.cmd.Process.Pid)
	return func() {
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
		if cpuAfter, ok2 := cpuTime(app.cmd.Process.Pid); ok && ok2 {
			b.ReportMetric(float64(cpuAfter-cpuBefore)/float64(b.N), "app-cpu-ns/op")
		}
	}
}

// loggedIn returns a visitor who has just logged in.
func (app *sampleApp) loggedIn(b *testing.B) *visitor {
	b.Helper()
	v := newVisitor(app.baseURL, newTransport(b))
	if err := v.logIn(); err != nil {
		b.Fatalf("%v\nthe app's log:\n%s", err, app.log)
	}
	return v
}

// newTransport keeps enough idle connections that each goroutine of a
// parallel benchmark reuses its own, so the numbers are not dominated by
// new TCP connections.
func newTransport(b *testing.B) *http.Transport {
	t := &http.Transport{MaxIdleConns: 100, MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}
	b.Cleanup(t.CloseIdleConnections)
	return t
}

// visitor is one browser: a cookie jar, and redirects followed one at a
// time so that each hop's status is checked, as in handlers/site_test.go.
type visitor struct {
	client  *http.Client
	baseURL string
}

func newVisitor(baseURL string, transport http.RoundTripper) *visitor {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &visitor{baseURL: baseURL, client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get fetches one of the app's pages and checks its status.
func (v *visitor) get(path string, want int) error {
	_, err := v.send(http.MethodGet, v.baseURL+path, nil, want, io.Discard)
	return err
}

// cookiesFrom fetches one of the app's pages and returns the cookies it sets.
func (v *visitor) cookiesFrom(path string) ([]*http.Cookie, error) {
	resp, err := v.client.Get(v.baseURL + path)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp.Cookies(), nil
}

// send makes one request (a form POST when form is not nil), copies the
// body to body, and checks the status. It returns the Location header,
// resolved against the request's URL.
func (v *visitor) send(method, rawURL string, form url.Values, want int, body io.Writer) (location string, err error) {
	var reqBody io.Reader
	if form != nil {
		reqBody = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, reqBody)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(body, resp.Body); err != nil {
		return "", fmt.Errorf("%s %s: reading the body: %w", method, rawURL, err)
	}
	if resp.StatusCode != want {
		return "", fmt.Errorf("%s %s = %d, want %d", method, rawURL, resp.StatusCode, want)
	}
	loc, err := resp.Location()
	if errors.Is(err, http.ErrNoLocation) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return loc.String(), nil
}

var requestIDField = regexp.MustCompile(`name="request_id"[^>]*value="([^"]+)"`)

// benchUser is the stand-in's test user the benchmark logs in as: Lars,
// whom no test uses. The tests share Redis with the benchmark, and a
// back-channel logout naming only a user ends every session of that user
// there; with a user of its own, neither ends the other's sessions.
func benchUser() localconnect.User { return localconnect.DefaultUsers()[3] }

// logIn walks the whole login from /login to the protected page as
// benchUser, without "Stay signed in".
func (v *visitor) logIn() error {
	authorize, err := v.send(http.MethodGet, v.baseURL+"/login?return_to=/protected", nil, http.StatusFound, io.Discard)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if _, err := v.send(http.MethodGet, authorize, nil, http.StatusOK, &page); err != nil {
		return fmt.Errorf("stand-in login page: %w", err)
	}
	m := requestIDField.FindSubmatch(page.Bytes())
	if m == nil {
		return fmt.Errorf("the stand-in's login page has no request_id field:\n%s", page.Bytes())
	}
	user := benchUser()
	form := url.Values{"request_id": {string(m[1])}, "user": {user.Sub}, "action": {"login"}}
	formURL, err := url.Parse(authorize)
	if err != nil {
		return err
	}
	formURL.RawQuery = "" // the form posts back to the authorization endpoint
	callback, err := v.send(http.MethodPost, formURL.String(), form, http.StatusFound, io.Discard)
	if err != nil {
		return fmt.Errorf("stand-in login form: %w", err)
	}
	landing, err := v.send(http.MethodGet, callback, nil, http.StatusSeeOther, io.Discard)
	if err != nil {
		return fmt.Errorf("callback: %w", err)
	}
	page.Reset()
	if _, err := v.send(http.MethodGet, landing, nil, http.StatusOK, &page); err != nil {
		return err
	}
	if !bytes.Contains(page.Bytes(), []byte(user.Name)) {
		return fmt.Errorf("the page after login, %s, does not name %s:\n%s", landing, user.Name, page.Bytes())
	}
	return nil
}

// benchRedisURL is the Redis the tests use (see store/storetest): the one
// REDIS_URL names, else database 15 of a local server if one answers, else
// none, and the app keeps sessions in memory.
func benchRedisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	const local = "redis://127.0.0.1:6379/15"
	opts, err := redis.ParseURL(local)
	if err != nil {
		panic(err) // a constant
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if rdb.Ping(ctx).Err() != nil {
		return ""
	}
	return local
}

// freePorts returns two loopback ports that are free now. Both are held
// open while the second is chosen, so they differ.
func freePorts() (string, string, error) {
	var ports []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", err
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports[0], ports[1], nil
}

// cpuTime is the user plus system CPU time process pid has used so far,
// from /proc; ok is false where there is none (macOS, Windows).
func cpuTime(pid int) (d time.Duration, ok bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// Field 2, the command name, is in parentheses and may hold spaces, so
	// count from the last ")": utime and stime are fields 14 and 15.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// In clock ticks: USER_HZ, 100 on every Linux Go runs on.
	return time.Duration(utime+stime) * (time.Second / 100), true
}

// tailBuffer keeps the last max bytes written to it: the app's log, for
// error messages, without growing through a long run.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
