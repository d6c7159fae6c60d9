package handlers

import (
	"html/template"
	"strings"
)

// breakURL writes a URL shown on a page so that a narrow screen wraps it
// between its parts, after a /, ?, & or = (or one of them percent-encoded,
// %2F, %3F, %26, %3D, as in a redirect_uri inside a query), and nowhere
// else: not in the middle of a word ("…/oauth/authori" then "ze"), and
// not after a hyphen, where a browser would otherwise break ("openid-"
// then "configuration") and a reader would take the hyphen for the
// line's. Each part is a <span> that static/app.css keeps on one line
// (.url > span), with a <wbr> between parts; a slash followed by another
// ends no part, so "https://" stays whole. Copying the URL copies it as
// it is: neither adds a character.
func breakURL(s string) template.HTML {
	var b strings.Builder
	b.Grow(len(s) * 2)
	start := 0
	for i := 0; i < len(s); i++ {
		end := i + 1 // where a part ending here ends
		switch s[i] {
		case '/', '?', '&', '=':
		case '%':
			// The same four, percent-encoded, as in a redirect_uri value.
			if i+3 > len(s) || !isEncodedBreak(s[i+1:i+3]) {
				continue
			}
			end = i + 3
		default:
			continue
		}
		if end < len(s) && s[end] != '/' && !strings.HasPrefix(strings.ToUpper(s[end:]), "%2F") {
			b.WriteString("<span>" + template.HTMLEscapeString(s[start:end]) + "</span><wbr>")
			start = end
		}
		i = end - 1
	}
	if start < len(s) {
		b.WriteString("<span>" + template.HTMLEscapeString(s[start:]) + "</span>")
	}
	return template.HTML(b.String())
}

// isEncodedBreak reports whether hex, the two digits after a %, encodes
// one of the characters breakURL breaks after.
func isEncodedBreak(hex string) bool {
	switch strings.ToUpper(hex) {
	case "2F", "3F", "26", "3D":
		return true
	}
	return false
}
