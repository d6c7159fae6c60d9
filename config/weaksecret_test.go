package config

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Secrets for tests only, made with openssl rand -base64 48.
const (
	strongSecret         = "kTHCtKZbt7yM1Yvw97AGwm7U3J1nLJ9d+HBmVmQ7B6Os8jdm1Af6PnVJuR4Oizjp"
	strongPreviousSecret = "7PAsi2xsvoWfBKd0s9rnNTLECJ3IcIsNo3aMYE8u0VU8pbAHndzpxdz7Tc3Z5H5/"
)

// deployment is a setup that needs a secret of its own: real CONNECT, an
// https base URL, a real Redis.
func deployment(changes map[string]string) map[string]string {
	vars := map[string]string{
		"CONNECT_ISSUER":    "https://connect.telenordigital.com/oauth",
		"CONNECT_CLIENT_ID": "partner-web",
		"APP_BASE_URL":      "https://sample.example.com",
		"REDIS_URL":         "redis://redis:6379/0",
	}
	for k, v := range changes {
		vars[k] = v
	}
	return vars
}

// weakSecrets are 32 bytes or more, so only secretWeakness stands in their
// way; wantRule is a piece of the error that says which rule refused it.
var weakSecrets = []struct {
	name, secret, wantRule string
}{
	{"the placeholder in config.example.env", "paste-the-output-of-openssl-rand-base64-48-here", "placeholder"},
	{"the placeholder in docs/production.md", "paste-the-output-of-openssl-rand-base64-48", "placeholder"},
	{"the placeholder for the previous secret", "the-secret-that-was-SESSION_SECRET-before", "placeholder"},
	{"32 times a", strings.Repeat("a", 32), "only 1 different bytes"},
	{"hex words from six letters", "feedfacedeadbeefbadcafefacadebad", "only 6 different bytes"},
	{"one byte in every other place", "xaxbxcxdxexfxgxhxixjxkxlxmxnxoxp", "16 of its 32 bytes, more than a third"},
	{"a phrase padded with one byte", "correct-horse-battery-staple!!!!!!!!!!", "10 times in a row"},
	{"the digits counted up and repeated", "12345678901234567890123456789012", "a piece of 10 bytes repeated"},
	{"a password repeated to the length", "Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3-", "a piece of 12 bytes repeated"},
}

func TestWeakSessionSecretIsRefused(t *testing.T) {
	for _, tt := range weakSecrets {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			_, err := Load(env(deployment(map[string]string{"SESSION_SECRET": tt.secret})), "")
			checkRefusal(t, err, "config: SESSION_SECRET: ", tt.wantRule, tt.secret)
		})
	}
}

func TestWeakPreviousSessionSecretIsRefused(t *testing.T) {
	for _, tt := range weakSecrets {
		t.Run("it refuses "+tt.name, func(t *testing.T) {
			_, err := Load(env(deployment(map[string]string{"SESSION_SECRET": strongSecret, "SESSION_SECRET_PREVIOUS": tt.secret})), "")
			checkRefusal(t, err, "config: SESSION_SECRET_PREVIOUS: ", tt.wantRule, tt.secret)
		})
	}
}

// checkRefusal checks that err is one line naming the variable and the
// rule, tells how to make a good secret, and does not show the secret.
func checkRefusal(t *testing.T, err error, wantPrefix, wantRule, secret string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Load succeeded, want an error starting %q", wantPrefix)
	}
	got := err.Error()
	if strings.Contains(got, "\n") {
		t.Errorf("error has several lines:\n%s\nwant one line", got)
	}
	if !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("got error %q, want it to start with %q", got, wantPrefix)
	}
	if !strings.Contains(got, wantRule) {
		t.Errorf("got error %q, want it to say %q", got, wantRule)
	}
	if !strings.Contains(got, "openssl rand -base64 48") {
		t.Errorf("got error %q, want it to give the command that makes a secret", got)
	}
	if strings.Contains(got, secret) {
		t.Errorf("error %q shows the secret", got)
	}
}

func TestSecretWeaknessLetsTheEdgesPass(t *testing.T) {
	tests := []struct{ name, secret string }{
		{"exactly 10 different bytes", "0918273645546372819001928374655647382910"},
		{"one byte exactly a third of it", "xabxcdxefxghxijxklxmnxopxqrxstxuv"},
		{"a run of 9", "correct-horse-battery-staple!!!!!!!!!"},
		{"a piece repeated less than twice", "Tr0ub4dor&3-Tr0ub4dor&3-X=+/%$@abcdefgh"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" passes", func(t *testing.T) {
			if got := secretWeakness(tt.secret); got != "" {
				t.Errorf("secretWeakness(%q) = %q, want \"\"", tt.secret, got)
			}
		})
	}
}

// TestOpenSSLSecretsAlwaysPass makes secrets the way the docs tell
// operators to, many times over: none may be refused.
func TestOpenSSLSecretsAlwaysPass(t *testing.T) {
	const samples = 10_000
	generators := []struct {
		command string
		make    func([]byte) string
		size    int
	}{
		{"openssl rand -base64 48", base64.StdEncoding.EncodeToString, 48},
		{"openssl rand -hex 32", hex.EncodeToString, 32},
	}
	for _, g := range generators {
		t.Run(g.command+" passes", func(t *testing.T) {
			b := make([]byte, g.size)
			for range samples {
				rand.Read(b)
				s := g.make(b)
				if len(s) < minSecretLen {
					t.Fatalf("%s made %d bytes, want at least %d", g.command, len(s), minSecretLen)
				}
				if got := secretWeakness(s); got != "" {
					t.Fatalf("%s made %q, refused: %s", g.command, s, got)
				}
			}
			s := g.make(b)
			if _, err := Load(env(deployment(map[string]string{"SESSION_SECRET": s})), ""); err != nil {
				t.Errorf("Load with a secret from %s: %v", g.command, err)
			}
		})
	}
}

// TestEveryExamplePlaceholderIsRefused reads the values the repository
// shows for SESSION_SECRET and SESSION_SECRET_PREVIOUS: copied as they are,
// each must stop the app.
func TestEveryExamplePlaceholderIsRefused(t *testing.T) {
	files := []string{"../config.example.env", "../docker-compose.yml", "../README.md"}
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, docs...)
	assignment := regexp.MustCompile("SESSION_SECRET(?:_PREVIOUS)?=([^\\s`'\"]+)")
	seen := map[string]bool{}
	for _, f := range files {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range assignment.FindAllStringSubmatch(string(content), -1) {
			if v := m[1]; !strings.HasPrefix(v, "$") && !seen[v] {
				seen[v] = true
				for _, name := range []string{"SESSION_SECRET", "SESSION_SECRET_PREVIOUS"} {
					vars := deployment(map[string]string{"SESSION_SECRET": strongSecret, name: v})
					if _, err := Load(env(vars), ""); err == nil {
						t.Errorf("%s shows %s=%s, and Load accepts it", f, name, v)
					}
				}
			}
		}
	}
	if !seen["paste-the-output-of-openssl-rand-base64-48-here"] {
		t.Errorf("found %v in the examples, want config.example.env's placeholder among them", seen)
	}
}
