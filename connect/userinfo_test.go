package connect

import (
	"errors"
	"net/http"
	"testing"
)

func TestUserInfo(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the access token goes as a Bearer header, and the claims come back", func(t *testing.T) {
		info, err := client.UserInfo(t.Context(), login.Tokens.AccessToken, testSubject)
		if err != nil {
			t.Fatalf("UserInfo: %v", err)
		}
		if info.Subject != testSubject || info.Name != "Kari Nordmann" {
			t.Errorf("got %+v, want sub and name", info)
		}
		got := provider.requests("userinfo")
		if len(got) != 1 || got[0].header.Get("Authorization") != "Bearer "+login.Tokens.AccessToken {
			t.Error("want one request with Authorization: Bearer and the access token")
		}
	})
	t.Run("claims about another user are refused", func(t *testing.T) {
		if _, err := client.UserInfo(t.Context(), login.Tokens.AccessToken, "310000000002"); !errors.Is(err, ErrUserInfoSubMismatch) {
			t.Errorf("UserInfo = %v, want ErrUserInfoSubMismatch", err)
		}
	})
	t.Run("a token CONNECT refuses is ErrAccessTokenRejected", func(t *testing.T) {
		if _, err := client.UserInfo(t.Context(), "at-made-up", testSubject); !errors.Is(err, ErrAccessTokenRejected) {
			t.Errorf("UserInfo = %v, want ErrAccessTokenRejected", err)
		}
	})
	t.Run("a userinfo outage is ErrUnavailable", func(t *testing.T) {
		provider.fail("userinfo", http.StatusBadGateway)
		defer provider.fail("userinfo", 0)
		if _, err := client.UserInfo(t.Context(), login.Tokens.AccessToken, testSubject); !errors.Is(err, ErrUnavailable) {
			t.Errorf("UserInfo = %v, want ErrUnavailable", err)
		}
	})
	t.Run("another failing status is ErrBadResponse", func(t *testing.T) {
		provider.fail("userinfo", http.StatusNotFound)
		defer provider.fail("userinfo", 0)
		if _, err := client.UserInfo(t.Context(), login.Tokens.AccessToken, testSubject); !errors.Is(err, ErrBadResponse) {
			t.Errorf("UserInfo = %v, want ErrBadResponse", err)
		}
	})
}
