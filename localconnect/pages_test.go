package localconnect

import (
	"html"
	"net/http"
	"strings"
	"testing"
)

// TestRootAndNotFoundPagesLinkOnwards checks that a visitor who lands on
// the stand-in's address, or on a wrong path under it, is shown the way to
// the app, the sessions page and discovery.
func TestRootAndNotFoundPagesLinkOnwards(t *testing.T) {
	e := newTestEnv(t)
	links := []string{
		`href="https://public.example/"`,
		`href="https://confidential.example/"`,
		`href="/oauth/sessions"`,
		`href="/oauth/.well-known/openid-configuration"`,
	}
	tests := []struct {
		path       string
		wantStatus int
		wantText   string
	}{
		{"/", http.StatusOK, texts("en").Root.Intro},
		{"/oauth", http.StatusOK, texts("en").Root.Intro},
		{"/oauth/", http.StatusOK, texts("en").Root.Intro},
		{"/nothing-here", http.StatusNotFound, "The CONNECT ID stand-in has nothing at /nothing-here."},
		{"/oauth/nothing-here", http.StatusNotFound, "The CONNECT ID stand-in has nothing at /oauth/nothing-here."},
		{"/oauth/static/", http.StatusNotFound, "has nothing at /oauth/static/."},
		{"/oauth/static/missing.css", http.StatusNotFound, "has nothing at /oauth/static/missing.css."},
	}
	for _, tt := range tests {
		t.Run("GET "+tt.path+" links to the app, the sessions page and discovery", func(t *testing.T) {
			resp := e.in(t).get(tt.path, nil)
			if resp.status != tt.wantStatus {
				t.Errorf("GET %s = %d, want %d", tt.path, resp.status, tt.wantStatus)
			}
			for _, want := range append([]string{tt.wantText, banner, "The app (public-app): https://public.example/"}, links...) {
				if !strings.Contains(html.UnescapeString(resp.body), want) {
					t.Errorf("GET %s lacks %q", tt.path, want)
				}
			}
		})
	}

	t.Run("an issuer without a path has its root page at /", func(t *testing.T) {
		e := newTestEnv(t, func(o *Options) { o.Issuer = strings.TrimSuffix(o.Issuer, "/oauth") })
		resp := e.get("/", nil)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `href="/sessions"`) {
			t.Errorf("GET / = %d, links to /sessions %v; want 200 with the link", resp.status, strings.Contains(resp.body, `href="/sessions"`))
		}
	})
}
