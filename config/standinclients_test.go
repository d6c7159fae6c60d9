package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// exampleMinimal is the client LOCAL_CONNECT_CLIENTS registers by default.
var exampleMinimal = LocalConnectClient{
	ID:                     "example-minimal",
	Secret:                 "example-minimal-secret",
	RedirectURIs:           []string{"http://localhost:8083/connect/oauth2callback"},
	PostLogoutRedirectURIs: []string{"http://localhost:8083/connect/logoutcallback"},
	BackchannelLogoutURI:   "http://localhost:8083/connect/backchannellogout",
}

func TestLoadReadsLocalConnectClients(t *testing.T) {
	shop := LocalConnectClient{
		ID:                     "my-shop",
		Secret:                 "s3cret",
		RedirectURIs:           []string{"http://localhost:9000/callback"},
		PostLogoutRedirectURIs: []string{"http://localhost:9000/"},
		BackchannelLogoutURI:   "http://localhost:9000/bcl",
	}
	const shopValue = "id=my-shop,secret=s3cret,redirect=http://localhost:9000/callback,post_logout=http://localhost:9000/,backchannel=http://localhost:9000/bcl"
	tests := []struct {
		name    string
		vars    map[string]string
		envFile string // content of a .env file; "" for none
		want    []LocalConnectClient
	}{
		{"unset, it registers examples/minimal's client", nil, "", []LocalConnectClient{exampleMinimal}},
		{"set to empty, it registers none", map[string]string{"LOCAL_CONNECT_CLIENTS": ""}, "", nil},
		{"set to none, it registers none", map[string]string{"LOCAL_CONNECT_CLIENTS": "none"}, "", nil},
		{"set to NONE, it registers none", map[string]string{"LOCAL_CONNECT_CLIENTS": " NONE "}, "", nil},
		{"set to empty in .env, it registers none", nil, "LOCAL_CONNECT_CLIENTS=\n", nil},
		{"set to empty in the environment, it wins over .env", map[string]string{"LOCAL_CONNECT_CLIENTS": ""},
			"LOCAL_CONNECT_CLIENTS=" + shopValue + "\n", nil},
		{"set in .env, it reads the file", nil, "LOCAL_CONNECT_CLIENTS=" + shopValue + "\n", []LocalConnectClient{shop}},
		{"a client with every field", map[string]string{"LOCAL_CONNECT_CLIENTS": shopValue}, "", []LocalConnectClient{shop}},
		{"a public client with a redirect URI alone", map[string]string{"LOCAL_CONNECT_CLIENTS": "id=spa,redirect=https://spa.example.com/cb"}, "",
			[]LocalConnectClient{{ID: "spa", RedirectURIs: []string{"https://spa.example.com/cb"}}}},
		{"several URIs, repeated or separated by |", map[string]string{"LOCAL_CONNECT_CLIENTS": "id=a,redirect=http://localhost:1/cb|http://127.0.0.1:1/cb,redirect=https://a.example/cb,post_logout=http://localhost:1/|http://localhost:1/bye,post_logout=https://a.example/"}, "",
			[]LocalConnectClient{{ID: "a",
				RedirectURIs:           []string{"http://localhost:1/cb", "http://127.0.0.1:1/cb", "https://a.example/cb"},
				PostLogoutRedirectURIs: []string{"http://localhost:1/", "http://localhost:1/bye", "https://a.example/"}}}},
		{"clients separated by ; with spaces around the parts", map[string]string{"LOCAL_CONNECT_CLIENTS": " id=a , redirect=http://localhost:1/cb ; id=b,secret=b-secret,redirect=http://localhost:2/cb; "}, "",
			[]LocalConnectClient{{ID: "a", RedirectURIs: []string{"http://localhost:1/cb"}},
				{ID: "b", Secret: "b-secret", RedirectURIs: []string{"http://localhost:2/cb"}}}},
		{"clients on lines of their own, as a compose file's block writes them", map[string]string{"LOCAL_CONNECT_CLIENTS": "id=a,redirect=http://localhost:1/cb\nid=b,redirect=http://localhost:2/cb\n"}, "",
			[]LocalConnectClient{{ID: "a", RedirectURIs: []string{"http://localhost:1/cb"}}, {ID: "b", RedirectURIs: []string{"http://localhost:2/cb"}}}},
		{"a client with the app's id when a real CONNECT is used, which never sees it",
			map[string]string{"CONNECT_ISSUER": "https://connect.telenordigital.com/oauth", "CONNECT_CLIENT_ID": "partner-web",
				"APP_BASE_URL": "https://sample.example.com", "LOCAL_CONNECT_CLIENTS": "id=partner-web,redirect=http://localhost:1/cb"}, "",
			[]LocalConnectClient{{ID: "partner-web", RedirectURIs: []string{"http://localhost:1/cb"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envFile := ""
			if tt.envFile != "" {
				envFile = writeEnvFile(t, tt.envFile)
			}
			c, err := Load(env(tt.vars), envFile)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(c.LocalConnectClients, tt.want) {
				t.Errorf("LocalConnectClients = %+v\nwant                  %+v", c.LocalConnectClients, tt.want)
			}
		})
	}
}

func TestLoadRejectsBadLocalConnectClients(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		wantLines []string
	}{
		{"a client without an id", "secret=x,redirect=http://localhost:1/cb",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client 1: id is required, as in id=my-shop,redirect=http://localhost:9000/callback`}},
		{"a client without a redirect URI", "id=a,secret=x",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": needs at least one redirect URI, as in redirect=http://localhost:9000/callback`}},
		{"the same id twice", "id=a,redirect=http://localhost:1/cb;id=a,redirect=http://localhost:2/cb",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": is listed twice; every client needs an id of its own`}},
		{"the app's own client id", "id=sample-web,redirect=http://localhost:1/cb",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "sample-web": is the app's own client (CONNECT_CLIENT_ID); give the other app an id of its own`}},
		{"a relative redirect URI", "id=a,redirect=/callback",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": redirect must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "/callback"`}},
		{"a redirect URI with a fragment", "id=a,redirect=http://localhost:1/cb#top",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": redirect must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "http://localhost:1/cb#top"`}},
		{"a redirect URI of another scheme", "id=a,redirect=myapp://callback",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": redirect must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "myapp://callback"`}},
		{"an empty URI between two |", "id=a,redirect=http://localhost:1/cb||http://localhost:1/cb2",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": redirect must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got ""`}},
		{"a bad post-logout URI", "id=a,redirect=http://localhost:1/cb,post_logout=localhost:1/",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": post_logout must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "localhost:1/"`}},
		{"a bad back-channel URI", "id=a,redirect=http://localhost:1/cb,backchannel=bcl",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": backchannel must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "bcl"`}},
		{"two back-channel URIs", "id=a,redirect=http://localhost:1/cb,backchannel=http://localhost:1/b,backchannel=http://localhost:1/c",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": backchannel is given twice`}},
		{"an unknown key, without showing its value", "id=a,redirect=http://localhost:1/cb,secrte=hunter2",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": field 3 has the unknown key "secrte"; want id, secret, redirect, post_logout or backchannel`}},
		{"a field that is not key=value, without showing it", "id=a,redirect=http://localhost:1/cb,hunter2",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": field 3 is not key=value with a value, as in redirect=http://localhost:9000/callback`}},
		{"a URI with a space in it", "id=a,redirect=http://localhost:1/my callback",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": redirect must not contain spaces (write %20), got "http://localhost:1/my callback"`}},
		{"an id with a space in it", "id=my shop,redirect=http://localhost:1/cb",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client 1: id must not contain spaces, got "my shop"`}},
		{"every bad client, each on its own line", "id=a;id=b,redirect=ftp://b/;id=c,redirect=http://localhost:3/cb",
			[]string{`config: LOCAL_CONNECT_CLIENTS: client "a": needs at least one redirect URI, as in redirect=http://localhost:9000/callback`,
				`config: LOCAL_CONNECT_CLIENTS: client "b": redirect must be an absolute http(s) URL without a fragment, such as http://localhost:9000/callback, got "ftp://b/"`}},
	}
	for _, tt := range tests {
		t.Run("it rejects "+tt.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{"LOCAL_CONNECT_CLIENTS": tt.value}), "")
			if err == nil {
				t.Fatalf("Load succeeded, want errors %q", tt.wantLines)
			}
			got := strings.Split(err.Error(), "\n")
			if !reflect.DeepEqual(got, tt.wantLines) {
				t.Errorf("got errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantLines, "\n"))
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows a value that may be a secret", err)
			}
		})
	}
}

func TestLocalConnectClientErrorsNeverShowTheSecret(t *testing.T) {
	_, err := Load(env(map[string]string{"LOCAL_CONNECT_CLIENTS": "id=a,secret=hunter2,secret=hunter3,redirect=nope"}), "")
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	if strings.Contains(err.Error(), "hunter") {
		t.Errorf("error %q shows the client secret", err)
	}
}

func TestLogValueNamesTheStandInClientsWithoutSecrets(t *testing.T) {
	c, err := Load(env(map[string]string{
		"LOCAL_CONNECT_CLIENTS": "id=my-shop,secret=shop-secret-value,redirect=http://localhost:9000/callback;id=my-spa,redirect=http://localhost:5173/cb",
	}), "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "config", c)
	if got := buf.String(); !strings.Contains(got, `config.stand_in_clients="my-shop my-spa"`) || strings.Contains(got, "shop-secret-value") {
		t.Errorf("log line %q: want config.stand_in_clients=\"my-shop my-spa\" and no client secret", got)
	}
}
