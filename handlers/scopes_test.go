package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var scopeRowHTML = regexp.MustCompile(`<tr id="scope-([^"]+)">([\s\S]*?)</tr>`)

// cells are a table row's cells, tags removed, spaces collapsed.
func cells(row string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<td[^>]*>([\s\S]*?)</td>`).FindAllStringSubmatch(row, -1) {
		text := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], "")
		out = append(out, strings.Join(strings.Fields(text), " "))
	}
	return out
}

// TestScopesSection is step 6's home: /profile#scopes shows what the app
// requests, what each scope gives, what CONNECT granted this session and
// what each granted scope brought in userinfo's answer.
func TestScopesSection(t *testing.T) {
	// The stand-in grants openid, profile, email and phone, and drops any
	// other scope, as CONNECT would drop one the client is not registered
	// for. This app asks for a resource server's scope it will not get, and
	// not for profile or phone.
	site := newTestSite(t, siteOptions{scopes: []string{"openid", "email", "id.user.read"}})
	b := newBrowser(t)
	r := b.logIn(site, "/profile", true)
	wantStatus(t, "GET /profile", r, http.StatusOK)

	rows := map[string][]string{}
	var order []string
	for _, m := range scopeRowHTML.FindAllStringSubmatch(sectionOf(t, r.body, "scopes"), -1) {
		rows[m[1]] = cells(m[2])
		order = append(order, m[1])
	}

	t.Run("lists CONNECT's scopes, then the others the app requests", func(t *testing.T) {
		want := []string{"openid", "profile", "email", "phone", "address", "id.user.read"}
		if strings.Join(order, " ") != strings.Join(want, " ") {
			t.Errorf("got rows %v, want %v", order, want)
		}
	})
	for _, tc := range []struct {
		scope string
		want  []string // scope, gives, requested, granted, brought
	}{
		{"openid", []string{"openid", "sub", "yes", "yes", "sub"}},
		{"email", []string{"email", "email, email_verified", "yes", "yes", "email, email_verified"}},
		{"profile", []string{"profile", "name, locale", "no", "no", "—"}},
		{"phone", []string{"phone", "phone_number, phone_number_verified", "no", "no", "—"}},
		{"address", []string{"address", "—", "no", "no", "—"}},
		{"id.user.read", []string{"id.user.read", "none: not a userinfo scope", "yes", "no not granted", "—"}},
	} {
		t.Run("shows for "+tc.scope+": what it gives, requested, granted, what it brought", func(t *testing.T) {
			got, ok := rows[tc.scope]
			if !ok || len(got) != len(tc.want) {
				t.Fatalf("got row %q, want %d cells", got, len(tc.want))
			}
			for i, want := range tc.want {
				if !strings.HasPrefix(got[i], want) {
					t.Errorf("cell %d = %q, want it to start with %q", i, got[i], want)
				}
			}
		})
	}
	t.Run("says how to request more", func(t *testing.T) {
		section := sectionOf(t, r.body, "scopes")
		for _, want := range []string{"<code>CONNECT_SCOPES</code>", "register the scope", "Log in again"} {
			if !strings.Contains(section, want) {
				t.Errorf("the scopes section does not say %q", want)
			}
		}
	})
	t.Run("is linked from /setup and /session", func(t *testing.T) {
		for _, path := range []string{"/setup", "/session"} {
			page := b.get(site.app.URL + path)
			wantStatus(t, "GET "+path, page, http.StatusOK)
			if !strings.Contains(page.body, `href="/profile#scopes"`) {
				t.Errorf("%s does not link to /profile#scopes", path)
			}
		}
	})
}
