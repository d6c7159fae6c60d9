package localconnect

import (
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const banner = "Development stand-in for Telenor CONNECT ID — not for production"

func TestAuthorizeShowsAnErrorPageForBadClientOrRedirectURI(t *testing.T) {
	env := newTestEnv(t)
	_, challenge := pkcePair()
	tests := []struct {
		name, param, value, wantText string
	}{
		{"an unknown client_id", "client_id", "nobody", "Unknown client"},
		{"an unregistered redirect_uri", "redirect_uri", "https://evil.example/callback", "Redirect URI not registered"},
		{"a redirect_uri that only starts like a registered one", "redirect_uri", publicRedirect + "/more", "Redirect URI not registered"},
		{"a missing redirect_uri", "redirect_uri", "", "Redirect URI not registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gets a page, never a redirect", func(t *testing.T) {
			e := env.in(t)
			q := authorizeQuery(publicClient, challenge)
			q.Set(tt.param, tt.value)
			resp := e.get("/oauth/authorize", q)
			if resp.status != http.StatusBadRequest || resp.header.Get("Location") != "" {
				t.Fatalf("GET /oauth/authorize = %d Location %q, want 400 and no Location", resp.status, resp.header.Get("Location"))
			}
			for _, want := range []string{tt.wantText, banner} {
				if !strings.Contains(resp.body, want) {
					t.Errorf("error page lacks %q", want)
				}
			}
		})
	}
}

func TestAuthorizeRedirectsOtherErrorsToTheClient(t *testing.T) {
	env := newTestEnv(t)
	_, challenge := pkcePair()
	tests := []struct {
		name      string
		change    func(url.Values)
		wantError string
	}{
		{"response_type token", func(q url.Values) { q.Set("response_type", "token") }, "unsupported_response_type"},
		{"a scope without openid", func(q url.Values) { q.Set("scope", "profile email") }, "invalid_scope"},
		{"no code_challenge", func(q url.Values) { q.Del("code_challenge") }, "invalid_request"},
		{"code_challenge_method plain", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"no code_challenge_method", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"a negative max_age", func(q url.Values) { q.Set("max_age", "-1") }, "invalid_request"},
		{"prompt=none without a session", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is answered with "+tt.wantError+" and the state", func(t *testing.T) {
			e := env.in(t)
			q := authorizeQuery(publicClient, challenge)
			tt.change(q)
			loc := e.get("/oauth/authorize", q).location(t)
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != publicRedirect {
				t.Errorf("redirected to %q, want %q", got, publicRedirect)
			}
			if got := loc.Query().Get("error"); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
			if loc.Query().Get("error_description") == "" {
				t.Error("error_description is empty")
			}
			if got := loc.Query().Get("state"); got != "state-123" {
				t.Errorf("state = %q, want state-123", got)
			}
			if loc.Query().Has("code") {
				t.Error("an error redirect carries a code")
			}
		})
	}
}

func TestLoginPage(t *testing.T) {
	env := newTestEnv(t)
	_, challenge := pkcePair()

	t.Run("shows the banner, the client, the scopes, the users and the buttons", func(t *testing.T) {
		e := env.in(t)
		page, _ := e.openLogin(authorizeQuery(publicClient, challenge))
		wants := []string{banner, publicClient, "<code>openid</code>", "<code>email</code>", "1, mobile phone",
			`name="stay_signed_in"`, `value="login"`, `value="cancel"`, "<legend>Choose a test user</legend>",
			"confirm", `href="/oauth/static/standin.css"`}
		for _, u := range DefaultUsers() {
			wants = append(wants, u.Name, u.Email, formatPhone(u.PhoneNumber), u.Password, `value="`+u.Sub+`"`)
		}
		for _, want := range wants {
			if want == "confirm" {
				want = "At level 1 CONNECT checks that it is you through your mobile phone"
			}
			if !strings.Contains(html.UnescapeString(page.body), want) {
				t.Errorf("login page lacks %q", want)
			}
		}
		if strings.Contains(page.body, `name="password"`) {
			t.Error("an LoA1 login page asks for a password")
		}
		if strings.Contains(page.body, "<script") || strings.Contains(page.body, "style=") {
			t.Error("login page has inline script or style")
		}
		if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy = %q, want default-src 'none'", csp)
		}
	})

	t.Run("asks for the password when acr_values=2", func(t *testing.T) {
		e := env.in(t)
		q := authorizeQuery(publicClient, challenge)
		q.Set("acr_values", "2")
		page, _ := e.openLogin(q)
		for _, want := range []string{`name="password"`, `<label for="password">Password</label>`, "2, mobile phone and password"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("LoA2 login page lacks %q", want)
			}
		}
	})

	t.Run("speaks Norwegian with ui_locales=nb", func(t *testing.T) {
		e := env.inNewBrowser(t)
		q := authorizeQuery(publicClient, challenge)
		q.Set("ui_locales", "nb en")
		page, _ := e.openLogin(q)
		for _, want := range []string{`<html lang="nb">`, "Logg inn med CONNECT ID", "Velg en testbruker", "Forbli innlogget", "Avbryt", texts("nb").Layout.Banner} {
			if !strings.Contains(page.body, want) {
				t.Errorf("Norwegian login page lacks %q", want)
			}
		}
	})

	t.Run("serves its style sheet", func(t *testing.T) {
		e := env.in(t)
		css := e.get("/oauth/static/standin.css", nil)
		if css.status != http.StatusOK || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
			t.Errorf("GET standin.css = %d %q, want 200 text/css", css.status, css.header.Get("Content-Type"))
		}
	})

	t.Run("labels an unknown path with the banner too", func(t *testing.T) {
		e := env.in(t)
		resp := e.get("/nothing-here", nil)
		if resp.status != http.StatusNotFound || !strings.Contains(resp.body, banner) {
			t.Errorf("GET /nothing-here = %d, banner shown %v; want 404 with the banner", resp.status, strings.Contains(resp.body, banner))
		}
	})
}

func TestLoginForm(t *testing.T) {
	env := newTestEnv(t)
	_, challenge := pkcePair()
	// Some subtests log in; prompt=login keeps later ones on the login page.

	t.Run("cancel returns access_denied with the state", func(t *testing.T) {
		e := env.in(t)
		_, id := e.openLogin(forceLogin(authorizeQuery(publicClient, challenge)))
		q := e.post("/oauth/authorize", url.Values{"request_id": {id}, "action": {"cancel"}}, nil).location(t).Query()
		if q.Get("error") != "access_denied" || q.Get("state") != "state-123" {
			t.Errorf("cancel gave error=%q state=%q, want access_denied and state-123", q.Get("error"), q.Get("state"))
		}
	})

	t.Run("a wrong password shows the page again with an error", func(t *testing.T) {
		e := env.in(t)
		q := forceLogin(authorizeQuery(publicClient, challenge))
		q.Set("acr_values", "2")
		_, id := e.openLogin(q)
		resp := e.post("/oauth/authorize", url.Values{"request_id": {id}, "user": {kari.Sub}, "password": {"wrong"}, "action": {"login"}}, nil)
		if resp.status != http.StatusOK || resp.header.Get("Location") != "" {
			t.Fatalf("wrong password = %d Location %q, want 200 and no redirect", resp.status, resp.header.Get("Location"))
		}
		for _, want := range []string{"Wrong password for Kari Nordmann", `role="alert"`, `value="` + id + `"`} {
			if !strings.Contains(resp.body, want) {
				t.Errorf("page after a wrong password lacks %q", want)
			}
		}
	})

	t.Run("acr_values=2 without a password is refused", func(t *testing.T) {
		e := env.in(t)
		q := forceLogin(authorizeQuery(publicClient, challenge))
		q.Set("acr_values", "2")
		_, id := e.openLogin(q)
		resp := e.post("/oauth/authorize", url.Values{"request_id": {id}, "user": {kari.Sub}, "action": {"login"}}, nil)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, "Wrong password") {
			t.Errorf("no password at LoA2 = %d, want the page again with an error", resp.status)
		}
	})

	t.Run("no user chosen shows the page again", func(t *testing.T) {
		e := env.in(t)
		_, id := e.openLogin(forceLogin(authorizeQuery(publicClient, challenge)))
		resp := e.post("/oauth/authorize", url.Values{"request_id": {id}, "action": {"login"}}, nil)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, "Choose a test user.") {
			t.Errorf("no user = %d, want the page again asking to choose a user", resp.status)
		}
	})

	t.Run("a request_id is answered once", func(t *testing.T) {
		e := env.in(t)
		_, id := e.openLogin(forceLogin(authorizeQuery(publicClient, challenge)))
		form := url.Values{"request_id": {id}, "user": {kari.Sub}, "action": {"login"}}
		e.post("/oauth/authorize", form, nil).location(t)
		if resp := e.post("/oauth/authorize", form, nil); resp.status != http.StatusBadRequest {
			t.Errorf("second POST of one request_id = %d, want 400", resp.status)
		}
	})

	t.Run("a request_id expires after 10 minutes", func(t *testing.T) {
		e := env.in(t)
		_, id := e.openLogin(forceLogin(authorizeQuery(publicClient, challenge)))
		e.clock.advance(10*time.Minute + time.Second)
		resp := e.post("/oauth/authorize", url.Values{"request_id": {id}, "user": {kari.Sub}, "action": {"login"}}, nil)
		if resp.status != http.StatusBadRequest || !strings.Contains(resp.body, "expired") {
			t.Errorf("POST after 10 minutes = %d, want 400 saying it expired", resp.status)
		}
	})

	t.Run("a cross-site POST is refused", func(t *testing.T) {
		e := env.in(t)
		_, id := e.openLogin(forceLogin(authorizeQuery(publicClient, challenge)))
		resp := e.post("/oauth/authorize", url.Values{"request_id": {id}, "user": {kari.Sub}, "action": {"login"}},
			http.Header{"Sec-Fetch-Site": {"cross-site"}})
		if resp.status != http.StatusForbidden {
			t.Errorf("cross-site POST = %d, want 403", resp.status)
		}
	})
}

func TestLoginSetsTheSSOCookie(t *testing.T) {
	for _, stay := range []bool{false, true} {
		name := "without Stay signed in, a browser-session cookie and td_sls=true"
		if stay {
			name = "with Stay signed in, a persistent cookie and td_sls=false"
		}
		t.Run(name, func(t *testing.T) {
			e := newTestEnv(t)
			verifier, challenge := pkcePair()
			_, id := e.openLogin(authorizeQuery(publicClient, challenge))
			form := url.Values{"request_id": {id}, "user": {kari.Sub}, "action": {"login"}}
			if stay {
				form.Set("stay_signed_in", "on")
			}
			resp := e.post("/oauth/authorize", form, nil)
			i := slices.IndexFunc(resp.cookies, func(c *http.Cookie) bool { return c.Name == ssoCookieName })
			if i < 0 {
				t.Fatalf("login set no %s cookie", ssoCookieName)
			}
			c := resp.cookies[i]
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/oauth" {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Path=%q, want true, Lax, /oauth", c.HttpOnly, c.SameSite, c.Path)
			}
			if persistent := c.MaxAge > 0; persistent != stay {
				t.Errorf("cookie persistent = %v (Max-Age %d), want %v", persistent, c.MaxAge, stay)
			}
			code := resp.location(t).Query().Get("code")
			claims := e.idTokenClaims(e.exchange(publicClient, code, verifier))
			if claims["td_sls"] != !stay {
				t.Errorf("td_sls = %v, want %v", claims["td_sls"], !stay)
			}
		})
	}
}

func TestSingleSignOn(t *testing.T) {
	env := newTestEnv(t)
	first := env.idTokenClaims(env.codeFlow(publicClient, nil))
	env.clock.advance(5 * time.Minute)

	t.Run("a second client logs in silently, amr has SSO, auth_time is the first login's", func(t *testing.T) {
		e := env.in(t)
		verifier, challenge := pkcePair()
		q := e.get("/oauth/authorize", authorizeQuery(confidentialClient, challenge)).location(t).Query()
		if q.Get("code") == "" || q.Get("state") != "state-123" {
			t.Fatalf("SSO redirect query %v, want a code and the state", q)
		}
		claims := e.idTokenClaims(e.exchange(confidentialClient, q.Get("code"), verifier))
		amr, _ := claims["amr"].([]any)
		if !containsAny(amr, "SSO") {
			t.Errorf("amr = %v, want it to contain SSO", amr)
		}
		if claims["auth_time"] != first["auth_time"] {
			t.Errorf("auth_time = %v, want the first login's %v", claims["auth_time"], first["auth_time"])
		}
		if claims["iat"] == first["iat"] {
			t.Error("iat did not move with the clock")
		}
		if claims["sid"] != first["sid"] || claims["acr"] != "1" || claims["sub"] != kari.Sub {
			t.Errorf("sid=%v acr=%v sub=%v, want the first login's sid, acr 1, Kari", claims["sid"], claims["acr"], claims["sub"])
		}
	})

	t.Run("prompt=none answers with a code", func(t *testing.T) {
		e := env.in(t)
		if q := e.silentLogin(publicClient); q.Get("code") == "" {
			t.Errorf("prompt=none with a session gave %v, want a code", q)
		}
	})

	t.Run("prompt=login shows the login page anyway", func(t *testing.T) {
		e := env.in(t)
		_, challenge := pkcePair()
		q := authorizeQuery(publicClient, challenge)
		q.Set("prompt", "login")
		e.openLogin(q)
	})

	t.Run("a session older than max_age means logging in again", func(t *testing.T) {
		e := env.in(t)
		_, challenge := pkcePair()
		q := authorizeQuery(publicClient, challenge)
		q.Set("max_age", "60")
		e.openLogin(q)
		q.Set("prompt", "none")
		if got := e.get("/oauth/authorize", q).location(t).Query().Get("error"); got != "login_required" {
			t.Errorf("prompt=none with a too old session: error = %q, want login_required", got)
		}
		q.Set("max_age", "3600")
		if got := e.get("/oauth/authorize", q).location(t).Query(); got.Get("code") == "" {
			t.Errorf("prompt=none with a recent enough session gave %v, want a code", got)
		}
	})

	t.Run("an LoA1 session does not satisfy acr_values=2", func(t *testing.T) {
		e := env.in(t)
		_, challenge := pkcePair()
		q := authorizeQuery(publicClient, challenge)
		q.Set("acr_values", "2")
		page, _ := e.openLogin(q)
		if !strings.Contains(page.body, `name="password"`) {
			t.Error("step-up page does not ask for the password")
		}
		q.Set("prompt", "none")
		if got := e.get("/oauth/authorize", q).location(t).Query().Get("error"); got != "login_required" {
			t.Errorf("prompt=none for LoA2 on an LoA1 session: error = %q, want login_required", got)
		}
	})
}

func TestStepUpToLoA2(t *testing.T) {
	e := newTestEnv(t)
	first := e.idTokenClaims(e.codeFlow(publicClient, nil))
	e.clock.advance(time.Minute)

	verifier, challenge := pkcePair()
	q := authorizeQuery(publicClient, challenge)
	q.Set("acr_values", "2")
	callback := e.login(q, kari, kari.Password, false)
	claims := e.idTokenClaims(e.exchange(publicClient, callback.Get("code"), verifier))

	if claims["acr"] != "2" {
		t.Errorf("acr = %v, want 2", claims["acr"])
	}
	if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "UID_PWD" {
		t.Errorf("amr = %v, want [UID_PWD]", amr)
	}
	if claims["auth_time"] == first["auth_time"] {
		t.Error("auth_time did not move with the new authentication")
	}
	if claims["sid"] != first["sid"] {
		t.Errorf("sid = %v, want the session's sid %v kept through step-up", claims["sid"], first["sid"])
	}
	// The session is now at LoA2, so LoA2 requests are answered silently.
	_, challenge = pkcePair()
	q = authorizeQuery(publicClient, challenge)
	q.Set("acr_values", "2")
	q.Set("prompt", "none")
	if got := e.get("/oauth/authorize", q).location(t).Query(); got.Get("code") == "" {
		t.Errorf("prompt=none for LoA2 after step-up gave %v, want a code", got)
	}
}

func TestAnotherUserLoggingInEndsThePreviousSession(t *testing.T) {
	e := newTestEnv(t)
	first := e.codeFlow(publicClient, nil)
	firstSID := e.idTokenClaims(first)["sid"]

	verifier, challenge := pkcePair()
	q := authorizeQuery(publicClient, challenge)
	q.Set("prompt", "login")
	ola := DefaultUsers()[1]
	callback := e.login(q, ola, "", false)
	claims := e.idTokenClaims(e.exchange(publicClient, callback.Get("code"), verifier))

	if claims["sub"] != ola.Sub || claims["sid"] == firstSID {
		t.Errorf("sub=%v sid=%v, want Ola in a new session (not %v)", claims["sub"], claims["sid"], firstSID)
	}
	if reply := e.refresh(publicClient, first.RefreshToken); reply.Error != "invalid_grant" {
		t.Errorf("Kari's refresh token after Ola logged in: error = %q, want invalid_grant", reply.Error)
	}
}

func TestChooseLanguage(t *testing.T) {
	tests := []struct{ uiLocales, acceptLanguage, want string }{
		{"", "", "en"},
		{"nb", "", "nb"},
		{"nb-NO en", "", "nb"},
		{"no", "", "nb"},
		{"nn", "", "nb"},
		{"sv en nb", "", "en"},
		{"EN-gb", "nb", "en"},
		{"de fr", "", "en"},
		{"not a tag!", "", "en"},
		{"", "nb-NO,nb;q=0.9,en;q=0.8", "nb"},
		{"", "nn", "nb"},
		{"", "no", "nb"},
		{"", "de-DE,de;q=0.9,en;q=0.5", "en"},
		{"", "fr", "en"},
		{"", "garbage;;q=x", "en"},
		{"de", "nb", "nb"}, // ui_locales names nothing the stand-in speaks
		{"en", "nb", "en"}, // ui_locales comes first
		{"nb", "en-US", "nb"},
	}
	for _, tt := range tests {
		if got := chooseLanguage(tt.uiLocales, tt.acceptLanguage); got != tt.want {
			t.Errorf("chooseLanguage(%q, %q) = %q, want %q", tt.uiLocales, tt.acceptLanguage, got, tt.want)
		}
	}
}

// forceLogin adds prompt=login, so an SSO session does not skip the page.
func forceLogin(q url.Values) url.Values {
	q.Set("prompt", "login")
	return q
}

func TestLoginHint(t *testing.T) {
	env := newTestEnv(t)
	ola := DefaultUsers()[1]
	_, challenge := pkcePair()
	hintedPage := func(e *testEnv, hint string, extra ...string) response {
		e.t.Helper()
		q := authorizeQuery(publicClient, challenge)
		q.Set("login_hint", hint)
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		page, _ := e.openLogin(q)
		return page
	}
	offered := func(page response) []string {
		var subs []string
		for _, u := range DefaultUsers() {
			if strings.Contains(page.body, `value="`+u.Sub+`"`) {
				subs = append(subs, u.Sub)
			}
		}
		return subs
	}

	// td_au is what an app sends at step-up: the username the user logged in with.
	earlier := newTestEnv(t)
	tdAU := earlier.idTokenClaims(earlier.codeFlow(publicClient, nil))["td_au"].(string)
	hints := []string{ola.Email, strings.ToUpper(ola.Email), ola.PhoneNumber, formatPhone(ola.PhoneNumber), "98765432",
		"987 65 432", "0047 98765432", "+47-987-65-432", "(+47) 98765432", "4798765432"}
	for _, hint := range hints {
		t.Run("offers only the user "+hint+" names, preselected, and says why", func(t *testing.T) {
			page := hintedPage(env.in(t), hint)
			if got := offered(page); !slices.Equal(got, []string{ola.Sub}) {
				t.Errorf("users offered = %v, want only Ola (%s)", got, ola.Sub)
			}
			for _, want := range []string{`value="` + ola.Sub + `" checked`, texts("en").Login.HintedUser, `value="everyone"`} {
				if !strings.Contains(page.body, want) {
					t.Errorf("login page lacks %q", want)
				}
			}
		})
	}

	t.Run("offers only the user the td_au of an earlier login names", func(t *testing.T) {
		page := hintedPage(env.in(t), tdAU)
		if got := offered(page); !slices.Equal(got, []string{kari.Sub}) {
			t.Errorf("login_hint %q: users offered = %v, want only Kari", tdAU, got)
		}
	})

	t.Run("says so in Norwegian with ui_locales=nb", func(t *testing.T) {
		page := hintedPage(env.in(t), ola.Email, "ui_locales", "nb")
		for _, want := range []string{texts("nb").Login.HintedUser, texts("nb").Login.Everyone} {
			if !strings.Contains(page.body, want) {
				t.Errorf("Norwegian login page lacks %q", want)
			}
		}
	})

	for _, hint := range []string{"nobody@example.no", "12345", "+4700000000", "kari", " "} {
		t.Run("shows everyone, as without a hint, when "+hint+" names nobody", func(t *testing.T) {
			page := hintedPage(env.in(t), hint)
			if got := offered(page); len(got) != len(DefaultUsers()) {
				t.Errorf("users offered = %v, want all %d", got, len(DefaultUsers()))
			}
			if !strings.Contains(page.body, `value="`+kari.Sub+`" checked`) || strings.Contains(page.body, texts("en").Login.HintedUser) {
				t.Error("want Kari preselected and no login_hint note")
			}
		})
	}

	t.Run("the hinted user logs in", func(t *testing.T) {
		e := env.in(t)
		verifier, challenge := pkcePair()
		q := forceLogin(authorizeQuery(publicClient, challenge))
		q.Set("login_hint", ola.Email)
		reply := e.exchange(publicClient, e.login(q, ola, "", false).Get("code"), verifier)
		if sub := e.idTokenClaims(reply)["sub"]; sub != ola.Sub {
			t.Errorf("sub = %v, want Ola's %s", sub, ola.Sub)
		}
	})

	t.Run("an SSO session of another user does not answer for the hinted user", func(t *testing.T) {
		e := newTestEnv(t)
		e.codeFlow(publicClient, nil) // Kari
		_, challenge := pkcePair()
		q := authorizeQuery(publicClient, challenge)
		q.Set("login_hint", ola.Email)
		if resp := e.get("/oauth/authorize", q); resp.status != http.StatusOK || !strings.Contains(resp.body, texts("en").Login.HintedUser) {
			t.Errorf("with Kari's SSO session, login_hint Ola: %d %s, want 200 and the login page for Ola", resp.status, resp.header.Get("Location"))
		}
		q.Set("prompt", "none")
		if got := e.get("/oauth/authorize", q).location(t).Query().Get("error"); got != "login_required" {
			t.Errorf("prompt=none, login_hint Ola, Kari's session: error = %q, want login_required", got)
		}
		q.Set("login_hint", kari.Email)
		if got := e.get("/oauth/authorize", q).location(t).Query(); got.Get("code") == "" {
			t.Errorf("prompt=none, login_hint Kari, Kari's session: %v, want a code", got)
		}
	})

	t.Run("Log in as someone else shows everyone, and keeps doing so", func(t *testing.T) {
		e := env.in(t)
		q := authorizeQuery(publicClient, challenge)
		q.Set("login_hint", ola.Email)
		q.Set("acr_values", "2")
		_, id := e.openLogin(q)
		page := e.post("/oauth/authorize", url.Values{"request_id": {id}, "action": {"everyone"}}, nil)
		if got := offered(page); page.status != http.StatusOK || len(got) != len(DefaultUsers()) {
			t.Fatalf("after Log in as someone else: %d, users offered %v; want 200 and all", page.status, got)
		}
		if !strings.Contains(page.body, `value="`+ola.Sub+`" checked`) || strings.Contains(page.body, texts("en").Login.HintedUser) {
			t.Error("want Ola still preselected and no login_hint note")
		}
		again := e.post("/oauth/authorize", url.Values{"request_id": {id}, "action": {"login"}, "user": {kari.Sub},
			"password": {"wrong"}, "everyone": {"on"}}, nil)
		if got := offered(again); len(got) != len(DefaultUsers()) {
			t.Errorf("after a wrong password: users offered %v, want all", got)
		}
	})
}
