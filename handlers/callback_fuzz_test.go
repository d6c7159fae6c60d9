package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzCallbackQuery sends the callback every query the fuzzer makes up,
// with a login in progress in the browser: whatever the query, the answer
// is never a panic or a 5xx, except the 503 that passes on CONNECT's own
// "temporarily unavailable". "STATE" in a query stands for the state of
// that login, so the fuzzer reaches the code exchange and the error
// handling, not only the state check. Seeds: testdata/fuzz/FuzzCallbackQuery.
func FuzzCallbackQuery(f *testing.F) {
	site := newTestSite(f, siteOptions{rateLimitPerAddress: 1 << 30})
	app := site.app.Config.Handler

	f.Fuzz(func(t *testing.T, rawQuery string) {
		login := httptest.NewRecorder()
		app.ServeHTTP(login, httptest.NewRequest(http.MethodGet, "/login", nil))
		authorize, err := url.Parse(login.Header().Get("Location"))
		if login.Code != http.StatusFound || err != nil {
			t.Fatalf("GET /login = %d to %q, want a redirect to CONNECT", login.Code, login.Header().Get("Location"))
		}
		state := authorize.Query().Get("state")

		r := httptest.NewRequest(http.MethodGet, "/connect/oauth2callback", nil)
		r.URL.RawQuery = strings.ReplaceAll(rawQuery, "STATE", url.QueryEscape(state))
		r.RequestURI = r.URL.RequestURI()
		for _, c := range login.Result().Cookies() {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		app.ServeHTTP(w, r) // a panic is caught and answered 500

		connectError := r.URL.Query().Get("error")
		connectUnavailable := connectError == "temporarily_unavailable" || connectError == "server_error"
		if w.Code >= 500 && !(w.Code == http.StatusServiceUnavailable && connectUnavailable) {
			t.Fatalf("callback with query %q = %d, want no 5xx\n%s", r.URL.RawQuery, w.Code, w.Body)
		}
	})
}
