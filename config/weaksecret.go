package config

import (
	"fmt"
	"slices"
)

// examplePlaceholders are the values this repository's examples show for
// SESSION_SECRET and SESSION_SECRET_PREVIOUS (config.example.env,
// docs/production.md). Copied as they are, they are secrets every reader
// of the repository knows. TestEveryExamplePlaceholderIsRefused keeps this
// list in step with those files.
var examplePlaceholders = []string{
	"paste-the-output-of-openssl-rand-base64-48-here",
	"paste-the-output-of-openssl-rand-base64-48",
	"the-secret-that-was-SESSION_SECRET-before",
}

// Thresholds of secretWeakness, on the secret as written.
const (
	minDistinctBytes = 10 // fewer different bytes than this is refused
	maxRunLength     = 9  // a run of one byte longer than this is refused
)

// secretWeakness says why a session secret of at least minSecretLen bytes
// is too weak to use, or returns "" when it is not.
//
// The secret is all that stands between Redis and the sessions in it:
// whoever can read Redis and knows the secret decrypts every user's
// tokens, and whoever can write to it forges sessions for any user. So a
// secret a person typed or copied from an example is refused at start-up
// rather than trusted. The rules look at the secret as written, byte by
// byte, and refuse:
//
//   - a placeholder from this repository's examples, known to everyone
//     who has read them;
//   - fewer than 10 different bytes: a tiny alphabet ("aaaa…", "abab…");
//   - one byte making up more than a third of it: mostly one key held down;
//   - one byte 10 or more times in a row: a pad to reach the length;
//   - a shorter piece repeated to reach the length, such as
//     "1234567890" three times and a bit.
//
// The numbers are set so that what the docs tell operators to run always
// passes: `openssl rand -base64 48` (64 characters of 64) and
// `openssl rand -hex 32` (64 characters of 16). Hex, the tighter of the
// two, has fewer than 10 different characters with probability about
// 1e-12, one character more than a third of the time about 3e-10, a run
// of 10 about 8e-10, and a repeated piece (two copies or more, so at
// least 32 characters that must match) 16^-32. Stricter numbers
// (a quarter, a run of 8) would refuse about one hex secret in 200,000.
func secretWeakness(s string) string {
	if slices.Contains(examplePlaceholders, s) {
		return "is the placeholder from the repository's examples, not a secret"
	}
	var counts [256]int
	distinct, most, run, longestRun := 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		b := s[i]
		if counts[b] == 0 {
			distinct++
		}
		counts[b]++
		most = max(most, counts[b])
		if i > 0 && s[i-1] == b {
			run++
		} else {
			run = 1
		}
		longestRun = max(longestRun, run)
	}
	switch {
	case distinct < minDistinctBytes:
		return fmt.Sprintf("has only %d different bytes, want at least %d", distinct, minDistinctBytes)
	case most*3 > len(s):
		return fmt.Sprintf("has one byte making up %d of its %d bytes, more than a third", most, len(s))
	case longestRun > maxRunLength:
		return fmt.Sprintf("has one byte %d times in a row, want at most %d", longestRun, maxRunLength)
	}
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return fmt.Sprintf("is a piece of %d bytes repeated, not random", p)
		}
	}
	return ""
}
