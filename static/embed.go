// Package static holds the site's CSS and images, embedded in the binary so
// the app needs no CDN and no files beside it.
package static

import (
	"embed"
	"net/http"
	"strings"
)

//go:embed *.css *.svg
var files embed.FS

// Handler serves the files. They change only with a new build, so browsers
// may keep them for an hour.
func Handler() http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}
