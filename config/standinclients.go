package config

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// DefaultLocalConnectClients is LOCAL_CONNECT_CLIENTS's default: the
// client examples/minimal uses, so that example logs in against the
// stand-in with no setting of its own.
const DefaultLocalConnectClients = "id=example-minimal,secret=example-minimal-secret," +
	"redirect=http://localhost:8083/connect/oauth2callback," +
	"post_logout=http://localhost:8083/connect/logoutcallback," +
	"backchannel=http://localhost:8083/connect/backchannellogout"

// LocalConnectClient is one more client the stand-in registers beside the
// app's own, so another app (a partner's own, or examples/minimal) can
// log in against it. Its fields are those of a client registration.
type LocalConnectClient struct {
	ID string
	// Secret is empty for a public client (PKCE only, client_id in the
	// token request's body).
	Secret                 string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI is empty when the client takes no back-channel
	// logout.
	BackchannelLogoutURI string
}

// localConnectClients reads LOCAL_CONNECT_CLIENTS (the form is in
// docs/configuration.md, "Pointing your own app at the stand-in"):
//
//	id=my-shop,secret=s3cret,redirect=http://localhost:9000/callback;id=other,...
//
// Clients are separated by ";" or line breaks, fields by ","; redirect and
// post_logout may repeat, or hold several URIs separated by "|". Unset
// means the default; set but empty, or "none", means no extra client.
// Elsewhere empty means the default, but an empty list of clients reads
// most plainly as none.
//
// A secret is never repeated in an error, nor is the value of a field
// whose key is not known or missing (it may be a misspelt secret).
func (r *reader) localConnectClients(name, appClientID string, standIn bool) []LocalConnectClient {
	s, set := r.lookup(name)
	if !set {
		s = r.defaults[name]
	}
	if s == "" || strings.EqualFold(s, "none") {
		return nil
	}
	var clients []LocalConnectClient
	seen := make(map[string]bool)
	n := 0
	for _, entry := range strings.FieldsFunc(s, func(c rune) bool { return c == ';' || c == '\n' || c == '\r' }) {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		n++
		c, problems := parseLocalConnectClient(entry)
		label := fmt.Sprintf("client %d", n)
		if c.ID != "" {
			label = fmt.Sprintf("client %q", c.ID)
		}
		switch {
		case c.ID == "":
		case seen[c.ID]:
			problems = append(problems, "is listed twice; every client needs an id of its own")
		case standIn && c.ID == appClientID:
			problems = append(problems, "is the app's own client (CONNECT_CLIENT_ID); give the other app an id of its own")
		}
		seen[c.ID] = true
		for _, p := range problems {
			r.errorf(name, "%s: %s", label, p)
		}
		if len(problems) == 0 {
			clients = append(clients, c)
		}
	}
	return clients
}

// parseLocalConnectClient reads one client's comma-separated key=value
// fields and says what is wrong with them.
func parseLocalConnectClient(entry string) (LocalConnectClient, []string) {
	var c LocalConnectClient
	var problems []string
	idGiven := false
	once := func(field string, dst *string, value string) {
		if *dst != "" {
			problems = append(problems, field+" is given twice")
			return
		}
		*dst = value
	}
	for i, field := range strings.Split(entry, ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		key, value, ok := strings.Cut(field, "=")
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		if !ok || value == "" {
			problems = append(problems, fmt.Sprintf("field %d is not key=value with a value, as in redirect=http://localhost:9000/callback", i+1))
			continue
		}
		switch key {
		case "id":
			idGiven = true
			if strings.ContainsFunc(value, unicode.IsSpace) {
				problems = append(problems, fmt.Sprintf("id must not contain spaces, got %q", value))
				continue
			}
			once("id", &c.ID, value)
		case "secret":
			once("secret", &c.Secret, value)
		case "redirect":
			c.RedirectURIs = append(c.RedirectURIs, strings.Split(value, "|")...)
		case "post_logout":
			c.PostLogoutRedirectURIs = append(c.PostLogoutRedirectURIs, strings.Split(value, "|")...)
		case "backchannel":
			once("backchannel", &c.BackchannelLogoutURI, value)
		default:
			problems = append(problems, fmt.Sprintf("field %d has the unknown key %q; want id, secret, redirect, post_logout or backchannel", i+1, key))
		}
	}
	if !idGiven {
		problems = append(problems, "id is required, as in id=my-shop,redirect=http://localhost:9000/callback")
	}
	if len(c.RedirectURIs) == 0 {
		problems = append(problems, "needs at least one redirect URI, as in redirect=http://localhost:9000/callback")
	}
	for _, uri := range c.RedirectURIs {
		problems = append(problems, checkClientURI("redirect", uri)...)
	}
	for _, uri := range c.PostLogoutRedirectURIs {
		problems = append(problems, checkClientURI("post_logout", uri)...)
	}
	if c.BackchannelLogoutURI != "" {
		problems = append(problems, checkClientURI("backchannel", c.BackchannelLogoutURI)...)
	}
	return c, problems
}

// checkClientURI checks a URI the stand-in compares exactly and redirects
// to (or posts to): absolute http(s), and no fragment, which OAuth 2.0
// forbids in a redirect URI (RFC 6749 3.1.2).
func checkClientURI(key, uri string) []string {
	if strings.ContainsFunc(uri, unicode.IsSpace) {
		return []string{fmt.Sprintf("%s must not contain spaces (write %%20), got %q", key, uri)}
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Fragment != "" || strings.Contains(uri, "#") {
		return []string{fmt.Sprintf("%s must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got %q", key, uri)}
	}
	return nil
}
