package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// freePort returns a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

// syncBuffer is the program's stderr, written by its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func TestRun(t *testing.T) {
	t.Chdir(t.TempDir()) // no developer's .env

	t.Run("a bad setting stops start-up with one line naming it", func(t *testing.T) {
		err := run(context.Background(), []string{"connect-sample"}, env(map[string]string{"SESSION_IDLE_TIMEOUT": "soon"}), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), "config: SESSION_IDLE_TIMEOUT:") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("run = %v, want one line naming SESSION_IDLE_TIMEOUT", err)
		}
	})

	appPort, standInPort, metricsPort := freePort(t), freePort(t), freePort(t)
	// No APP_BASE_URL: it follows APP_LISTEN, and the app must be found
	// where the start-up line says.
	baseURL := "http://localhost:" + strconv.Itoa(appPort)
	vars := map[string]string{
		"APP_LISTEN":        "127.0.0.1:" + strconv.Itoa(appPort),
		"LOCAL_CONNECT_URL": "http://localhost:" + strconv.Itoa(standInPort),
		"METRICS_LISTEN":    "127.0.0.1:" + strconv.Itoa(metricsPort),
	}
	ctx, stop := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"connect-sample"}, env(vars), stdout, stderr) }()
	t.Cleanup(stop)

	t.Run("it starts the app and the stand-in, and becomes ready", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(baseURL + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz not 200 after 10s: %v\n%s", err, stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if want := "open " + baseURL + "\n"; stdout.String() != want {
			t.Errorf("start-up printed %q on stdout, want the plain line %q: APP_LISTEN's port, where the app answers", stdout.String(), want)
		}
		for _, warning := range []string{"CONNECT_ISSUER is not set", "REDIS_URL is not set", "SESSION_SECRET is not set"} {
			if !strings.Contains(stderr.String(), warning) {
				t.Errorf("start-up log lacks the warning %q", warning)
			}
		}
	})

	t.Run("the healthcheck subcommand asks the running app", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"connect-sample", "healthcheck"}, env(vars), &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("healthcheck = %v, want success", err)
		}
		if out.String() != "healthy\n" {
			t.Errorf("healthcheck printed %q, want %q", out.String(), "healthy\n")
		}
	})

	t.Run("metrics are served on METRICS_LISTEN, and only there", func(t *testing.T) {
		resp, err := http.Get("http://" + vars["METRICS_LISTEN"] + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "connect_sample_logins_started_total") {
			t.Errorf("GET /metrics on METRICS_LISTEN = %d, want 200 with the app's counters", resp.StatusCode)
		}
		resp, err = http.Get(baseURL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the site = %d, want 404", resp.StatusCode)
		}
	})

	t.Run("a port already in use stops a second start at once", func(t *testing.T) {
		err := run(context.Background(), []string{"connect-sample"}, env(map[string]string{
			"APP_LISTEN":        vars["APP_LISTEN"],
			"LOCAL_CONNECT_URL": "http://localhost:" + strconv.Itoa(freePort(t)),
		}), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), "APP_LISTEN "+vars["APP_LISTEN"]+": the port is in use") {
			t.Fatalf("second run = %v, want the busy port of APP_LISTEN", err)
		}
	})

	t.Run("cancelling the context shuts down gracefully", func(t *testing.T) {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run returned %v after shutdown, want nil", err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("run did not return within 15s of cancellation")
		}
		var out bytes.Buffer
		if err := run(context.Background(), []string{"connect-sample", "healthcheck"}, env(vars), &out, &bytes.Buffer{}); err == nil {
			t.Error("healthcheck succeeded after shutdown, want failure")
		}
	})
}

// TestRunSaysWhichSettingMovesABusyPort occupies each port the program
// listens on in turn: start-up must stop with one line that names the
// setting to change, not a bare "address already in use".
func TestRunSaysWhichSettingMovesABusyPort(t *testing.T) {
	t.Chdir(t.TempDir()) // no developer's .env

	tests := []struct {
		name string
		// vars gets the occupied port as busy and free ports as free1, free2.
		vars     func(busy, free1, free2 string) map[string]string
		wantLine func(busy string) string
	}{
		{"the app's port names APP_LISTEN, and PORT",
			func(busy, free1, _ string) map[string]string {
				return map[string]string{"APP_LISTEN": "127.0.0.1:" + busy, "LOCAL_CONNECT_URL": "http://localhost:" + free1}
			},
			func(busy string) string {
				return "APP_LISTEN 127.0.0.1:" + busy + ": the port is in use by another program; set APP_LISTEN (or PORT) to a free one"
			}},
		{"the stand-in's port names LOCAL_CONNECT_URL, whose port it listens on",
			func(busy, free1, _ string) map[string]string {
				return map[string]string{"APP_LISTEN": "127.0.0.1:" + free1, "LOCAL_CONNECT_URL": "http://localhost:" + busy}
			},
			func(busy string) string {
				return "LOCAL_CONNECT_URL http://localhost:" + busy + ": the port is in use by another program; set LOCAL_CONNECT_URL's port to a free one"
			}},
		{"the stand-in's port names LOCAL_CONNECT_LISTEN when that is set",
			func(busy, free1, _ string) map[string]string {
				return map[string]string{"APP_LISTEN": "127.0.0.1:" + free1, "LOCAL_CONNECT_URL": "http://localhost:" + busy, "LOCAL_CONNECT_LISTEN": "127.0.0.1:" + busy}
			},
			func(busy string) string {
				return "LOCAL_CONNECT_LISTEN 127.0.0.1:" + busy + ": the port is in use by another program; set LOCAL_CONNECT_LISTEN (and LOCAL_CONNECT_URL's port) to a free one"
			}},
		{"the metrics port names METRICS_LISTEN",
			func(busy, free1, free2 string) map[string]string {
				return map[string]string{"APP_LISTEN": "127.0.0.1:" + free1, "LOCAL_CONNECT_URL": "http://localhost:" + free2, "METRICS_LISTEN": "127.0.0.1:" + busy}
			},
			func(busy string) string {
				return "METRICS_LISTEN 127.0.0.1:" + busy + ": the port is in use by another program; set METRICS_LISTEN to a free one"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			occupant, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer occupant.Close()
			busy := strconv.Itoa(occupant.Addr().(*net.TCPAddr).Port)
			vars := tt.vars(busy, strconv.Itoa(freePort(t)), strconv.Itoa(freePort(t)))

			var stdout bytes.Buffer
			err = run(t.Context(), []string{"connect-sample"}, env(vars), &stdout, &bytes.Buffer{})
			if err == nil {
				t.Fatal("run succeeded on a busy port, want an error")
			}
			if got, want := err.Error(), tt.wantLine(busy); got != want {
				t.Errorf("run = %q\nwant    %q", got, want)
			}
			if stdout.Len() != 0 {
				t.Errorf("a failed start printed %q, want nothing: there is nothing to open", stdout.String())
			}
		})
	}
}
