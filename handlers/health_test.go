package handlers

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestReadyzAnswersInTimeWhenRedisHangs(t *testing.T) {
	// A Redis that accepts connections and never says a word: go-redis
	// waits out its read timeouts and retries, far past readyTimeout.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	hanging := redis.NewClient(&redis.Options{Addr: ln.Addr().String()})
	t.Cleanup(func() { hanging.Close() })
	site := newTestSite(t, siteOptions{redis: hanging})

	start := time.Now()
	r := newBrowser(t).get(site.app.URL + "/readyz")
	took := time.Since(start)
	wantStatus(t, "GET /readyz while Redis hangs", r, http.StatusServiceUnavailable)
	if !strings.Contains(r.body, "Redis") || strings.Contains(r.body, "CONNECT") {
		t.Errorf("/readyz said %q, want it to name Redis only", r.body)
	}
	if took > readyTimeout+500*time.Millisecond {
		t.Errorf("/readyz took %s, want an answer within about %s", took, readyTimeout)
	}
}

func TestSetupPageFollowsTheSetting(t *testing.T) {
	t.Run("served when the setting says so", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		r := newBrowser(t).get(site.app.URL + "/setup")
		wantStatus(t, "GET /setup", r, http.StatusOK)
		if !strings.Contains(r.body, testClientID) {
			t.Errorf("the setup page does not show the client id %q:\n%s", testClientID, r.body)
		}
	})
	t.Run("otherwise a plain 404", func(t *testing.T) {
		site := newTestSite(t, siteOptions{noSetupPage: true})
		r := newBrowser(t).get(site.app.URL + "/setup")
		wantStatus(t, "GET /setup with SETUP_PAGE off", r, http.StatusNotFound)
		if !strings.Contains(r.body, "Page not found") || strings.Contains(r.body, testClientID) {
			t.Errorf("want the plain 404 page, got:\n%s", r.body)
		}
	})
}
