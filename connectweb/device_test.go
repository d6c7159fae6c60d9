package connectweb

import "testing"

const (
	firefoxOnLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	safariOnIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
	chromeOnWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36"
	edgeOnWindows    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0"
	chromeOnAndroid  = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36"
	unknownUserAgent = "curl/8.14.1"
)

func TestDeviceOf(t *testing.T) {
	for ua, want := range map[string]string{
		firefoxOnLinux:   "Firefox on Linux",
		safariOnIPhone:   "Safari on iOS",
		chromeOnWindows:  "Chrome on Windows",
		edgeOnWindows:    "Edge on Windows",
		chromeOnAndroid:  "Chrome on Android",
		unknownUserAgent: " on ",
	} {
		d := deviceOf(ua)
		if got := d.Browser + " on " + d.Platform; got != want {
			t.Errorf("deviceOf(%q) = %q, want %q", ua, got, want)
		}
	}
}
