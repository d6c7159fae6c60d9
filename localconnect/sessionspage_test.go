package localconnect

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSessionsPage(t *testing.T) {
	rcv := newLogoutReceiver(t, http.StatusOK)
	e := newTestEnv(t, withBackchannel(rcv))
	sid := e.idTokenClaims(e.codeFlow(confidentialClient, nil))["sid"].(string)

	page := e.get("/oauth/sessions", nil)
	if page.status != http.StatusOK {
		t.Fatalf("GET /oauth/sessions = %d, want 200", page.status)
	}
	for _, want := range []string{banner, kari.Name, sid, confidentialClient, `action="/oauth/sessions/end"`, "End session", "None sent yet."} {
		if !strings.Contains(page.body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}

	t.Run("refuses a cross-site End session", func(t *testing.T) {
		e := e.in(t)
		resp := e.post("/oauth/sessions/end", url.Values{"sid": {sid}}, http.Header{"Sec-Fetch-Site": {"cross-site"}})
		if resp.status != http.StatusForbidden {
			t.Errorf("cross-site POST = %d, want 403", resp.status)
		}
		if !strings.Contains(e.get("/oauth/sessions", nil).body, sid) {
			t.Error("the session is gone after a refused POST")
		}
	})

	t.Run("ends a session and shows the back-channel delivery", func(t *testing.T) {
		e := e.in(t)
		resp := e.post("/oauth/sessions/end", url.Values{"sid": {sid}}, http.Header{"Sec-Fetch-Site": {"same-origin"}})
		if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/oauth/sessions" {
			t.Fatalf("POST end = %d Location %q, want 303 to /oauth/sessions", resp.status, resp.header.Get("Location"))
		}
		page := e.get("/oauth/sessions", nil)
		if strings.Contains(page.body, `value="`+sid+`"`) {
			t.Error("the ended session is still listed")
		}
		for _, want := range []string{"No live sessions", confidentialClient, "200 OK"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("sessions page after ending lacks %q", want)
			}
		}
	})
}
