package connectweb

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeReturnPath checks that whatever return_to a visitor crafts, the
// login never sends the browser to another host. Seeds: the tricks in
// testdata/fuzz/FuzzSafeReturnPath.
func FuzzSafeReturnPath(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		got := SafeReturnPath(raw)
		if got != "/" && got != raw {
			t.Fatalf("SafeReturnPath(%q) = %q, want the input or /", raw, got)
		}
		if other := browserSeesAnotherHost(got); other {
			t.Fatalf("SafeReturnPath(%q) = %q, which a browser reads as another host", raw, got)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("SafeReturnPath(%q) = %q, which holds a control character (a header could be split)", raw, got)
			}
		}
		if again := SafeReturnPath(got); again != got {
			t.Fatalf("SafeReturnPath(%q) = %q, but SafeReturnPath of that = %q", raw, got, again)
		}
	})
}

// browserSeesAnotherHost reports whether a browser redirected to location
// from a page of ours might go to another host. It reads location as the
// WHATWG URL standard has browsers do, in the parts that matter: spaces
// and control characters at either end are dropped, tabs and newlines
// anywhere are dropped, and a backslash counts as a slash. Then only a
// path ("/...", but not "//...", which names a host) stays on our host.
// It also refuses a path whose percent-decoding starts with "//": a proxy
// in front of the app might decode it.
func browserSeesAnotherHost(location string) bool {
	s := strings.TrimFunc(location, func(r rune) bool { return r <= ' ' })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(s)
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return true
	}
	if decoded, err := url.PathUnescape(s); err == nil {
		decoded = strings.ReplaceAll(decoded, `\`, "/")
		return strings.HasPrefix(decoded, "//")
	}
	return false
}
