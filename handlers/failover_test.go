package handlers

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// TestSentinelFailoverLosesNoSession logs a user in against a master that
// Sentinel watches, makes sure the replica has the writes, has Sentinel
// promote the replica, and keeps visiting at a steady pace. Requests
// during the switch may get the 503 page; once the app's client has found
// the new master every request succeeds, and the user is still logged in.
//
// It moves the master, which would disturb other tests using the same
// Sentinel, so .ci/run runs it on its own (REDIS_SENTINEL_FAILOVER=1).
func TestSentinelFailoverLosesNoSession(t *testing.T) {
	url := os.Getenv("REDIS_SENTINEL_URL")
	if url == "" || os.Getenv("REDIS_SENTINEL_FAILOVER") != "1" {
		t.Skip("needs REDIS_SENTINEL_URL and REDIS_SENTINEL_FAILOVER=1 (.ci/run sets both)")
	}
	var rdb redis.UniversalClient
	for _, b := range storetest.Backends() {
		if b.Name == "sentinel" {
			rdb = b.Open(t)
		}
	}
	opts, err := redis.ParseFailoverURL(url)
	if err != nil {
		t.Fatal(err)
	}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: opts.SentinelAddrs[0]})
	t.Cleanup(func() { sentinel.Close() })
	ctx := context.Background()
	masterBefore, err := sentinel.GetMasterAddrByName(ctx, opts.MasterName).Result()
	if err != nil {
		t.Fatal(err)
	}

	site := newTestSite(t, siteOptions{redis: rdb})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	if acked, err := rdb.(*redis.Client).Wait(ctx, 1, 5*time.Second).Result(); err != nil || acked < 1 {
		t.Fatalf("WAIT for the replica = %d, %v; want the login's writes on 1 replica", acked, err)
	}
	if err := sentinel.Failover(ctx, opts.MasterName).Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}

	deadline := time.Now().Add(45 * time.Second)
	var switched bool
	okSince := 0     // successful visits since the app reached the new master
	unavailable := 0 // 503 pages during the switch
	for okSince < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("no steady run of successful visits within 45 s of the failover (switched: %v)", switched)
		}
		if !switched {
			now, _ := sentinel.GetMasterAddrByName(ctx, opts.MasterName).Result()
			switched = strings.Join(now, ":") != strings.Join(masterBefore, ":")
		}
		// Each visit is due to move the idle timeout, so each one writes.
		site.clock.Advance(2 * time.Minute)
		r := b.get(site.app.URL + "/protected")
		switch {
		case r.status == http.StatusOK && strings.Contains(r.body, testUser().Name):
			if switched {
				okSince++
			}
		case r.status == http.StatusServiceUnavailable && okSince == 0:
			// The switch: allowed until the app has reached the new master.
			unavailable++
		case r.status == http.StatusFound:
			t.Fatalf("the user was logged out by the failover (a session was lost)")
		default:
			t.Fatalf("visit %d after the new master answered: %d, want 200", okSince+1, r.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	master, _ := sentinel.GetMasterAddrByName(ctx, opts.MasterName).Result()
	t.Logf("master moved from %s to %s; %d visits got the 503 page during the switch, then 20 in a row succeeded, still logged in",
		strings.Join(masterBefore, ":"), strings.Join(master, ":"), unavailable)
}
