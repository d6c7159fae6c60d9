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
	long := strings.Repeat("ø", maxLoggedValue) // two bytes each
	got := ClipForLog(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "…[400 bytes]") || len(got) > maxLoggedValue+20 {
		t.Errorf("ClipForLog(400 bytes of ø) = %q, want valid UTF-8, at most %d bytes and the full length", got, maxLoggedValue)
	}
}
