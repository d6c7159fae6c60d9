package localconnect

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// logoutReceiver is a client's back-channel logout endpoint that keeps the
// logout tokens it receives.
type logoutReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
	status int
}

func newLogoutReceiver(t *testing.T, status int) *logoutReceiver {
	rcv := &logoutReceiver{status: status}
	rcv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "want a form POST", http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		rcv.tokens = append(rcv.tokens, r.PostFormValue("logout_token"))
		rcv.mu.Unlock()
		w.WriteHeader(rcv.status)
	}))
	t.Cleanup(rcv.Close)
	return rcv
}

func (rcv *logoutReceiver) received() []string {
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return append([]string(nil), rcv.tokens...)
}

// withBackchannel registers rcv as the confidential client's back-channel
// logout URI.
func withBackchannel(rcv *logoutReceiver) func(*Options) {
	return func(o *Options) {
		for i := range o.Clients {
			if o.Clients[i].ID == confidentialClient {
				o.Clients[i].BackchannelLogoutURI = rcv.URL + "/connect/backchannellogout"
			}
		}
	}
}

func TestBackchannelLogout(t *testing.T) {
	ends := []struct {
		name string
		end  func(e *testEnv, sid string, idToken string)
	}{
		{"EndSession", func(e *testEnv, sid, _ string) {
			if err := e.srv.EndSession(sid); err != nil {
				e.t.Fatalf("EndSession: %v", err)
			}
		}},
		{"the logout endpoint", func(e *testEnv, _, idToken string) {
			e.get("/oauth/logout", url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {postLogoutRedirect}}).location(e.t)
		}},
		{"the sessions page", func(e *testEnv, sid, _ string) {
			resp := e.post("/oauth/sessions/end", url.Values{"sid": {sid}}, nil)
			if resp.status != http.StatusSeeOther {
				e.t.Fatalf("POST /oauth/sessions/end = %d, want 303", resp.status)
			}
		}},
	}
	for _, tt := range ends {
		t.Run("a session ended by "+tt.name+" sends a valid logout token to clients that got tokens in it", func(t *testing.T) {
			rcv := newLogoutReceiver(t, http.StatusOK)
			e := newTestEnv(t, withBackchannel(rcv))
			reply := e.codeFlow(confidentialClient, nil)
			e.codeFlow(publicClient, nil) // same session, no back-channel URI
			sid := e.idTokenClaims(reply)["sid"].(string)

			tt.end(e, sid, reply.IDToken)

			tokens := rcv.received()
			if len(tokens) != 1 {
				t.Fatalf("receiver got %d logout tokens, want 1", len(tokens))
			}
			header, claims := e.verifyJWT(tokens[0])
			if header.Algorithm != "RS256" || header.KeyID == "" {
				t.Errorf("logout token alg=%q kid=%q, want RS256 and a kid", header.Algorithm, header.KeyID)
			}
			if typ := header.ExtraHeaders["typ"]; typ != "logout+jwt" {
				t.Errorf("logout token typ = %v, want logout+jwt", typ)
			}
			iat, _ := claims["iat"].(float64)
			exp, _ := claims["exp"].(float64)
			if claims["iss"] != e.srv.Issuer() || claims["sid"] != sid || claims["sub"] != kari.Sub ||
				iat != float64(e.clock.now().Unix()) || exp != iat+120 {
				t.Errorf("logout token claims %v, want iss, sid %s, sub %s, iat now, exp iat+120", claims, sid, kari.Sub)
			}
			if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != confidentialClient {
				t.Errorf("aud = %v, want [%s]", claims["aud"], confidentialClient)
			}
			events, _ := claims["events"].(map[string]any)
			if _, ok := events[backchannelLogoutEvent]; !ok {
				t.Errorf("events = %v, want the back-channel logout event", claims["events"])
			}
			if jti, _ := claims["jti"].(string); jti == "" {
				t.Error("logout token has no jti")
			}
			if _, ok := claims["nonce"]; ok {
				t.Error("logout token has a nonce")
			}

			recorded := e.srv.Requests("backchannel")
			if len(recorded) != 1 || recorded[0].Form.Get("logout_token") != tokens[0] ||
				recorded[0].Path != rcv.URL+"/connect/backchannellogout" {
				t.Errorf("Requests(backchannel) = %+v, want the one POST with its logout_token", recorded)
			}
			if got := e.silentLogin(publicClient).Get("error"); got != "login_required" {
				t.Errorf("prompt=none after the session ended: error = %q, want login_required", got)
			}
		})
	}

	t.Run("a client that got no tokens in the session is not told", func(t *testing.T) {
		rcv := newLogoutReceiver(t, http.StatusOK)
		e := newTestEnv(t, withBackchannel(rcv))
		sid := e.idTokenClaims(e.codeFlow(publicClient, nil))["sid"].(string)
		if err := e.srv.EndSession(sid); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.received()); n != 0 || e.srv.Count("backchannel") != 0 {
			t.Errorf("receiver got %d tokens, Count(backchannel) = %d; want 0 and 0", n, e.srv.Count("backchannel"))
		}
	})

	t.Run("a failing receiver does not stop the logout", func(t *testing.T) {
		rcv := newLogoutReceiver(t, http.StatusInternalServerError)
		e := newTestEnv(t, withBackchannel(rcv))
		reply := e.codeFlow(confidentialClient, nil)
		if err := e.srv.EndSession(e.idTokenClaims(reply)["sid"].(string)); err != nil {
			t.Fatalf("EndSession with a failing receiver: %v, want nil", err)
		}
		if n := len(rcv.received()); n != 1 {
			t.Errorf("receiver got %d tokens, want 1", n)
		}
		if r := e.refresh(confidentialClient, reply.RefreshToken); r.Error != "invalid_grant" {
			t.Errorf("refresh after the session ended: error = %q, want invalid_grant", r.Error)
		}
	})

	t.Run("EndSession of an unknown sid is an error", func(t *testing.T) {
		e := newTestEnv(t)
		if err := e.srv.EndSession("no-such-sid"); err == nil {
			t.Error("EndSession(unknown) = nil, want an error")
		}
	})
}

func TestBackchannelUsesTheHTTPClientTimeout(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-block
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(block) })
	rcv := &logoutReceiver{Server: slow}
	e := newTestEnv(t, withBackchannel(rcv), func(o *Options) { o.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond} })
	sid := e.idTokenClaims(e.codeFlow(confidentialClient, nil))["sid"].(string)

	start := time.Now()
	if err := e.srv.EndSession(sid); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("EndSession took %v with a stuck receiver, want about the 100ms timeout", took)
	}
	page := e.get("/oauth/sessions", nil)
	if !strings.Contains(page.body, "failed") {
		t.Error("sessions page does not show the failed delivery")
	}
}
