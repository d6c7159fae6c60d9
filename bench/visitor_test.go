package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// visitor is one browser: a cookie jar, and redirects followed one at a
// time so that each hop's status is checked, as in handlers/site_test.go.
type visitor struct {
	client  *http.Client
	baseURL string
}

func newVisitor(baseURL string, transport http.RoundTripper) *visitor {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &visitor{baseURL: baseURL, client: &http.Client{
		Transport:     transport,
		Jar:           jar,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// newTransport keeps enough idle connections that each goroutine reuses
// its own, so the numbers are not dominated by new TCP connections.
func newTransport(b *testing.B) *http.Transport {
	t := &http.Transport{MaxIdleConns: 100, MaxIdleConnsPerHost: 100, IdleConnTimeout: 90 * time.Second}
	b.Cleanup(t.CloseIdleConnections)
	return t
}

// loggedIn returns a visitor who has just logged in.
func (app *appProcess) loggedIn(b *testing.B) *visitor {
	b.Helper()
	v := newVisitor(app.baseURL, newTransport(b))
	if err := v.logIn(); err != nil {
		b.Fatalf("%v\nthe app's output:\n%s", err, app.log)
	}
	return v
}

// get fetches one of the app's pages and checks its status.
func (v *visitor) get(path string, want int) error {
	_, err := v.send(http.MethodGet, v.baseURL+path, nil, want, io.Discard)
	return err
}

// page fetches one of the app's pages, which must answer 200, and returns
// its body.
func (v *visitor) page(path string) ([]byte, error) {
	var body bytes.Buffer
	_, err := v.send(http.MethodGet, v.baseURL+path, nil, http.StatusOK, &body)
	return body.Bytes(), err
}

// cookies are those the browser sends to the app.
func (v *visitor) cookies() []*http.Cookie {
	u, _ := url.Parse(v.baseURL) // checked when the visitor first used it
	return v.client.Jar.Cookies(u)
}

// cookiesFrom fetches one of the app's pages and returns the cookies it sets.
func (v *visitor) cookiesFrom(path string) ([]*http.Cookie, error) {
	resp, err := v.client.Get(v.baseURL + path)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp.Cookies(), nil
}

// send makes one request (a form POST when form is not nil), copies the
// body to body, and checks the status. It returns the Location header,
// resolved against the request's URL.
func (v *visitor) send(method, rawURL string, form url.Values, want int, body io.Writer) (location string, err error) {
	var reqBody io.Reader
	if form != nil {
		reqBody = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, reqBody)
	if err != nil {
		return "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(body, resp.Body); err != nil {
		return "", fmt.Errorf("%s %s: reading the body: %w", method, rawURL, err)
	}
	if resp.StatusCode != want {
		return "", fmt.Errorf("%s %s = %d, want %d", method, rawURL, resp.StatusCode, want)
	}
	loc, err := resp.Location()
	if errors.Is(err, http.ErrNoLocation) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return loc.String(), nil
}

var requestIDField = regexp.MustCompile(`name="request_id"[^>]*value="([^"]+)"`)

// benchUser is the stand-in's test user the benchmark logs in as: Lars,
// whom no test uses. On a shared Redis (no redis-server installed) the
// tests share it with the benchmark, and a back-channel logout naming
// only a user ends every session of that user there; with a user of its
// own, neither ends the other's sessions.
func benchUser() localconnect.User { return localconnect.DefaultUsers()[3] }

// logIn walks the whole login from /login to the protected page as
// benchUser, without "Stay signed in".
func (v *visitor) logIn() error {
	authorize, err := v.send(http.MethodGet, v.baseURL+"/login?return_to=/protected", nil, http.StatusFound, io.Discard)
	if err != nil {
		return err
	}
	var page bytes.Buffer
	if _, err := v.send(http.MethodGet, authorize, nil, http.StatusOK, &page); err != nil {
		return fmt.Errorf("stand-in login page: %w", err)
	}
	m := requestIDField.FindSubmatch(page.Bytes())
	if m == nil {
		return fmt.Errorf("the stand-in's login page has no request_id field:\n%s", page.Bytes())
	}
	user := benchUser()
	form := url.Values{"request_id": {string(m[1])}, "user": {user.Sub}, "action": {"login"}}
	formURL, err := url.Parse(authorize)
	if err != nil {
		return err
	}
	formURL.RawQuery = "" // the form posts back to the authorization endpoint
	callback, err := v.send(http.MethodPost, formURL.String(), form, http.StatusFound, io.Discard)
	if err != nil {
		return fmt.Errorf("stand-in login form: %w", err)
	}
	landing, err := v.send(http.MethodGet, callback, nil, http.StatusSeeOther, io.Discard)
	if err != nil {
		return fmt.Errorf("callback: %w", err)
	}
	page.Reset()
	if _, err := v.send(http.MethodGet, landing, nil, http.StatusOK, &page); err != nil {
		return err
	}
	if !bytes.Contains(page.Bytes(), []byte(user.Name)) {
		return fmt.Errorf("the page after login, %s, does not name %s:\n%s", landing, user.Name, page.Bytes())
	}
	return nil
}
