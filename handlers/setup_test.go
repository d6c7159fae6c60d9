package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/telenordigital/connect-web-sample/config"
)

func TestSetupPage(t *testing.T) {
	const secret = "the-client-secret/from+registration"
	for _, tc := range []struct {
		name       string
		secret     string
		wantType   string // a sentence only the page for this client type has
		unwantType string
	}{
		{name: "a public client", secret: "",
			wantType:   "The app sends only <code>client_id</code> in the form body",
			unwantType: "The app authenticates with HTTP Basic"},
		{name: "a confidential client", secret: secret,
			wantType:   "The app authenticates with HTTP Basic",
			unwantType: "The app sends only <code>client_id</code> in the form body"},
	} {
		t.Run("for "+tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{clientSecret: tc.secret})
			r := newBrowser(t).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", r, http.StatusOK)

			t.Run("shows the URIs to register, derived from the base URL", func(t *testing.T) {
				for _, want := range []string{
					site.app.URL + "/connect/oauth2callback",
					site.app.URL + "/connect/logoutcallback",
					site.app.URL + "/connect/backchannellogout",
				} {
					if !strings.Contains(r.body, `<code class="copy url">`+string(breakURL(want))+`</code>`) {
						t.Errorf("/setup does not show %q to copy", want)
					}
				}
			})
			t.Run("shows the client id, the client type and the scopes", func(t *testing.T) {
				for _, want := range []string{"<code>" + testClientID + "</code>", tc.wantType, "<code>openid</code> <code>profile</code> <code>email</code> <code>phone</code>"} {
					if !strings.Contains(r.body, want) {
						t.Errorf("/setup does not show %q", want)
					}
				}
				if strings.Contains(r.body, tc.unwantType) {
					t.Errorf("/setup shows %q, which is about the other client type", tc.unwantType)
				}
			})
			t.Run("shows the issuer and the endpoints discovery found", func(t *testing.T) {
				issuer := site.provider.Issuer()
				for _, want := range []string{
					`<code class="url">` + string(breakURL(issuer+"/.well-known/openid-configuration")) + "</code>",
					`<span class="badge badge-ok">loaded</span>`,
					`<code class="url">` + string(breakURL(issuer+"/authorize")) + "</code>",
					`<code class="url">` + string(breakURL(issuer+"/token")) + "</code>",
					`<code class="url">` + string(breakURL(issuer+"/userinfo")) + "</code>",
					`<code class="url">` + string(breakURL(issuer+"/public_keys.jwks")) + "</code>",
					`<code class="url">` + string(breakURL(issuer+"/revoke")) + "</code>",
					`<code class="url">` + string(breakURL(issuer+"/logout")) + "</code>",
				} {
					if !strings.Contains(r.body, want) {
						t.Errorf("/setup does not show %q", want)
					}
				}
			})
			t.Run("shows how the client authenticates at the token and revocation endpoints", func(t *testing.T) {
				basic := "<code>Authorization: Basic base64(client_id:client_secret)</code>"
				inBody := "<code>client_id=" + testClientID + "</code>"
				want, unwant := inBody, basic
				if tc.secret != "" {
					want, unwant = basic, inBody
				}
				section := sectionOf(t, r.body, "client-auth")
				if !strings.Contains(section, want) {
					t.Errorf("step 4 does not show %s", want)
				}
				if strings.Contains(section, unwant) {
					t.Errorf("step 4 shows %s, which is the other client type's", unwant)
				}
			})
			t.Run("tells a confidential client to put its secret in a shell variable", func(t *testing.T) {
				got := strings.Contains(r.body, "read -rs CONNECT_CLIENT_SECRET")
				if want := tc.secret != ""; got != want {
					t.Errorf("/setup asks for CONNECT_CLIENT_SECRET: %v, want %v", got, want)
				}
			})
			t.Run("says the stand-in is in use", func(t *testing.T) {
				if !strings.Contains(r.body, "the local stand-in") {
					t.Error("/setup does not say the stand-in is in use")
				}
			})
			t.Run("never shows the client secret, plain or encoded", func(t *testing.T) {
				for _, form := range []string{
					secret,
					url.QueryEscape(secret),
					base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + secret)),
					base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(testClientID) + ":" + url.QueryEscape(secret))),
				} {
					if strings.Contains(r.body, form) {
						t.Errorf("/setup shows the client secret as %q", form)
					}
				}
				want := "not set"
				if tc.secret != "" {
					want = `set <span class="badge badge-ok">never shown</span>`
				}
				if !strings.Contains(r.body, want) {
					t.Errorf("/setup does not say the secret is %q", want)
				}
			})
		})
	}
}

func TestSetupPageShowsAFailedDiscovery(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	site.issuer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	b := newBrowser(t)

	r := b.get(site.app.URL + "/setup")
	wantStatus(t, "GET /setup while CONNECT is down", r, http.StatusOK)
	if !strings.Contains(r.body, `<span class="badge badge-warn">failed</span>`) {
		t.Error("/setup does not say discovery failed")
	}
	if strings.Contains(r.body, site.provider.Issuer()+"/token") {
		t.Error("/setup shows endpoints although discovery failed")
	}
	if strings.Contains(r.body, "maintenance") {
		t.Error("/setup shows CONNECT's error text; it belongs in the log")
	}

	site.issuer.Config.Handler = site.provider
	site.clock.Advance(10 * time.Second) // past the discovery retry interval
	r = b.get(site.app.URL + "/setup")
	if !strings.Contains(r.body, `<span class="badge badge-ok">loaded</span>`) {
		t.Error("/setup does not show discovery loaded after CONNECT is back")
	}
}

func TestSetupPageWarnsOfAnInsecureBaseURL(t *testing.T) {
	warning := config.Warning{Key: "warning.insecure_base_url", Args: []any{"http://app.example.com"}}
	for _, tc := range []struct {
		name     string
		insecure bool
	}{
		{"plain http on a public host is flagged", true},
		{"localhost is fine", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := siteOptions{insecureBaseURL: tc.insecure}
			if tc.insecure {
				opts.warnings = []config.Warning{warning}
			}
			site := newTestSite(t, opts)
			r := newBrowser(t).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", r, http.StatusOK)
			if got := strings.Contains(r.body, "CONNECT will refuse it"); got != tc.insecure {
				t.Errorf("redirect URI flagged = %v, want %v", got, tc.insecure)
			}
			if got := strings.Contains(r.body, html.EscapeString(InEnglish(warning.Key, warning.Args...))); got != tc.insecure {
				t.Errorf("config warning shown = %v, want %v", got, tc.insecure)
			}
		})
	}
}

// sectionOf returns the <section id="id"> of a page.
func sectionOf(t *testing.T, body, id string) string {
	t.Helper()
	start := strings.Index(body, `<section id="`+id+`"`)
	if start < 0 {
		t.Fatalf("the page has no section %q", id)
	}
	end := strings.Index(body[start:], "</section>")
	if end < 0 {
		t.Fatalf("section %q does not end", id)
	}
	return body[start : start+end]
}

func TestShellQuote(t *testing.T) {
	sh := requireCommand(t, "sh")
	for _, s := range []string{
		"plain-word_1.2",
		"https://example.com/oauth/token",
		"http://localhost:8081/a?b=c&d=e",
		"it's",
		"$HOME `id` $(id) \\ \"",
		"two words\nand a line",
		"~user",
		"*",
		"",
	} {
		t.Run(fmt.Sprintf("%q reaches the command as it is", s), func(t *testing.T) {
			out, err := exec.Command(sh, "-c", "printf %s "+shellQuote(s)).Output()
			if err != nil {
				t.Fatalf("sh -c printf %s: %v", shellQuote(s), err)
			}
			if string(out) != s {
				t.Errorf("shellQuote(%q) = %s, which the shell read as %q", s, shellQuote(s), out)
			}
		})
	}
}

var (
	curlBlock    = regexp.MustCompile(`<pre class="curl" id="curl-([a-z]+)"><code>([\s\S]*?)</code></pre>`)
	authorizeURL = regexp.MustCompile(`<a id="authorize-url" class="authorize-url url" href="([^"]+)">`)
)

// TestSetupCurlCommands runs the cURL commands of /setup with the real
// curl against the stand-in, in the page's order, as a partner would paste
// them: the secret, the code and the tokens in shell variables. The
// authorization URL is opened the way a browser would.
func TestSetupCurlCommands(t *testing.T) {
	requireCommand(t, "curl")
	for _, tc := range []struct{ name, secret string }{
		{"a public client", ""},
		{"a confidential client", "curl-test-secret"},
	} {
		t.Run("for "+tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{clientSecret: tc.secret, introspection: true})
			page := newBrowser(t).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", page, http.StatusOK)

			commands := map[string]string{}
			var order []string
			for _, m := range curlBlock.FindAllStringSubmatch(page.body, -1) {
				commands[m[1]] = html.UnescapeString(m[2])
				order = append(order, m[1])
			}
			vars := map[string]string{"CONNECT_CLIENT_SECRET": tc.secret}
			run := func(id string) string {
				t.Helper()
				command, ok := commands[id]
				if !ok {
					t.Fatalf("/setup has no %q command; it has %v", id, order)
				}
				return runShell(t, command, vars)
			}

			var discovery map[string]any
			t.Run("fetches the discovery document", func(t *testing.T) {
				decode(t, run("discovery"), &discovery)
				if discovery["issuer"] != site.provider.Issuer() || discovery["token_endpoint"] == nil {
					t.Errorf("got discovery %v, want the stand-in's", discovery)
				}
			})
			_, introspection := discovery["introspection_endpoint"]
			t.Run("lists the commands in the order a partner uses them", func(t *testing.T) {
				want := []string{"discovery", "exchange", "userinfo", "refresh", "introspect", "revoke"}
				if !introspection {
					want = slices.DeleteFunc(want, func(s string) bool { return s == "introspect" })
				}
				if tc.secret != "" {
					want = append([]string{"secret"}, want...)
				}
				if !slices.Equal(order, want) {
					t.Errorf("got commands %v, want %v", order, want)
				}
			})

			m := authorizeURL.FindStringSubmatch(page.body)
			if m == nil {
				t.Fatal("/setup has no authorization URL")
			}
			authorize, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Fatal(err)
			}
			t.Run("builds the authorization URL with state, nonce and a PKCE challenge", func(t *testing.T) {
				q := authorize.Query()
				for name, want := range map[string]string{
					"response_type":         "code",
					"client_id":             testClientID,
					"redirect_uri":          site.app.URL + "/connect/oauth2callback",
					"scope":                 "openid profile email phone",
					"code_challenge_method": "S256",
				} {
					if got := q.Get(name); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if q.Get("state") == "" || q.Get("nonce") == "" {
					t.Errorf("state %q, nonce %q: want both", q.Get("state"), q.Get("nonce"))
				}
				verifier := regexp.MustCompile(`code_verifier=([A-Za-z0-9_-]+)`).FindStringSubmatch(commands["exchange"])
				if verifier == nil || oauth2.S256ChallengeFromVerifier(verifier[1]) != q.Get("code_challenge") {
					t.Errorf("the exchange's verifier %v does not match the challenge %q", verifier, q.Get("code_challenge"))
				}
			})

			// The browser's part: the stand-in's login page, then the
			// redirect to the redirect URI, whose code the partner copies.
			login := newBrowser(t).loginAt(authorize.String(), testUser().Sub, false, "login")
			wantStatus(t, "POST stand-in login", login, http.StatusFound)
			back, _ := url.Parse(login.location)
			if got := back.Query().Get("state"); got != authorize.Query().Get("state") {
				t.Fatalf("the redirect's state is %q, want %q", got, authorize.Query().Get("state"))
			}
			vars["CODE"] = back.Query().Get("code")

			// Each command needs the answers before it, so the walk stops at
			// the first failure.
			if !t.Run("exchanges the code for tokens", func(t *testing.T) {
				var tokens tokenAnswer
				answer := run("exchange")
				decode(t, answer, &tokens)
				if tokens.AccessToken == "" || tokens.RefreshToken == "" || tokens.TokenType != "Bearer" {
					t.Fatalf("got %s, want a Bearer access token and a refresh token", fieldsOf(answer))
				}
				var idToken struct{ Nonce string }
				decodeJWTPayload(t, tokens.IDToken, &idToken)
				if idToken.Nonce != authorize.Query().Get("nonce") {
					t.Errorf("the ID token's nonce is %q, want the URL's %q", idToken.Nonce, authorize.Query().Get("nonce"))
				}
				vars["ACCESS_TOKEN"], vars["REFRESH_TOKEN"] = tokens.AccessToken, tokens.RefreshToken
			}) {
				return
			}
			t.Run("calls userinfo with the access token", func(t *testing.T) {
				var info struct{ Sub string }
				decode(t, run("userinfo"), &info)
				if info.Sub != testUser().Sub {
					t.Errorf("userinfo sub = %q, want %q", info.Sub, testUser().Sub)
				}
			})
			if tc.secret != "" {
				t.Run("reads the secret from CONNECT_CLIENT_SECRET", func(t *testing.T) {
					vars["CONNECT_CLIENT_SECRET"] = "wrong"
					defer func() { vars["CONNECT_CLIENT_SECRET"] = tc.secret }()
					var refused struct{ Error string }
					decode(t, run("refresh"), &refused)
					if refused.Error != "invalid_client" {
						t.Errorf("refresh with a wrong secret: error %q, want invalid_client", refused.Error)
					}
				})
			}
			if !t.Run("refreshes to new tokens", func(t *testing.T) {
				var tokens tokenAnswer
				answer := run("refresh")
				decode(t, answer, &tokens)
				if tokens.AccessToken == "" || tokens.AccessToken == vars["ACCESS_TOKEN"] || tokens.RefreshToken == "" || tokens.RefreshToken == vars["REFRESH_TOKEN"] {
					t.Fatalf("got %s, want a new access token and a new refresh token", fieldsOf(answer))
				}
				vars["ACCESS_TOKEN"], vars["REFRESH_TOKEN"] = tokens.AccessToken, tokens.RefreshToken
			}) {
				return
			}
			if introspection {
				t.Run("introspects the access token", func(t *testing.T) {
					var answer struct {
						Active bool
						Sub    string
					}
					decode(t, run("introspect"), &answer)
					if !answer.Active || answer.Sub != testUser().Sub {
						t.Errorf("got %+v, want active for %s", answer, testUser().Sub)
					}
				})
			}
			t.Run("revokes the refresh token, which then no longer works", func(t *testing.T) {
				if got := run("revoke"); strings.TrimSpace(got) != "HTTP 200" {
					t.Fatalf("revoke printed %q, want HTTP 200", got)
				}
				var refused struct{ Error string }
				decode(t, run("refresh"), &refused)
				if refused.Error != "invalid_grant" {
					t.Errorf("refresh after revoke: error %q, want invalid_grant", refused.Error)
				}
			})
		})
	}
}

type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// requireCommand finds a program the test needs. Without it the test is
// skipped on a developer's machine, but fails under CI, which installs it
// (.ci/run).
func requireCommand(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("no %s on PATH (%v); CI is set, so this test must run", name, err)
	}
	t.Skipf("no %s on PATH (%v): install it to run this test", name, err)
	return ""
}

// runShell runs command with sh, with vars as its only environment
// besides PATH, and returns what it printed.
func runShell(t *testing.T, command string, vars map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for name, value := range vars {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s\n%v: %s", command, err, stderr.String())
	}
	return string(out)
}

func decode(t *testing.T, answer string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(answer), v); err != nil {
		t.Fatalf("the answer is not the JSON expected (%v): %s", err, fieldsOf(answer))
	}
}

// fieldsOf describes a token endpoint's answer for a failure message by
// its fields, not their values: a test log is no place for tokens, and a
// partner may point these commands at a real CONNECT.
func fieldsOf(answer string) string {
	var fields map[string]any
	if json.Unmarshal([]byte(answer), &fields) != nil {
		return fmt.Sprintf("%d bytes that are not a JSON object", len(answer))
	}
	return "an answer with " + strings.Join(slices.Sorted(maps.Keys(fields)), ", ")
}

func decodeJWTPayload(t *testing.T, jwt string, v any) {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("got %d parts in the ID token, want 3", len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	decode(t, string(payload), v)
}

func TestSetupPageSaysTheWarningsInTheVisitorsLanguage(t *testing.T) {
	site := newTestSite(t, siteOptions{warnings: []config.Warning{
		{Key: "warning.refresh_margin", Args: []any{"2m0s", "2m0s"}},
		{Key: "warning.embedded_redis"},
	}})
	for _, tt := range []struct{ lang, want1, want2 string }{
		{"en", "CONNECT_REFRESH_MARGIN (2m0s) is not shorter than LOCAL_CONNECT_ACCESS_TOKEN_TTL (2m0s): every page", "REDIS_URL is not set, so sessions are kept"},
		{"nb", "CONNECT_REFRESH_MARGIN (2m0s) er ikke kortere enn LOCAL_CONNECT_ACCESS_TOKEN_TTL (2m0s): hver side", "REDIS_URL er ikke satt, så øktene"},
	} {
		t.Run("in "+tt.lang, func(t *testing.T) {
			r := newBrowserSpeaking(t, tt.lang).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", r, http.StatusOK)
			for _, want := range []string{tt.want1, tt.want2} {
				if !strings.Contains(html.UnescapeString(r.body), want) {
					t.Errorf("GET /setup in %s: no %q", tt.lang, want)
				}
			}
		})
	}
}
