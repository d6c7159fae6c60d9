package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestCheckCommand runs `connect-sample check` as a partner does, with the
// stand-in started in the process.
func TestCheckCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // no developer's .env
	check := func(t *testing.T, vars map[string]string) (string, error) {
		t.Helper()
		vars["LOCAL_CONNECT_URL"] = "http://localhost:" + strconv.Itoa(freePort(t))
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"connect-sample", "check"}, env(vars), &stdout, &stderr)
		return stdout.String(), err
	}

	t.Run("with the defaults every line is ✓ or a note, and it exits 0", func(t *testing.T) {
		out, err := check(t, map[string]string{})
		if err != nil {
			t.Fatalf("check = %v, want success:\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line != "" && !strings.HasPrefix(line, "✓ ") && !strings.HasPrefix(line, "i ") && !strings.HasPrefix(line, "Nothing to fix") {
				t.Errorf("line %q is neither ✓ nor a note", line)
			}
		}
		for _, want := range []string{"✓ The redirect URI http://localhost:8081/connect/oauth2callback is registered", "✓ The token endpoint accepts sample-web", "Nothing to fix"} {
			if !strings.Contains(out, want) {
				t.Errorf("check printed no %q:\n%s", want, out)
			}
		}
	})

	for _, tt := range []struct {
		fault, want string
	}{
		{"issuer", "✗ Discovery's issuer is http://localhost:"},
		{"clock", "✗ CONNECT's clock is"}, // 300 seconds, give or take the Date's rounding
		{"scope", "✗ Discovery's scopes_supported lacks phone"},
	} {
		t.Run("a stand-in started with LOCAL_CONNECT_FAULTS="+tt.fault+" fails it", func(t *testing.T) {
			out, err := check(t, map[string]string{"LOCAL_CONNECT_FAULTS": tt.fault})
			if err == nil {
				t.Errorf("check = nil, want an error for a non-zero exit")
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("check printed no %q:\n%s", tt.want, out)
			}
		})
	}

	t.Run("a stand-in without revocation and end-session passes, with two notes", func(t *testing.T) {
		out, err := check(t, map[string]string{"LOCAL_CONNECT_FAULTS": "no_revocation,no_end_session"})
		if err != nil {
			t.Fatalf("check = %v, want success:\n%s", err, out)
		}
		for _, want := range []string{"i Discovery lists no revocation endpoint", "i Discovery lists no end-session endpoint"} {
			if !strings.Contains(out, want) {
				t.Errorf("check printed no %q:\n%s", want, out)
			}
		}
	})

	t.Run("a bad setting is a ✗ line, and the check goes on", func(t *testing.T) {
		out, err := check(t, map[string]string{"SESSION_IDLE_TIMEOUT": "soon", "SESSION_SECRET": strings.Repeat("ab", 20)})
		if err == nil {
			t.Errorf("check = nil, want an error for a non-zero exit")
		}
		for _, want := range []string{
			`✗ SESSION_IDLE_TIMEOUT: must be a duration such as 90s, 30m or 12h, got "soon"`,
			"✗ SESSION_SECRET has only 2 different bytes",
			"✓ Discovery answers",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("check printed no %q:\n%s", want, out)
			}
		}
	})

	t.Run("with the app already running, it asks the app's stand-in", func(t *testing.T) {
		port := strconv.Itoa(freePort(t))
		taken, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err != nil {
			t.Fatal(err)
		}
		defer taken.Close()
		go http.Serve(taken, http.NotFoundHandler()) // answers at once: no waiting for a timeout
		var stdout bytes.Buffer
		run(context.Background(), []string{"connect-sample", "check"},
			env(map[string]string{"LOCAL_CONNECT_URL": "http://localhost:" + port}), &stdout, &bytes.Buffer{})
		if !strings.Contains(stdout.String(), "the stand-in's port is taken") {
			t.Errorf("check did not say it used the stand-in already on the port:\n%s", stdout.String())
		}
	})
}
