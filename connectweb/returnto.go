package connectweb

import (
	"net/url"
	"strings"
)

// maxReturnPathLength keeps a return path from bloating the login cookie.
const maxReturnPathLength = 256

// SafeReturnPath returns raw if it is a path on this site, and "/"
// otherwise. return_to arrives in a URL anyone can craft; redirecting to it
// unchecked would make the login an open redirect ("log in, then land on a
// look-alike site"). "//host" and "/\host" are refused because browsers
// read them as another host.
func SafeReturnPath(raw string) string {
	if raw == "" || len(raw) > maxReturnPathLength || raw[0] != '/' ||
		strings.HasPrefix(raw, "//") || strings.HasPrefix(raw, "/\\") {
		return "/"
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	// Decoded, "/%5Cevil.example" is "/\evil.example". Browsers keep the
	// escape, but a proxy or framework in front of a partner's app might not.
	if strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/\\") {
		return "/"
	}
	// Returning to the login machinery itself would start another login.
	if u.Path == "/login" || strings.HasPrefix(u.Path, "/connect/") {
		return "/"
	}
	return raw
}
