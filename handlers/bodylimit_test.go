package handlers

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
)

// postRoutes are the app's POST routes. The limit is on every POST,
// whatever route answers it (or none).
var postRoutes = []string{"/logout", "/refresh", "/connect/backchannellogout", "/sessions/end"}

func TestRequestBodiesAreBounded(t *testing.T) {
	// Before the server parses anything: os.TempDir, where Go's multipart
	// parser would leave its files, reads TMPDIR.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	site := newTestSite(t, siteOptions{})
	visitors := map[string]*browser{"anonymous": newBrowser(t), "logged in": newBrowser(t)}
	visitors["logged in"].logIn(site, "/protected", true)

	t.Run("a 200 MB file upload to any POST route leaves no file behind and costs no memory", func(t *testing.T) {
		before := heapAfterGC()
		answered := 0
		for who, b := range visitors {
			for _, route := range postRoutes {
				for _, announced := range []bool{true, false} {
					status, err := b.postUpload(site.app.URL+route, 200<<20, announced)
					if err != nil {
						// The app answers without reading the body, and may
						// hang up while it is still being sent.
						continue
					}
					answered++
					// Announced, the length alone is over the limit (413);
					// chunked, the multipart type is refused first (415).
					want := map[bool]int{true: http.StatusRequestEntityTooLarge, false: http.StatusUnsupportedMediaType}[announced]
					if status != want {
						t.Errorf("%s upload to %s (length announced: %v) = %d, want %d", who, route, announced, status, want)
					}
				}
			}
		}
		if answered == 0 {
			t.Error("no upload got an answer, want the app to answer them")
		}
		after := heapAfterGC()
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			t.Errorf("the uploads left %d files in the temp directory, want none: %s, ...", len(left), left[0].Name())
		}
		const slack = 4 << 20
		if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > slack {
			t.Errorf("heap in use grew by %d bytes, want at most %d", grew, slack)
		}
		if grew := int64(after.Sys) - int64(before.Sys); grew > slack {
			t.Errorf("memory from the OS grew by %d bytes, want at most %d", grew, slack)
		}
	})

	t.Run("an url-encoded form over the limit is refused with 413", func(t *testing.T) {
		big := url.Values{"everywhere": {strings.Repeat("1", maxRequestBody)}}
		for _, route := range postRoutes {
			r := visitors["logged in"].post(site.app.URL+route, big)
			wantStatus(t, "POST "+route+" with a form over the limit", r, http.StatusRequestEntityTooLarge)
			if !strings.Contains(r.body, "Form too large") {
				t.Errorf("the 413 page does not say why:\n%s", r.body)
			}
		}
	})

	t.Run("a body of another type is refused with 415", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, site.app.URL+"/logout", strings.NewReader(`{"everywhere":"1"}`))
		req.Header.Set("Content-Type", "application/json")
		wantStatus(t, "POST /logout with JSON", visitors["logged in"].do(req), http.StatusUnsupportedMediaType)
	})

	t.Run("the forms themselves still work", func(t *testing.T) {
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		wantStatus(t, "POST /refresh", b.post(site.app.URL+"/refresh", nil), http.StatusSeeOther)
		r := b.post(site.app.URL+"/logout", url.Values{"everywhere": {"1"}})
		wantStatus(t, "POST /logout everywhere=1", r, http.StatusSeeOther)
		if !strings.HasPrefix(r.location, site.provider.Issuer()+"/logout?") {
			t.Errorf("logout everywhere went to %q, want CONNECT's end-session endpoint: the form field was not read", r.location)
		}
	})
}

// postUpload posts a multipart/form-data body with one file of size
// zeros, made as it is sent, so the test holds none of it in memory. With
// announced, the request says its length up front, as curl -F does;
// otherwise it is sent in chunks of unknown total length.
func (b *browser) postUpload(rawURL string, size int64, announced bool) (status int, err error) {
	b.t.Helper()
	const boundary = "soakboundary"
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\n" +
		"Content-Type: application/octet-stream\r\n\r\n"
	tail := "\r\n--" + boundary + "--\r\n"
	body := io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, size), strings.NewReader(tail))
	req, err := http.NewRequest(http.MethodPost, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	if announced {
		req.ContentLength = int64(len(head)) + size + int64(len(tail))
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func heapAfterGC() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
