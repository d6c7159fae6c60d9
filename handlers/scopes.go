package handlers

import (
	"slices"
	"strings"

	"github.com/telenordigital/connect-web-sample/connect"
)

// Scopes (step 6 of CONNECT's guide) have one home, the #scopes section of
// /profile: it is the one page that holds userinfo's answer, so it can show
// not only what each scope should give but what it brought in this
// session. /setup and /session link there.

// knownScopes are CONNECT's scopes for a web client, and the userinfo
// claims each gives (CONNECT.md, "Scopes and claims"). Note is a
// catalogue key (locales/en.toml).
var knownScopes = []struct {
	Name   string
	Claims []string
	Note   string
}{
	{"openid", []string{"sub"}, "scopes.note_openid"},
	{"profile", []string{"name", "locale"}, ""},
	{"email", []string{"email", "email_verified"}, "scopes.note_email"},
	{"phone", []string{"phone_number", "phone_number_verified"}, "scopes.note_phone"},
	{"address", nil, "scopes.note_address"},
}

// scopeRow is one scope as the #scopes section shows it.
type scopeRow struct {
	Name      string
	Gives     []string // userinfo claims the scope gives
	Note      string   // a catalogue key, or ""
	Known     bool     // false: a scope outside knownScopes, e.g. for a resource server
	Requested bool     // in CONNECT_SCOPES
	Granted   bool     // in the scope CONNECT granted this session
	// Brought are the claims userinfo returned for this scope just now;
	// claims with an empty or false value are not told apart from absent
	// ones, so they are left out.
	Brought []string
}

// scopeRows lays out every scope that is known, requested or granted: what
// it gives, and what it brought in userinfo's answer.
func scopeRows(requested []string, granted string, info *connect.UserInfo) []scopeRow {
	grantedScopes := strings.Fields(granted)
	present := map[string]bool{"sub": info.Subject != ""}
	for name, value := range map[string]any{
		"name": info.Name, "locale": info.Locale,
		"email": info.Email, "email_verified": info.EmailVerified,
		"phone_number": info.PhoneNumber, "phone_number_verified": info.PhoneNumberVerified,
	} {
		present[name] = value != "" && value != false
	}

	var rows []scopeRow
	seen := map[string]bool{}
	for _, k := range knownScopes {
		row := scopeRow{Name: k.Name, Gives: k.Claims, Note: k.Note, Known: true,
			Requested: slices.Contains(requested, k.Name), Granted: slices.Contains(grantedScopes, k.Name)}
		if row.Granted {
			for _, c := range k.Claims {
				if present[c] {
					row.Brought = append(row.Brought, c)
				}
			}
		}
		rows = append(rows, row)
		seen[k.Name] = true
	}
	for _, s := range slices.Concat(requested, grantedScopes) {
		if !seen[s] {
			seen[s] = true
			rows = append(rows, scopeRow{Name: s, Requested: slices.Contains(requested, s), Granted: slices.Contains(grantedScopes, s)})
		}
	}
	return rows
}
