package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Sessions written through the store's own code, with the calls the app
// makes at login: what Redis holds per session, and whether a page view
// slows down when Redis holds many.

// BenchmarkBytesPerSession writes one session with realistic token sizes
// (a 1 KB ID token; access and refresh tokens of 40, then of 800 bytes)
// and adds up the MEMORY USAGE of every key it wrote, against the bytes
// of the tokens and claims it holds.
func BenchmarkBytesPerSession(b *testing.B) {
	env := setUp(b)
	runPart(b, func(b *testing.B) []metric {
		rdb := env.redis.client
		var rows []row
		var metrics []metric
		for _, size := range []int{40, 800} {
			// A prefix of its own, so that the keys under it are this
			// session's and nothing else's.
			prefix := "bench-bytes-" + randomText(8) + ":"
			sessions := newSessions(b, rdb, prefix)
			login := realisticLogin(1, size, size)
			if _, err := writeSession(sessions, login); err != nil {
				b.Fatal(err)
			}
			keys := keysMatching(b, rdb, prefix+"*")
			used, listing := memoryUsage(b, rdb, keys)
			rdb.Del(context.Background(), keys...)

			held := storedBytes(login)
			x := float64(used) / float64(held)
			rows = append(rows, row{
				fmt.Sprintf("Redis bytes per session written by this checkout's store: 1 KB ID token, %d-byte access and refresh tokens", size),
				fmt.Sprintf("%s in %s, for %s of tokens and claims = **%s ×**", bytesOf(used), listing, bytesOf(held), ratio(x)),
				"≤ 1.5 ×"})
			metrics = append(metrics, metric{float64(used), fmt.Sprintf("B/session-%d", size)}, metric{x, fmt.Sprintf("x-held-%d", size)})
		}
		// The same through the app's binary, whichever it is: what one
		// real login adds to Redis, with the stand-in's tokens. Only on a
		// Redis of the benchmark's own, where every change is the login's.
		// The user has logged in before, so the login adds to a set of
		// theirs that exists already.
		if env.redis.own() {
			before := memoryByKey(b, rdb)
			env.app.loggedIn(b)
			after := memoryByKey(b, rdb)
			var added int64
			var listing []string
			for _, key := range slices.Sorted(maps.Keys(after)) {
				switch grown := after[key] - before[key]; {
				case before[key] == 0:
					listing = append(listing, "`"+shortKey(key)+"` "+bytesOf(grown))
				case grown != 0:
					listing = append(listing, "`"+shortKey(key)+"` "+fmt.Sprintf("%+d B", grown))
				default:
					continue
				}
				added += after[key] - before[key]
			}
			rows = append(rows, row{"Redis bytes one more login through the app adds (the stand-in's tokens)",
				fmt.Sprintf("%s: %s", bytesOf(added), strings.Join(listing, ", ")), ""})
			metrics = append(metrics, metric{float64(added), "B/login"})
		}
		results.set(partBytes, rows...)
		return metrics
	})
}

// BenchmarkManySessions is GET /protected under load with 1,000 sessions
// in Redis, and with 100,000 (BENCH_SESSIONS), written through the store.
// With redis-server installed each count has a Redis and an app of its
// own, and the rounds are interleaved; on a shared Redis the two run one
// after the other.
func BenchmarkManySessions(b *testing.B) {
	env := setUp(b)
	runPart(b, func(b *testing.B) []metric {
		s := settings(b)
		const few = 1000
		many := 100_000
		if v := os.Getenv("BENCH_SESSIONS"); v != "" {
			var err error
			if many, err = strconv.Atoi(v); err != nil || many <= few {
				b.Fatalf("BENCH_SESSIONS=%q: want a whole number above %d", v, few)
			}
		}

		var fewRuns, manyRuns []loadResult
		var keys [2]int64
		how := "interleaved, each on a Redis and an app of its own"
		if env.redis.own() {
			fewRedis, manyRedis := env.ownRedis(b), env.ownRedis(b)
			start := time.Now()
			writeSessions(b, fewRedis.client, 0, few)
			token := writeSessions(b, manyRedis.client, 0, many)
			b.Logf("wrote %d sessions through the store in %s", few+many, time.Since(start).Round(time.Millisecond))
			fewApp, manyApp := env.partApp(b, fewRedis), env.partApp(b, manyRedis)
			env.checkReadable(b, manyApp, token)
			fewVisitor, manyVisitor := fewApp.loggedIn(b), manyApp.loggedIn(b)
			for range s.rounds {
				fewRuns = append(fewRuns, loadPage(b, fewApp.process, fewRedis, fewApp.baseURL+"/protected", fewVisitor.cookies(), s))
				manyRuns = append(manyRuns, loadPage(b, manyApp.process, manyRedis, manyApp.baseURL+"/protected", manyVisitor.cookies(), s))
			}
			keys = [2]int64{fewRedis.client.DBSize(context.Background()).Val(), manyRedis.client.DBSize(context.Background()).Val()}
		} else {
			how = "one after the other, on the shared Redis (no redis-server to give each count its own)"
			v := env.app.loggedIn(b)
			writeSessions(b, env.redis.client, 0, few)
			for range s.rounds {
				fewRuns = append(fewRuns, loadPage(b, env.app.process, env.redis, env.app.baseURL+"/protected", v.cookies(), s))
			}
			keys[0] = env.redis.client.DBSize(context.Background()).Val()
			token := writeSessions(b, env.redis.client, few, many-few)
			env.checkReadable(b, env.app, token)
			for range s.rounds {
				manyRuns = append(manyRuns, loadPage(b, env.app.process, env.redis, env.app.baseURL+"/protected", v.cookies(), s))
			}
			keys[1] = env.redis.client.DBSize(context.Background()).Val()
		}

		f, m := summarize(fewRuns), summarize(manyRuns)
		counts := thousands(few) + " · " + thousands(int64(many))
		p50, p99 := float64(m.p50)/float64(f.p50), float64(m.p99)/float64(f.p99)
		results.set(partManySessions,
			row{"`/protected` p50 with " + counts + " sessions in Redis",
				fmt.Sprintf("%s · %s = **%s ×**", duration(f.p50), duration(m.p50), ratio(p50)), "≤ 1.25 ×"},
			row{"`/protected` p99 with " + counts + " sessions",
				fmt.Sprintf("%s · %s = **%s ×**", duration(f.p99), duration(m.p99), ratio(p99)), "≤ 1.25 ×"},
			row{"`/protected` req/s with " + counts + " sessions", perSecond(f.perSecond) + " · " + perSecond(m.perSecond), ""},
			row{"keys in Redis then (DBSIZE); how the runs were made", thousands(keys[0]) + " · " + thousands(keys[1]) + "; " + how, ""},
		)
		return []metric{{float64(f.p50.Nanoseconds()), "p50-ns-few"}, {float64(m.p50.Nanoseconds()), "p50-ns-many"}, {p50, "x-few-p50"}}
	})
}

// ownRedis starts a redis-server for this benchmark only.
func (env *environment) ownRedis(b *testing.B) *benchRedis {
	b.Helper()
	r, err := startOwnRedis(env.dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := r.stop(); err != nil {
			b.Error(err)
		}
	})
	return r
}

// partApp starts another app, on r, for this benchmark only.
func (env *environment) partApp(b *testing.B, r *benchRedis) *appProcess {
	b.Helper()
	app, err := env.startApp(r.url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := app.stop(); err != nil {
			b.Error(err)
		}
	})
	return app
}

// checkReadable shows that the sessions written here are real ones: the
// app serves /protected to the cookie of one of them. Another binary
// (BENCH_APP_BINARY) may keep sessions in another layout; its sessions
// then only fill Redis, which is what the count is about.
func (env *environment) checkReadable(b *testing.B, app *appProcess, token string) {
	b.Helper()
	v := newVisitor(app.baseURL, newTransport(b))
	req, _ := http.NewRequest(http.MethodGet, app.baseURL+"/protected", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: token})
	resp, err := v.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if env.builtHere {
			b.Fatalf("GET /protected with a session written through the store = %d, want 200", resp.StatusCode)
		}
		b.Logf("%s does not read the sessions this checkout's store writes (GET /protected = %d); they only fill Redis", env.appBinary, resp.StatusCode)
	}
}

// newSessions is the store as the app builds it, with the app's secret,
// over rdb, with every key under prefix ("" for the app's own).
func newSessions(b *testing.B, rdb redis.UniversalClient, prefix string) *store.Sessions {
	b.Helper()
	secrets, err := store.NewSecrets([]byte(sessionSecret), nil)
	if err != nil {
		b.Fatal(err)
	}
	sessions, err := store.NewSessions(store.SessionOptions{
		Redis: rdb, Secrets: secrets, KeyPrefix: prefix,
		// Shorter than the app's 30 minutes, so that on a shared Redis the
		// benchmark's sessions are gone soon after the run.
		IdleTimeout: 10 * time.Minute,
		Lifetime:    time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	return sessions
}

// writeSession does to the store what the callback does at login: load an
// empty session, log the user in, and save it as the response would. It
// returns the session's cookie value.
func writeSession(sessions *store.Sessions, login store.NewLogin) (token string, err error) {
	ctx, err := sessions.Manager.Load(context.Background(), "")
	if err != nil {
		return "", err
	}
	if _, err := sessions.LogIn(ctx, login); err != nil {
		return "", err
	}
	sessions.BeforeSave(ctx, login.At)
	token, _, err = sessions.Manager.Commit(ctx)
	return token, err
}

// writeSessions writes n sessions, of users from+1 to from+n, 32 at a time,
// under the app's prefix, with tokens of realistic, varied sizes. It
// returns the cookie value of one of them.
func writeSessions(b *testing.B, rdb redis.UniversalClient, from, n int) (token string) {
	b.Helper()
	sessions := newSessions(b, rdb, "")
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range 32 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(from+n) {
					return
				}
				t, err := writeSession(sessions, realisticLogin(int(i), 40+mathrand.IntN(761), 40+mathrand.IntN(761)))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				token = t
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		b.Fatalf("write sessions: %v", firstErr)
	}
	return token
}

// realisticLogin is a login by user n with the claims the stand-in gives
// (and CONNECT: name, td_au, acr, amr, sid, ...), a 1 KB ID token, and
// access and refresh tokens of the sizes given.
func realisticLogin(n, accessBytes, refreshBytes int) store.NewLogin {
	now := time.Now()
	claims := connect.Claims{
		Issuer:          "https://connect.telenordigital.com/oauth",
		Subject:         fmt.Sprintf("2%011d", n),
		Audience:        []string{benchClientID},
		AuthorizedParty: benchClientID,
		Nonce:           randomText(22),
		IssuedAt:        connect.NumericDate(now.Unix()),
		Expiry:          connect.NumericDate(now.Add(time.Hour).Unix()),
		Profile:         connect.Profile{Name: fmt.Sprintf("Bench User %d", n)},
		ACR:             "2",
		AMR:             []string{"UID_PWD"},
		AuthTime:        connect.NumericDate(now.Unix()),
		Username:        fmt.Sprintf("bench.user.%d@example.no", n),
		SessionID:       randomText(22),
	}
	return store.NewLogin{
		Claims: claims,
		Tokens: connect.TokenSet{
			AccessToken:  randomText(accessBytes),
			TokenType:    "Bearer",
			RefreshToken: randomText(refreshBytes),
			// A signed JWT's three parts: header, claims, RS256 signature.
			IDToken: randomText(100) + "." + randomText(580) + "." + randomText(342),
			Expiry:  now.Add(time.Hour),
			Scope:   "openid profile email phone",
		},
		At:     now,
		Device: store.Device{Browser: "Firefox", Platform: "Linux"},
	}
}

// storedBytes is what a session holds that the app needs: its tokens and
// its claims (as JSON).
func storedBytes(login store.NewLogin) int64 {
	claims, _ := json.Marshal(login.Claims) // plain values: cannot fail
	t := login.Tokens
	return int64(len(t.IDToken) + len(t.AccessToken) + len(t.RefreshToken) + len(claims))
}

// randomText is n random characters of base64url, as tokens are made of.
func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// keysMatching lists the keys that match pattern.
func keysMatching(b *testing.B, rdb *redis.Client, pattern string) []string {
	b.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		b.Fatal(err)
	}
	return keys
}

// memoryUsage adds up MEMORY USAGE of keys, and lists them with their
// sizes, hashed parts of their names shortened: "session:{…} 2,345 B".
func memoryUsage(b *testing.B, rdb *redis.Client, keys []string) (int64, string) {
	b.Helper()
	slices.Sort(keys)
	var total int64
	var listing []string
	for _, key := range keys {
		n, err := rdb.MemoryUsage(context.Background(), key, 0).Result()
		if err != nil {
			b.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		total += n
		listing = append(listing, "`"+shortKey(key)+"` "+bytesOf(n))
	}
	return total, fmt.Sprintf("%d keys (%s)", len(keys), strings.Join(listing, ", "))
}

// memoryByKey is MEMORY USAGE of every key in Redis.
func memoryByKey(b *testing.B, rdb *redis.Client) map[string]int64 {
	b.Helper()
	ctx := context.Background()
	keys := keysMatching(b, rdb, "*")
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, key := range keys {
			p.MemoryUsage(ctx, key, 0)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		b.Fatalf("MEMORY USAGE: %v", err)
	}
	sizes := make(map[string]int64, len(keys))
	for i, key := range keys {
		if n, err := cmds[i].(*redis.IntCmd).Result(); err == nil { // redis.Nil: expired since the SCAN
			sizes[key] = n
		}
	}
	return sizes
}

// shortKey leaves out a key's prefix and the hashed parts of its name.
func shortKey(key string) string {
	parts := strings.Split(key, ":")
	if len(parts) > 1 {
		parts = parts[1:]
	}
	for i, p := range parts {
		if len(p) > 12 {
			if strings.HasPrefix(p, "{") {
				parts[i] = "{…}"
			} else {
				parts[i] = "…"
			}
		}
	}
	return strings.Join(parts, ":")
}
