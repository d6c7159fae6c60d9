package handlers

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// loginTraceSection is "Your login, step by step" on /session.
var loginTraceSection = regexp.MustCompile(`<section id="login-trace"[\s\S]*?</section>`)

func TestLoginTraceOnSessionPage(t *testing.T) {
	const secret = "a-client-secret-for-the-trace-test"
	site := newTestSite(t, siteOptions{clientSecret: secret})
	b := newBrowser(t)
	user := testUser()

	// A login with a login_hint, which the trace must show masked.
	r := b.get(site.app.URL + "/login?return_to=/session&login_hint=" + url.QueryEscape(user.Email))
	wantStatus(t, "GET /login", r, http.StatusFound)
	r = b.loginAt(r.location, user.Sub, true, "login")
	wantStatus(t, "POST stand-in login", r, http.StatusFound)
	r = b.get(r.location)
	wantStatus(t, "GET callback", r, http.StatusSeeOther)
	page := b.get(site.app.URL + "/session")
	wantStatus(t, "GET /session", page, http.StatusOK)
	section := html.UnescapeString(loginTraceSection.FindString(page.body))

	authorize := site.provider.Requests("authorize")[0].Form
	tokenForm := site.provider.Requests("token")[0].Form
	secrets := map[string]string{
		"state":          authorize.Get("state"),
		"nonce":          authorize.Get("nonce"),
		"code challenge": authorize.Get("code_challenge"),
		"code":           tokenForm.Get("code"),
		"code verifier":  tokenForm.Get("code_verifier"),
		"client secret":  secret,
		"login hint":     user.Email,
	}
	addTokens := func(when string) {
		tokens := sessionTokens(t, site, b)
		secrets["access token "+when] = tokens.AccessToken
		secrets["refresh token "+when] = tokens.RefreshToken
		secrets["ID token "+when] = tokens.IDToken
	}
	addTokens("from the login")

	t.Run("the section lists the login's steps, in order, with the protocol's facts", func(t *testing.T) {
		if section == "" {
			t.Fatal("/session has no login-trace section")
		}
		en := translatorFor("en")
		wantInOrder(t, section,
			en.T("trace.title"),
			en.T("trace.authorize"),
			"GET "+site.provider.Issuer()+"/authorize",
			"client_id="+testClientID,
			"redirect_uri="+site.app.URL+"/connect/oauth2callback",
			"scope=openid profile email phone",
			"state: random, 43 characters",
			"nonce: random, 43 characters",
			"code_challenge: random, 43 characters",
			"code_challenge_method=S256",
			"login_hint=k***@", // Kari's e-mail, masked
			en.T("trace.callback"),
			en.T("trace.state_matched"),
			"POST "+site.provider.Issuer()+"/token",
			"grant_type=authorization_code",
			en.T("trace.client_auth_basic"),
			"Answer: HTTP 200",
			"token_type=Bearer",
			"access_token (", "refresh_token (", "id_token (",
			en.T("trace.checks"),
			"iss = "+site.provider.Issuer(),
			"aud = "+testClientID,
			"signature: RS256",
			en.T("trace.check.nonce"),
			"iat = ",
			"acr = ",
			"at_hash",
			en.T("trace.userinfo_none"),
			en.T("trace.refresh_none"),
		)
	})
	t.Run("the section carries the markers of steps 5 to 11, which /guide links to it", func(t *testing.T) {
		for _, n := range []string{"5", "6", "7", "8", "9", "10", "11"} {
			if !strings.Contains(section, `href="/guide#step-`+n+`"`) {
				t.Errorf("the section has no marker of step %s", n)
			}
		}
	})

	wantStatus(t, "POST /refresh", b.post(site.app.URL+"/refresh", url.Values{"return_to": {"/session"}}), http.StatusSeeOther)
	addTokens("from the refresh")
	refreshed := b.get(site.app.URL + "/session")
	wantStatus(t, "GET /session after the refresh", refreshed, http.StatusOK)
	refreshedSection := html.UnescapeString(loginTraceSection.FindString(refreshed.body))

	t.Run("after a refresh, the section shows it too", func(t *testing.T) {
		en := translatorFor("en")
		_, after, found := strings.Cut(refreshedSection, "The latest refresh, ")
		if !found {
			t.Fatal("no refresh in the section after POST /refresh")
		}
		wantInOrder(t, after, "grant_type=refresh_token", "Answer: HTTP 200", "refresh_token (", en.T("trace.checks"), en.T("trace.check.same_user"))
		if !strings.Contains(refreshedSection, "grant_type=authorization_code") {
			t.Error("the login's steps went when the refresh came")
		}
	})

	t.Run("the same section speaks Norwegian", func(t *testing.T) {
		nb := newBrowser(t)
		nb.client.Jar = b.client.Jar
		nb.sending("Accept-Language", "nb")
		r := nb.get(site.app.URL + "/session")
		got := html.UnescapeString(loginTraceSection.FindString(r.body))
		no := translatorFor("nb")
		wantInOrder(t, got, no.T("trace.title"), no.T("trace.authorize"), "client_id="+testClientID, no.T("trace.checks"), no.T("trace.check.same_user"))
	})

	t.Run("no state, nonce, code, verifier, token or secret is in the stored trace, the page or the log", func(t *testing.T) {
		c := b.cookie(site, "session")
		ctx, err := site.sessions.Manager.Load(context.Background(), c.Value)
		if err != nil {
			t.Fatal(err)
		}
		trace, err := site.sessions.Trace(ctx)
		if err != nil || trace.Refresh == nil {
			t.Fatalf("Trace = %+v, %v; want the login's and the refresh's", trace, err)
		}
		stored, _ := json.Marshal(trace)
		keys := site.redis.Keys(context.Background(), site.prefix+"trace:*").Val()
		if len(keys) != 1 {
			t.Fatalf("trace keys: %v, want one, the session's", keys)
		}
		raw := site.redis.Get(context.Background(), keys[0]).Val()
		t.Logf("the stored trace of a login and a refresh: %d bytes, sealed", len(raw))
		for what, value := range secrets {
			if len(value) < 8 {
				t.Fatalf("the %s is %q; the test cannot look for it", what, value)
			}
			for where, text := range map[string]string{
				"stored trace": string(stored), "sealed trace": raw, "page": page.body, "page after the refresh": refreshed.body, "log": site.logs.String(),
			} {
				if strings.Contains(text, value) {
					t.Errorf("the %s appears in the %s", what, where)
				}
			}
		}
	})
	t.Run("the trace goes with the session", func(t *testing.T) {
		wantStatus(t, "POST /logout", b.post(site.app.URL+"/logout", nil), http.StatusSeeOther)
		if keys := site.redis.Keys(context.Background(), site.prefix+"trace:*").Val(); len(keys) != 0 {
			t.Errorf("trace keys after logout: %v, want none", keys)
		}
	})
}

// TestSessionPageWithoutTrace: a session from before traces were kept
// shows the page, with a line saying there is no record.
func TestSessionPageWithoutTrace(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	wantStatus(t, "login", b.logIn(site, "/session", true), http.StatusOK)
	for _, key := range site.redis.Keys(context.Background(), site.prefix+"trace:*").Val() {
		site.redis.Del(context.Background(), key)
	}
	r := b.get(site.app.URL + "/session")
	wantStatus(t, "GET /session", r, http.StatusOK)
	if section := html.UnescapeString(loginTraceSection.FindString(r.body)); !strings.Contains(section, translatorFor("en").T("trace.none")) {
		t.Errorf("the section without a trace: %s", section)
	}
}

// wantInOrder fails unless every one of wants is in text, each after the
// one before.
func wantInOrder(t *testing.T, text string, wants ...string) {
	t.Helper()
	rest := text
	for _, want := range wants {
		i := strings.Index(rest, want)
		if i < 0 {
			if strings.Contains(text, want) {
				t.Errorf("%q is there, but not after the %q before it", want, wants)
			} else {
				t.Errorf("no %q in:\n%s", want, text)
			}
			return
		}
		rest = rest[i+len(want):]
	}
}
