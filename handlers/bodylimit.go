package handlers

import (
	"errors"
	"mime"
	"net/http"

	"github.com/telenordigital/connect-web-sample/connectweb"
)

// maxRequestBody bounds every request body the app reads. Our forms carry
// a few short fields; the largest body anyone sends us is CONNECT's logout
// token, a signed JWT of a few hundred bytes.
const maxRequestBody = 16 << 10

// limitBodies reads and checks the form of every POST (and PUT, PATCH)
// before any handler sees it, so that no handler can be made to read
// more:
//
//   - a body over maxRequestBody is refused with 413, unread where its
//     length is announced;
//   - a body that is not application/x-www-form-urlencoded is refused with
//     415. Go's r.FormValue would otherwise parse multipart/form-data of
//     any size into temporary files, and those of a request copied by
//     r.WithContext (as middleware does) are never deleted.
//
// The form it parses stays on the request, so handlers' r.PostFormValue
// and r.FormValue use it and parse nothing themselves.
func (app *App) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			next.ServeHTTP(w, r) // Go reads no form from other methods' bodies
			return
		}
		if r.ContentLength > maxRequestBody {
			app.serveError(w, r, errBodyTooLarge)
			return
		}
		if r.ContentLength != 0 && !isURLEncodedForm(r.Header.Get("Content-Type")) {
			app.serveError(w, r, failure(http.StatusUnsupportedMediaType, "form_not_plain"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		if err := r.ParseForm(); err != nil {
			if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
				app.serveError(w, r, errBodyTooLarge)
				return
			}
			app.serveError(w, r, &connectweb.Failure{Status: http.StatusBadRequest, Code: "form_unreadable", Err: err})
			return
		}
		next.ServeHTTP(w, r)
	})
}

var errBodyTooLarge = failure(http.StatusRequestEntityTooLarge, "form_too_large")

func isURLEncodedForm(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/x-www-form-urlencoded"
}
