package bench

import (
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkVersusFloor is the side by side: GET /protected with a
// logged-in session against the floor server (bench/floor: one Redis GET
// and a page of /protected's size), under the same load, one server at a
// time, interleaved round by round. The lead's loop for making a page
// view cheaper:
//
//	go test -run XXX -bench VersusFloor ./bench/
func BenchmarkVersusFloor(b *testing.B) {
	env := setUp(b)
	runPart(b, func(b *testing.B) []metric {
		s := settings(b)
		v := env.app.loggedIn(b)
		page, err := v.page("/protected")
		if err != nil {
			b.Fatal(err)
		}
		floor, err := env.startFloor(len(page))
		if err != nil {
			b.Fatal(err)
		}

		tokenCalls := env.app.standIn.Count("token")
		var floorRuns, appRuns, homeRuns []loadResult
		for range s.rounds {
			floorRuns = append(floorRuns, loadPage(b, floor.process, env.redis, floor.baseURL+"/", nil, s))
			appRuns = append(appRuns, loadPage(b, env.app.process, env.redis, env.app.baseURL+"/protected", v.cookies(), s))
			// The anonymous home page: no cookie, so no session and no Redis.
			homeRuns = append(homeRuns, loadPage(b, env.app.process, env.redis, env.app.baseURL+"/", nil, s))
		}
		tokenCalls = env.app.standIn.Count("token") - tokenCalls

		f, a, h := summarize(floorRuns), summarize(appRuns), summarize(homeRuns)
		rate, p99 := a.perSecond/f.perSecond, float64(a.p99)/float64(f.p99)
		results.set(partVersusFloor,
			row{"page: the floor's is as long as `/protected`'s", bytesOf(int64(len(page))), ""},
			row{"req/s: floor · `/protected`",
				fmt.Sprintf("%s · %s = **%s × floor**", perSecond(f.perSecond), perSecond(a.perSecond), ratio(rate)), "≥ 0.6 × floor"},
			row{"p50 latency: floor · `/protected`", duration(f.p50) + " · " + duration(a.p50), ""},
			row{"p99 latency: floor · `/protected`",
				fmt.Sprintf("%s · %s = **%s × floor**", duration(f.p99), duration(a.p99), ratio(p99)), "≤ 1.5 × floor"},
			row{"server CPU per request: floor · `/protected`", duration(f.serverCPU) + " · " + duration(a.serverCPU), ""},
			row{"Redis CPU per request: floor · `/protected`", duration(f.redisCPU) + " · " + duration(a.redisCPU), ""},
			row{"load generator's CPU per request (it shares the machine): floor · `/protected`", duration(f.ownCPU) + " · " + duration(a.ownCPU), ""},
			row{"Redis commands per request, floor", f.commandsPerOp(), ""},
			row{"Redis commands per view, `/protected`", a.commandsPerOp(), "1 (2 when the idle timeout moves)"},
			row{"Redis bytes read per view (what Redis sent): floor · `/protected`", fmt.Sprintf("%.0f B · %.0f B", f.redisOut, a.redisOut), ""},
			row{"token-endpoint calls during the `/protected` runs", fmt.Sprint(tokenCalls), "0"},
			row{"req/s: floor · anonymous `/`",
				fmt.Sprintf("%s · %s = **%s × floor**", perSecond(f.perSecond), perSecond(h.perSecond), ratio(h.perSecond/f.perSecond)), "≥ 0.8 × floor"},
			row{"server CPU per request: anonymous `/`", duration(h.serverCPU), ""},
			row{"Redis commands per view, anonymous `/`", h.commandsPerOp(), "0"},
		)
		if tokenCalls != 0 {
			b.Errorf("the app called the token endpoint %d times during the /protected runs, with a fresh access token; want 0", tokenCalls)
		}
		return []metric{
			{f.perSecond, "floor-req/s"}, {a.perSecond, "req/s"}, {rate, "x-floor-req/s"},
			{float64(a.p99.Nanoseconds()), "p99-ns"}, {p99, "x-floor-p99"},
			{float64(a.serverCPU.Nanoseconds()), "app-cpu-ns/req"},
			{h.perSecond / f.perSecond, "x-floor-home-req/s"},
		}
	})
}

// BenchmarkProfileUnderLoad is GET /profile under the same load: the page
// view plus the token record and a userinfo call to the stand-in. Its
// access token is fresh (an hour), so the token endpoint must not be
// called.
func BenchmarkProfileUnderLoad(b *testing.B) {
	env := setUp(b)
	runPart(b, func(b *testing.B) []metric {
		s := settings(b)
		v := env.app.loggedIn(b)
		tokenCalls := env.app.standIn.Count("token")
		var runs []loadResult
		for range s.rounds {
			runs = append(runs, loadPage(b, env.app.process, env.redis, env.app.baseURL+"/profile", v.cookies(), s))
		}
		tokenCalls = env.app.standIn.Count("token") - tokenCalls

		p := summarize(runs)
		results.set(partProfile,
			row{"`/profile`: req/s · p50 · p99", perSecond(p.perSecond) + " · " + duration(p.p50) + " · " + duration(p.p99), ""},
			row{"`/profile`: server CPU · Redis CPU per view", duration(p.serverCPU) + " · " + duration(p.redisCPU), ""},
			row{"Redis commands per view, `/profile`", p.commandsPerOp(), "2 (session and token record)"},
			row{"Redis bytes read per view (what Redis sent), `/profile`", fmt.Sprintf("%.0f B", p.redisOut), ""},
			row{"token-endpoint calls during the `/profile` runs", fmt.Sprint(tokenCalls), "0"},
		)
		if tokenCalls != 0 {
			b.Errorf("the app called the token endpoint %d times during the /profile runs, with a fresh access token; want 0", tokenCalls)
		}
		return []metric{{p.perSecond, "req/s"}, {float64(p.serverCPU.Nanoseconds()), "app-cpu-ns/req"}}
	})
}

// loadPage runs one round of GETs of page from s.connections connections,
// with cookies, and measures server and its Redis r.
func loadPage(b *testing.B, server *process, r *benchRedis, page string, cookies []*http.Cookie, s loadSettings) loadResult {
	b.Helper()
	ops, closeAll := pageClients(s.connections, page, cookies)
	defer closeAll()
	res, err := drive(ops, server, r, s)
	if err != nil {
		b.Fatalf("%s: %v; the output of %s:\n%s", page, err, server.name, server.log)
	}
	return res
}
