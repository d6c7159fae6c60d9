package e2e

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// sessionSecret returns a SESSION_SECRET of its own for each run of the
// app: set, as a deployment sets it, rather than the random per-start
// secret of a bare development run, yet new each time. Session ids and the
// per-user session index are keyed with it in Redis, so sessions left in
// the test database by an earlier run, or by a run in parallel, are
// invisible to this one, and /sessions lists only this walk's browsers.
func sessionSecret() string {
	return "e2e-" + rand.Text() + rand.Text() // 4 + 2×26 characters, 2×130 random bits
}

// runningApp is the real program, started for one test.
type runningApp struct {
	baseURL    string // the app, e.g. http://localhost:41234
	standInURL string // the local CONNECT stand-in, e.g. http://localhost:41235
	logPath    string // the program's stdout and stderr
}

// moduleRoot is the directory of go.mod: the test runs in the package
// directory, one level down.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("module root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s has no go.mod: %v", root, err)
	}
	return root
}

// buildApp compiles the program once, as a partner would run it, so the
// test exercises main.go's wiring and not a test double of it.
func buildApp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "connect-sample")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	started := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the app in %s", time.Since(started).Round(time.Millisecond))
	return bin
}

// startApp runs the program bin with a test environment on free ports,
// waits until /readyz answers 200, and stops it when the test ends. Its
// output goes to app.log in dir.
func startApp(t *testing.T, ctx context.Context, bin, dir string) *runningApp {
	t.Helper()
	appPort, standInPort := appPorts(t)
	app := &runningApp{
		baseURL:    "http://localhost:" + appPort,
		standInURL: "http://localhost:" + standInPort,
		logPath:    filepath.Join(dir, "app.log"),
	}
	runApp(t, ctx, bin, app,
		"APP_LISTEN=127.0.0.1:"+appPort,
		"APP_BASE_URL="+app.baseURL,
		"LOCAL_CONNECT_URL="+app.standInURL,
	)
	return app
}

// runApp runs the program bin with addresses, the settings that place the
// app and the stand-in at app's URLs, and the test's own Redis and secret;
// it waits until /readyz answers 200 at app.baseURL, and stops the program
// when the test ends. Its output goes to app.logPath.
func runApp(t *testing.T, ctx context.Context, bin string, app *runningApp, addresses ...string) {
	t.Helper()
	logFile, err := os.Create(app.logPath)
	if err != nil {
		t.Fatalf("app log: %v", err)
	}
	t.Cleanup(func() { logFile.Close() })

	cmd := exec.Command(bin)
	// The working directory is empty, so a developer's .env in the
	// repository cannot change what the test runs against.
	cmd.Dir = t.TempDir()
	cmd.Env = append(environWithout(os.Environ(), appVariable), addresses...)
	cmd.Env = append(cmd.Env,
		"REDIS_URL="+chooseRedis(t),
		"SESSION_SECRET="+sessionSecret(),
		"LOCAL_CONNECT_ACCESS_TOKEN_TTL=2m",
		"LOG_LEVEL=debug",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the app: %v", err)
	}
	// exited is closed when the process ends, so both the readiness wait
	// and the clean-up can see it (a value sent once would be seen once,
	// and a clean-up after a failed start would wait for it forever).
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopApp(t, cmd, exited) })
	t.Logf("app log: %s", app.logPath)

	if err := waitReady(ctx, app.baseURL+"/readyz", exited, 20*time.Second); err != nil {
		select {
		case <-exited:
			err = fmt.Errorf("%w (%v)", err, exitErr)
		default:
		}
		t.Fatalf("the app did not become ready: %v\n--- app log ---\n%s", err, tail(app.logPath, 40))
	}
}

// stopApp ends the program as a container runtime would: SIGTERM, time
// for a graceful shutdown, then SIGKILL.
func stopApp(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Logf("SIGTERM the app: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Log("the app did not stop within 5s of SIGTERM; killing it")
		cmd.Process.Kill()
		<-exited
	}
}

// waitReady polls url until it answers 200, the process exits, or the
// timeout passes.
func waitReady(ctx context.Context, url string, exited <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err != nil {
			last = err.Error()
		} else {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = "GET /readyz = " + resp.Status
		}
		select {
		case <-exited:
			return errors.New("the app exited")
		case <-ctx.Done():
			return fmt.Errorf("%s: last: %s", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// chooseRedis returns the REDIS_URL for the app: the tests' Redis, else
// empty, so that the app runs on its own embedded Redis. REDIS_URL set
// but empty asks for that too.
func chooseRedis(t *testing.T) string {
	if url, set := os.LookupEnv("REDIS_URL"); set && url == "" {
		t.Log("sessions: the app's embedded Redis (REDIS_URL is set and empty)")
		return ""
	}
	url, ok := storetest.URL()
	if !ok {
		t.Log("sessions: the app's embedded Redis (no Redis answers on this machine)")
		return ""
	}
	t.Log("sessions: the tests' Redis")
	return url
}

// appVariable reports whether name is one of the app's settings, which
// the test sets itself or leaves unset (docs/DESIGN.md, "Configuration").
// PORT counts: with APP_LISTEN unset, the app listens on it.
func appVariable(name string) bool {
	if name == "PORT" {
		return true
	}
	for _, prefix := range []string{"CONNECT_", "APP_", "REDIS_", "SESSION_", "LOCAL_CONNECT_", "STEPUP_", "LOG_"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// environWithout returns env without the variables drop names.
func environWithout(env []string, drop func(name string) bool) []string {
	var kept []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !drop(name) {
			kept = append(kept, kv)
		}
	}
	return kept
}

// appPorts returns the ports for the app and the stand-in: those in
// E2E_PORTS ("8081,8082", so screenshots for the documentation show the
// default URLs), else two free ports from the kernel. Each is checked
// free on the interfaces its server listens on: the app on loopback, the
// stand-in on every interface (main.go).
func appPorts(t *testing.T) (app, standIn string) {
	t.Helper()
	want := []string{"0", "0"}
	if fixed := os.Getenv("E2E_PORTS"); fixed != "" {
		a, s, ok := strings.Cut(fixed, ",")
		if !ok {
			t.Fatalf("E2E_PORTS=%q: want two ports, app first, like 8081,8082", fixed)
		}
		want = []string{strings.TrimSpace(a), strings.TrimSpace(s)}
	}
	var ports []string
	for i, host := range []string{"127.0.0.1", ""} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, want[i]))
		if err != nil {
			t.Fatalf("port for the %s: %v", []string{"app", "stand-in"}[i], err)
		}
		// Held open until both are chosen, so two free ports differ.
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports[0], ports[1]
}

// tail returns the last n lines of the file at path, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
