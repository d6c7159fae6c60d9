package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// The start-up code every benchmark shares: the Redis, the app's process
// with its stand-in, the floor server. Nothing starts until a benchmark
// asks for it, so plain `go test ./...` builds and starts nothing here.

// sessionSecret is the app's SESSION_SECRET, fixed so that the sessions
// the benchmark writes itself (sessions_test.go) are ones the app can
// read. It protects nothing but this benchmark's throwaway sessions.
const sessionSecret = "benchmark-only-session-secret-not-for-real-use!!"

// The app's client registration at the stand-in.
const (
	benchClientID     = "bench-app"
	benchClientSecret = "bench-client-secret"
)

// environment is what the benchmarks share: started by the first one
// that needs it, stopped by TestMain.
type environment struct {
	once sync.Once
	err  error

	dir       string // binaries, and the app's working directory
	appBinary string
	builtHere bool // appBinary was built from this checkout, not named by BENCH_APP_BINARY
	redis     *benchRedis
	app       *appProcess
	loadAvg   string // /proc/loadavg when the environment started

	redisDescription string

	floorOnce sync.Once
	floor     *floorProcess
	floorErr  error

	mu    sync.Mutex
	stops []func() error // run last first by stop
}

var shared environment

// setUp returns the shared environment, starting it on the first call.
func setUp(b *testing.B) *environment {
	b.Helper()
	if testing.Short() {
		b.Skip("skipped with -short: the benchmark builds and starts the whole app")
	}
	shared.once.Do(func() {
		shared.err = shared.start()
		if shared.err == nil {
			b.Logf("app at %s (%s); %s", shared.app.baseURL, shared.binaryDescription(), shared.redisDescription)
		}
	})
	if shared.err != nil {
		b.Fatal(shared.err)
	}
	return &shared
}

func (env *environment) start() error {
	env.loadAvg = loadAverage()
	dir, err := os.MkdirTemp("", "connect-sample-bench-")
	if err != nil {
		return err
	}
	env.dir = dir
	env.onStop(func() error { return os.RemoveAll(dir) })

	env.appBinary = os.Getenv("BENCH_APP_BINARY")
	if env.appBinary == "" {
		env.builtHere = true
		env.appBinary = filepath.Join(dir, "connect-sample")
		if err := goBuild(env.appBinary, "."); err != nil {
			return err
		}
	} else if env.appBinary, err = filepath.Abs(env.appBinary); err != nil {
		return err
	}

	if env.redis, err = startBenchRedis(dir); err != nil {
		return err
	}
	env.onStop(env.redis.stop)
	env.redisDescription = env.redis.description()
	if env.app, err = env.startApp(env.redis.url); err != nil {
		return err
	}
	env.onStop(env.app.stop)
	return nil
}

// onStop registers f to run when the environment stops.
func (env *environment) onStop(f func() error) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.stops = append(env.stops, f)
}

// stop ends everything the environment started, newest first.
func (env *environment) stop() error {
	env.mu.Lock()
	defer env.mu.Unlock()
	var errs []error
	for i := len(env.stops) - 1; i >= 0; i-- {
		errs = append(errs, env.stops[i]())
	}
	env.stops = nil
	return errors.Join(errs...)
}

func (env *environment) binaryDescription() string {
	if env.builtHere {
		return "built from this checkout" + gitDescription()
	}
	return "BENCH_APP_BINARY=" + env.appBinary
}

// startFloor returns the floor server, starting it on the first call with
// a page of pageBytes.
func (env *environment) startFloor(pageBytes int) (*floorProcess, error) {
	env.floorOnce.Do(func() {
		bin := filepath.Join(env.dir, "floor")
		if env.floorErr = goBuild(bin, "./bench/floor"); env.floorErr != nil {
			return
		}
		env.floor, env.floorErr = startFloor(bin, env.dir, env.redis.url, pageBytes)
		if env.floorErr == nil {
			env.onStop(env.floor.stop)
		}
	})
	return env.floor, env.floorErr
}

// goBuild builds package pkg of this module into bin, as a partner would.
func goBuild(bin, pkg string) error {
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// appProcess is the app's binary running against a stand-in in this
// process: the app's CPU time, read from /proc, is then the app's alone,
// without the stand-in's RSA signing, which real CONNECT does on its own
// servers.
type appProcess struct {
	*process
	baseURL string
	standIn *localconnect.Server
}

// startApp starts the app's binary on a free loopback port, with a
// stand-in of its own in this process, sessions in the Redis at redisURL.
// The caller stops it.
func (env *environment) startApp(redisURL string) (*appProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	baseURL := "http://localhost:" + port
	standIn, issuer, err := env.startStandIn(baseURL)
	if err != nil {
		return nil, err
	}
	p, err := startProcess("the app", env.appBinary, env.dir, []string{
		"APP_LISTEN=127.0.0.1:" + port,
		"APP_BASE_URL=" + baseURL,
		"CONNECT_ISSUER=" + issuer,
		"CONNECT_CLIENT_ID=" + benchClientID,
		"CONNECT_CLIENT_SECRET=" + benchClientSecret,
		"REDIS_URL=" + redisURL,
		"SESSION_SECRET=" + sessionSecret,
		// A log line per request at info would cost more than some pages.
		"LOG_LEVEL=error",
		// On a shared Redis, the sessions the logins leave go within the hour.
		"SESSION_LIFETIME=1h",
		// Thousands of logins a minute from one address are the point here.
		"RATE_LIMIT_PER_ADDRESS=1000000000",
		"RATE_LIMIT_REFRESH=1000000000",
	})
	if err != nil {
		return nil, err
	}
	app := &appProcess{process: p, baseURL: baseURL, standIn: standIn}
	if err := app.waitReady(baseURL+"/readyz", 30*time.Second); err != nil {
		p.cmd.Process.Kill()
		return nil, err
	}
	return app, nil
}

// startStandIn runs a CONNECT stand-in in this process, on a free
// loopback port, with the app at appURL registered as a confidential
// client. Its access tokens live an hour, so no page view of a benchmark
// refreshes one. It is stopped with the environment.
func (env *environment) startStandIn(appURL string) (*localconnect.Server, string, error) {
	srv := httptest.NewServer(nil)
	issuer := srv.URL + "/oauth"
	standIn, err := localconnect.New(localconnect.Options{
		Issuer: issuer,
		Clients: []localconnect.Client{{
			ID:                     benchClientID,
			Secret:                 benchClientSecret,
			RedirectURIs:           []string{appURL + "/connect/oauth2callback"},
			PostLogoutRedirectURIs: []string{appURL + "/connect/logoutcallback"},
			BackchannelLogoutURI:   appURL + "/connect/backchannellogout",
		}},
		AccessTokenTTL: time.Hour,
	})
	if err != nil {
		srv.Close()
		return nil, "", err
	}
	srv.Config.Handler = standIn
	env.onStop(func() error { srv.Close(); return nil })
	return standIn, issuer, nil
}

// floorProcess is bench/floor: one Redis GET and a page, nothing else.
type floorProcess struct {
	*process
	baseURL string
}

func startFloor(bin, dir, redisURL string, pageBytes int) (*floorProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	p, err := startProcess("the floor", bin, dir, []string{"REDIS_URL=" + redisURL},
		"-listen", "127.0.0.1:"+port, "-page-bytes", strconv.Itoa(pageBytes))
	if err != nil {
		return nil, err
	}
	f := &floorProcess{process: p, baseURL: "http://localhost:" + port}
	if err := f.waitReady(f.baseURL+"/", 10*time.Second); err != nil {
		p.cmd.Process.Kill()
		return nil, err
	}
	return f, nil
}

// process is a program the benchmark started: the app, the floor, a
// redis-server.
type process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when it has ended
	log    *tailBuffer   // the end of its output, for error messages
}

// startProcess runs bin in dir with exactly env, so that a developer's
// variables (and .env file, which might name a real CONNECT) stay out of
// the app; nil env passes on the benchmark's own, for redis-server, which
// reads none.
func startProcess(name, bin, dir string, env []string, args ...string) (*process, error) {
	p := &process{name: name, cmd: exec.Command(bin, args...), log: &tailBuffer{max: 64 << 10}, exited: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// waitReady polls url until it answers 200.
func (p *process) waitReady(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited at start-up (%v); its output:\n%s", p.name, p.cmd.ProcessState, p.log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET %s: %v after %s; the output of %s:\n%s", url, err, timeout, p.name, p.log)
		}
	}
}

// stop ends the process as docker stop would, with SIGTERM, and checks
// that it shut down cleanly.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s had ended already (%v); its output:\n%s", p.name, p.cmd.ProcessState, p.log)
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.cmd.Process.Kill() // no SIGTERM on Windows
	}
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within 15s of SIGTERM; its output:\n%s", p.name, p.log)
	}
	if !p.cmd.ProcessState.Success() {
		return fmt.Errorf("%s ended with %v; its output:\n%s", p.name, p.cmd.ProcessState, p.log)
	}
	return nil
}

// cpuTime is the user plus system CPU time the process has used so far;
// ok is false where /proc does not tell (macOS, Windows).
func (p *process) cpuTime() (time.Duration, bool) {
	return cpuTime(p.cmd.Process.Pid)
}

// cpuTime is the user plus system CPU time process pid has used so far,
// from /proc/<pid>/stat.
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

// freePort returns a loopback port that is free now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// tailBuffer keeps the last max bytes written to it: a process's output,
// for error messages, without growing through a long run.
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

// loadAverage is the first three fields of /proc/loadavg, or "unknown".
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(raw)); err == nil && len(fields) >= 3 {
		return strings.Join(fields[:3], " ")
	}
	return "unknown"
}

// gitDescription is ", commit <hash>" of this checkout (with -dirty when
// it has changes), or nothing outside a git checkout.
func gitDescription() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return ", commit " + strings.TrimSpace(string(out))
}
