package handlers

import (
	"html/template"
	"testing"
)

func TestBreakURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want template.HTML
	}{
		{"http://localhost:8082/oauth/authorize", "<span>http://</span><wbr><span>localhost:8082/</span><wbr><span>oauth/</span><wbr><span>authorize</span>"},
		{"https://a.example/cb?x=1&y=<b>", "<span>https://</span><wbr><span>a.example/</span><wbr><span>cb?</span><wbr><span>x=</span><wbr><span>1&amp;</span><wbr><span>y=</span><wbr><span>&lt;b&gt;</span>"},
		{"/path/", "<span>/</span><wbr><span>path/</span>"},
		{"/a?redirect_uri=http%3A%2F%2Fx%2fcb-y", "<span>/</span><wbr><span>a?</span><wbr><span>redirect_uri=</span><wbr><span>http%3A%2F%2F</span><wbr><span>x%2f</span><wbr><span>cb-y</span>"},
		{"/a%2", "<span>/</span><wbr><span>a%2</span>"},
		{"", ""},
	} {
		if got := breakURL(tc.in); got != tc.want {
			t.Errorf("breakURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
