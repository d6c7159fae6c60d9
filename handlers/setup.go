package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/telenordigital/connect-web-sample/connect"
)

// handleSetup is GET /setup: steps 1 to 4 of CONNECT's guide for this
// app's configuration. What to register, the redirect URIs, the client's
// credentials (whether the secret is set, never the secret), the cURL
// commands to try CONNECT by hand, how the client authenticates, and
// whether discovery works.
func (app *App) handleSetup(w http.ResponseWriter, r *http.Request) error {
	return app.serveSetup(w, r, nil)
}

// serveSetup renders /setup, with the registration check's report when
// its button was pressed (setupcheck.go).
func (app *App) serveSetup(w http.ResponseWriter, r *http.Request, check *checkReport) error {
	page := setupPage{
		CheckOffered:          app.RegistrationCheck != nil,
		Check:                 check,
		RedirectURI:           app.Registration.RedirectURL,
		PostLogoutRedirectURI: app.Registration.PostLogoutRedirectURL,
		BackchannelLogoutURI:  app.Registration.BackchannelLogoutURL,
		InsecureBaseURL:       app.Registration.InsecureBaseURL,
		ClientID:              app.Connect.ClientID(),
		Confidential:          app.Connect.Confidential(),
		SSO:                   app.SSO,
		Scopes:                app.Scopes,
		Issuer:                app.Issuer,
		DiscoveryURL:          strings.TrimSuffix(app.Issuer, "/") + "/.well-known/openid-configuration",
		StandIn:               app.StandInURL != "",
	}
	tr := translatorFor(langOf(r.Context()))
	for _, w := range app.Warnings {
		page.Warnings = append(page.Warnings, tr.T(w.Key, w.Args...))
	}
	// A CONNECT that does not answer is exactly what this page must be able
	// to show, so a failed discovery is part of the page, not an error page.
	// Endpoints runs discovery if it has not succeeded yet.
	if endpoints, err := app.Connect.Endpoints(r.Context()); err != nil {
		app.Logger.Warn("setup page: discovery failed", "error", err, "request_id", requestID(r.Context()))
	} else {
		page.Endpoints, page.Discovered = endpoints, true
		// The cURL commands' login is one nobody started: its state, nonce
		// and verifier are shown to the partner and never kept by the app.
		authorizeURL, pending, err := app.Connect.AuthorizationURL(r.Context(), connect.AuthOptions{})
		if err != nil {
			return err
		}
		page.Curl = curlSteps(curlInput{
			ClientID:     page.ClientID,
			Confidential: page.Confidential,
			RedirectURI:  page.RedirectURI,
			DiscoveryURL: page.DiscoveryURL,
			Endpoints:    endpoints,
			AuthorizeURL: authorizeURL,
			Pending:      pending,
		})
	}
	app.render(w, r, http.StatusOK, "setup.html", page)
	return nil
}

// setupPage is what setup.html shows. It has no field for the client
// secret, so no template change can print it.
type setupPage struct {
	RedirectURI           string
	PostLogoutRedirectURI string
	BackchannelLogoutURI  string
	// InsecureBaseURL: CONNECT would refuse these http redirect URIs.
	InsecureBaseURL bool
	ClientID        string
	Confidential    bool
	SSO             bool
	Scopes          []string
	Issuer          string
	DiscoveryURL    string
	Discovered      bool
	Endpoints       connect.Endpoints
	StandIn         bool
	// Warnings are the configuration's, in the visitor's language.
	Warnings []string
	// Curl is step 3's commands; nil while discovery fails.
	Curl *curlPage
	// CheckOffered shows the registration check's button; Check is its
	// report, once pressed (setupcheck.go).
	CheckOffered bool
	Check        *checkReport
}

// The cURL commands (step 3 of CONNECT's guide). Telenor sends them with
// the credentials; /setup writes them for the configured client, so a
// partner can try every call by hand, in the order the app makes them.
// The secret is never on the page: the commands read it from the shell
// variable CONNECT_CLIENT_SECRET. Tokens and the code pass through shell
// variables too (CODE, ACCESS_TOKEN, REFRESH_TOKEN), which the partner
// sets from the answers.

// curlInput is what the commands are made of.
type curlInput struct {
	ClientID     string
	Confidential bool
	RedirectURI  string
	DiscoveryURL string
	// Endpoints.Introspection is "" when discovery lists none: the
	// introspect command is then left out.
	Endpoints connect.Endpoints
	// AuthorizeURL and Pending are a fresh authorization request: the URL
	// to open and its state, nonce and PKCE verifier.
	AuthorizeURL string
	Pending      connect.PendingLogin
}

// curlPage is the commands as setup.html shows them.
type curlPage struct {
	Confidential bool
	// The authorization request, opened in a browser rather than by curl.
	AuthorizeURL  string
	State         string
	Nonce         string
	CodeVerifier  string
	CodeChallenge string
	// Discovery comes before the browser step, the others after it.
	Discovery curlCommand
	Commands  []curlCommand
}

// curlCommand is one command, ready to paste into a POSIX shell. Its
// words are in the catalogues under setup.curl.{ID}.title and .then (what
// to do with the answer).
type curlCommand struct {
	ID      string // the page anchor, curl-{ID}
	Command string
}

func curlSteps(in curlInput) *curlPage {
	// clientAuth is step 4: HTTP Basic for a confidential client (curl -u
	// does the encoding), client_id in the body for a public one.
	clientAuth := "--data-urlencode " + shellQuote("client_id="+in.ClientID)
	if in.Confidential {
		clientAuth = "-u " + shellQuote(in.ClientID+":") + `"$CONNECT_CLIENT_SECRET"`
	}
	p := &curlPage{
		Confidential:  in.Confidential,
		AuthorizeURL:  in.AuthorizeURL,
		State:         in.Pending.State,
		Nonce:         in.Pending.Nonce,
		CodeVerifier:  in.Pending.CodeVerifier,
		CodeChallenge: oauth2.S256ChallengeFromVerifier(in.Pending.CodeVerifier),
		Discovery: curlCommand{ID: "discovery",
			Command: curlLines("", shellQuote(in.DiscoveryURL))},
	}
	p.Commands = append(p.Commands,
		curlCommand{ID: "exchange",
			Command: curlLines(clientAuth,
				"-d grant_type=authorization_code",
				`--data-urlencode code="$CODE"`,
				"--data-urlencode "+shellQuote("redirect_uri="+in.RedirectURI),
				"--data-urlencode "+shellQuote("code_verifier="+in.Pending.CodeVerifier),
				shellQuote(in.Endpoints.Token))},
		curlCommand{ID: "userinfo",
			Command: curlLines(`-H "Authorization: Bearer $ACCESS_TOKEN"`, shellQuote(in.Endpoints.UserInfo))},
		curlCommand{ID: "refresh",
			Command: curlLines(clientAuth,
				"-d grant_type=refresh_token",
				`--data-urlencode refresh_token="$REFRESH_TOKEN"`,
				shellQuote(in.Endpoints.Token))},
	)
	if in.Endpoints.Introspection != "" {
		p.Commands = append(p.Commands, curlCommand{ID: "introspect",
			Command: curlLines(clientAuth,
				`--data-urlencode token="$ACCESS_TOKEN"`,
				"-d token_type_hint=access_token",
				shellQuote(in.Endpoints.Introspection))})
	}
	p.Commands = append(p.Commands, curlCommand{ID: "revoke",
		Command: curlLines("-w "+shellQuote(`HTTP %{http_code}\n`)+" "+clientAuth,
			`--data-urlencode token="$REFRESH_TOKEN"`,
			"-d token_type_hint=refresh_token",
			shellQuote(in.Endpoints.Revocation))})
	return p
}

// curlLines is a curl command with one option per line, joined by
// backslash-newlines so the whole block pastes as one command.
func curlLines(args ...string) string {
	lines := []string{"curl -sS"}
	for _, a := range args {
		if a != "" {
			lines = append(lines, a)
		}
	}
	if len(lines) == 2 {
		return lines[0] + " " + lines[1]
	}
	return lines[0] + " " + strings.Join(lines[1:], " \\\n  ")
}

// shellQuote makes s one word for a POSIX shell: as it is when it holds
// only characters no shell treats specially, else in single quotes, inside
// which nothing is special except the single quote itself.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,/:=@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// authorizeParams lists the authorization request's parameters for the
// page, in the order CONNECT's guide names them.
func (p *curlPage) AuthorizeParams() []queryParam {
	u, err := url.Parse(p.AuthorizeURL)
	if err != nil {
		return nil
	}
	q := u.Query()
	var out []queryParam
	for _, name := range []string{"response_type", "client_id", "scope", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method"} {
		if v := q.Get(name); v != "" {
			out = append(out, queryParam{name, v})
		}
	}
	return out
}

type queryParam struct{ Name, Value string }
