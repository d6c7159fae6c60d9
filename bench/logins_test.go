package bench

import (
	"fmt"
	"testing"
)

// BenchmarkLoginsPerSecond is whole logins by new browsers, 32 at a time:
// GET /login, the stand-in's login page, its form posted, the callback
// (code exchange, ID token checks, session created in Redis), and the
// protected page it lands on. The stand-in runs in the benchmark's
// process, so the app's CPU time is its own share of a login, without the
// RSA signing of the ID token, which CONNECT does on its servers. One
// round: there is no floor to interleave with.
func BenchmarkLoginsPerSecond(b *testing.B) {
	env := setUp(b)
	runPart(b, func(b *testing.B) []metric {
		s := settings(b)
		transport := newTransport(b)
		ops := make([]func() error, s.connections)
		for i := range ops {
			ops[i] = func() error { return newVisitor(env.app.baseURL, transport).logIn() }
		}
		res, err := drive(ops, env.app.process, env.redis, s)
		if err != nil {
			b.Fatalf("%v; the app's output:\n%s", err, env.app.log)
		}

		l := summarize([]loadResult{res})
		results.set(partLogins,
			row{fmt.Sprintf("logins per second, %d new browsers at a time (`/login` → stand-in's form → callback → `/protected`)", s.connections),
				perSecond(l.perSecond) + "; p50 " + duration(l.p50) + ", p99 " + duration(l.p99) + " per login", ""},
			row{"CPU per login: the app · the stand-in and the browsers (the benchmark's process) · Redis",
				fmt.Sprintf("**%s** · %s · %s: the app's share %.0f %%", duration(l.serverCPU), duration(l.ownCPU), duration(l.redisCPU),
					100*float64(l.serverCPU)/float64(l.serverCPU+l.ownCPU+l.redisCPU)), ""},
			row{"Redis commands per login", l.commandsPerOp(), ""},
		)
		return []metric{{l.perSecond, "logins/s"}, {float64(l.serverCPU.Nanoseconds()), "app-cpu-ns/login"}}
	})
}
