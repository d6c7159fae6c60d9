package connectweb

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClipForLog(t *testing.T) {
	if got := ClipForLog("short"); got != "short" {
		t.Errorf("ClipForLog(short) = %q, want it unchanged", got)
	}
	// One byte first, so the cut at maxLoggedValue falls inside an ø
	// (two bytes each) and must step back to the character's start.
	long := "a" + strings.Repeat("ø", maxLoggedValue)
	got := ClipForLog(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…[401 bytes]") || len(got) > maxLoggedValue+20 {
		t.Errorf("ClipForLog(a and 400 bytes of ø) = %q, want valid UTF-8, at most %d bytes and the full length", got, maxLoggedValue)
	}
}
