package connectweb

import (
	"strconv"
	"unicode/utf8"
)

// maxLoggedValue is how much of a value a visitor chose (a path, a
// method, an error code in a query) goes into a log line. Without a bound,
// a visitor's 900 KB path would cost the log 900 KB per line it appears in.
const maxLoggedValue = 200

// ClipForLog returns s, cut to maxLoggedValue bytes (at a character
// boundary) and marked with its full length when it is longer.
func ClipForLog(s string) string {
	if len(s) <= maxLoggedValue {
		return s
	}
	cut := maxLoggedValue
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)) + " bytes]"
}
