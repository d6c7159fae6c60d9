package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func TestLogsStayBoundedWhateverTheVisitorSends(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	huge := strings.Repeat("A", 900<<10)
	const budget = 4 << 10

	t.Run("a 900 KB path", func(t *testing.T) {
		before := len(site.logs.String())
		wantStatus(t, "GET a 900 KB path", newBrowser(t).get(site.app.URL+"/"+huge), http.StatusNotFound)
		if added := len(site.logs.String()) - before; added > budget {
			t.Errorf("the request added %d bytes of log, want at most %d", added, budget)
		}
	})
	t.Run("a 900 KB error from CONNECT", func(t *testing.T) {
		b := newBrowser(t)
		state := query(t, b.startLogin(site, ""), "state")
		before := len(site.logs.String())
		r := b.get(site.app.URL + "/connect/oauth2callback?state=" + state + "&error=" + huge)
		wantStatus(t, "callback with a 900 KB error", r, http.StatusBadRequest)
		if added := len(site.logs.String()) - before; added > budget {
			t.Errorf("the callback added %d bytes of log, want at most %d", added, budget)
		}
	})
}
