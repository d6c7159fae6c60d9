//go:build chromium

package localconnect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPhoneLayout opens every page of the stand-in in headless Chromium at
// 390x844, a phone, and checks that nothing scrolls sideways, no control
// sticks out of the screen and no short code word breaks. It is slow, so it
// runs only when asked (SCREENSHOTS=dir also keeps a screenshot of each):
//
//	go test -tags chromium -run TestPhoneLayout -v ./localconnect
func TestPhoneLayout(t *testing.T) {
	exe := cmpOr(os.Getenv("CHROMIUM"), "/usr/bin/chromium")
	if _, err := os.Stat(exe); err != nil {
		t.Skipf("no Chromium at %s", exe)
	}
	rcv := newLogoutReceiver(t, http.StatusOK)
	e := newTestEnv(t, withBackchannel(rcv))
	// Two sessions, one ended, so the sessions page has rows and deliveries.
	first := e.codeFlow(confidentialClient, nil)
	e.get("/oauth/logout", url.Values{"id_token_hint": {first.IDToken}})
	e.codeFlow(confidentialClient, nil)

	_, challenge := pkcePair()
	login := authorizeQuery(publicClient, challenge)
	stepUp := authorizeQuery(publicClient, challenge)
	stepUp.Set("acr_values", "2")
	stepUp.Set("login_hint", DefaultUsers()[1].Email)
	norwegian := authorizeQuery(confidentialClient, challenge)
	norwegian.Set("ui_locales", "nb")
	badRedirect := authorizeQuery(publicClient, challenge)
	badRedirect.Set("redirect_uri", "https://public.example/a/rather/long/path/that/is/not/registered/anywhere?with=query&and=more")
	pages := []string{
		"/",
		"/oauth",
		"/oauth/sessions",
		"/oauth/authorize?" + login.Encode(),
		"/oauth/authorize?" + stepUp.Encode(),
		"/oauth/authorize?" + norwegian.Encode(),
		"/oauth/authorize?" + badRedirect.Encode(),
		"/oauth/authorize?client_id=nobody-with-a-long-client-id-that-goes-on-and-on",
		"/oauth/logout?post_logout_redirect_uri=" + url.QueryEscape(postLogoutRedirect),
		"/oauth/a/path/that/does/not/exist/and/is/long/enough/to/need/wrapping",
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(390, 844))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}

	// Every problem on the page, as text; none is an empty list.
	const check = `(() => {
		const problems = [];
		const w = window.innerWidth;
		if (document.documentElement.scrollWidth > w) problems.push("page is " + document.documentElement.scrollWidth + " px wide");
		for (const el of document.querySelectorAll("a, button, input, label, select, textarea")) {
			const r = el.getBoundingClientRect();
			if (r.width > 0 && (r.left < 0 || r.right > w + 0.5)) problems.push(el.tagName + " '" + el.textContent.trim().slice(0, 40) + "' spans " + Math.round(r.left) + ".." + Math.round(r.right));
		}
		for (const el of document.querySelectorAll("code")) {
			if (el.textContent.length <= 20 && el.getClientRects().length > 1) problems.push("code '" + el.textContent + "' breaks");
		}
		return problems;
	})()`
	shots := os.Getenv("SCREENSHOTS")
	for i, path := range pages {
		if err := chromedp.Do(tab, chromedp.Navigate(e.url+path)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		problems, err := chromedp.Run(tab, chromedp.Evaluate[[]string](check))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		width, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Logf("%-60.60s scrollWidth %d, innerWidth 390", path, width)
		if shots != "" {
			png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
			if err == nil {
				err = os.WriteFile(filepath.Join(shots, fmt.Sprintf("standin-phone-%02d.png", i)), png, 0o644)
			}
			if err != nil {
				t.Errorf("screenshot of %s: %v", path, err)
			}
		}
		if len(problems) > 0 {
			t.Errorf("%s at 390x844:\n  %s", path, strings.Join(problems, "\n  "))
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
