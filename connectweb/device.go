package connectweb

import (
	"strings"

	"github.com/telenordigital/connect-web-sample/store"
)

// deviceOf names the browser and platform a User-Agent header claims, in
// the coarse words the sessions page shows ("Firefox", "Android"), so a
// user can tell their sessions apart. Nothing depends on it being true:
// the header is the browser's to write. Only the names are kept, not the
// header, which is detailed enough to help track a person.
func deviceOf(userAgent string) store.Device {
	return store.Device{Browser: firstMatch(userAgent, browsers), Platform: firstMatch(userAgent, platforms)}
}

type uaMarker struct{ marker, name string }

// Order matters: Edge and Opera also claim to be Chrome, Chrome claims to
// be Safari, iPads may claim to be Macs, Android claims to be Linux.
var (
	browsers = []uaMarker{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
		{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"},
		{"Chrome/", "Chrome"}, {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
	}
	platforms = []uaMarker{
		{"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"Windows", "Windows"},
		{"CrOS", "ChromeOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"},
	}
)

func firstMatch(userAgent string, markers []uaMarker) string {
	for _, m := range markers {
		if strings.Contains(userAgent, m.marker) {
			return m.name
		}
	}
	return ""
}
