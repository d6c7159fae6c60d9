package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The load generator: what wrk -t2 -c32 does, in Go, so that a fresh
// machine needs nothing but Go and Redis. Each of 32 goroutines keeps one
// connection and sends its next request as soon as the answer is in.

// loadSettings are how long and how often the load runs.
type loadSettings struct {
	connections int
	warmUp      time.Duration // load before the window, not measured
	window      time.Duration // measured
	rounds      int           // of each server, interleaved; medians reported
}

// loadSettingsFromEnv reads the load's timing from BENCH_WARMUP,
// BENCH_MEASURE and BENCH_ROUNDS (defaults 2s, 10s and 3), so that a quick
// look at one part can be had in seconds.
func loadSettingsFromEnv() (loadSettings, error) {
	s := loadSettings{connections: 32, warmUp: 2 * time.Second, window: 10 * time.Second, rounds: 3}
	for name, d := range map[string]*time.Duration{"BENCH_WARMUP": &s.warmUp, "BENCH_MEASURE": &s.window} {
		if v := os.Getenv(name); v != "" {
			var err error
			if *d, err = time.ParseDuration(v); err != nil || *d < 0 {
				return s, fmt.Errorf("%s=%q: want a duration such as 2s", name, v)
			}
		}
	}
	if s.window <= 0 {
		return s, errors.New("BENCH_MEASURE must be more than zero")
	}
	if v := os.Getenv("BENCH_ROUNDS"); v != "" {
		var err error
		if s.rounds, err = strconv.Atoi(v); err != nil || s.rounds < 1 {
			return s, fmt.Errorf("BENCH_ROUNDS=%q: want a whole number of at least 1", v)
		}
	}
	return s, nil
}

// settings are the load's settings for a benchmark, which stops on a bad
// value.
func settings(b *testing.B) loadSettings {
	b.Helper()
	s, err := loadSettingsFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func (s loadSettings) String() string {
	return fmt.Sprintf("%d keep-alive connections at once; %s warm-up, then %s measured; rounds: %d, one server at a time, interleaved; medians",
		s.connections, s.warmUp, s.window, s.rounds)
}

// loadResult is what one run measured in its window.
type loadResult struct {
	ops       int
	window    time.Duration
	latencies []time.Duration // sorted
	serverCPU time.Duration   // of the server's process; -1 where /proc does not tell
	ownCPU    time.Duration   // of this process: the load generator, and the stand-in; -1 unknown
	redisCPU  time.Duration
	calls     map[string]int64 // Redis commands by name
	redisOut  int64            // bytes Redis sent its clients
}

// drive runs every op in a loop of its own, each calling it again as soon
// as it returns, first for the warm-up and then for the measured window.
// server is the process whose CPU time is read; r is the Redis whose.
func drive(ops []func() error, server *process, r *benchRedis, s loadSettings) (loadResult, error) {
	var measuring, stopping atomic.Bool
	latencies := make([][]time.Duration, len(ops))
	failed := make(chan error, len(ops))
	var wg sync.WaitGroup
	for i, op := range ops {
		wg.Go(func() {
			for !stopping.Load() {
				start := time.Now()
				if err := op(); err != nil {
					failed <- err
					return
				}
				if measuring.Load() {
					latencies[i] = append(latencies[i], time.Since(start))
				}
			}
		})
	}
	stop := func() { stopping.Store(true); wg.Wait() }
	sleep := func(d time.Duration) error {
		select {
		case err := <-failed:
			stop()
			return err
		case <-time.After(d):
			return nil
		}
	}

	if err := sleep(s.warmUp); err != nil {
		return loadResult{}, err
	}
	cpuBefore, cpuKnown := server.cpuTime()
	ownBefore, ownKnown := cpuTime(os.Getpid())
	redisBefore := r.stats()
	outBefore, outReply := r.bytesSent() // last before the window, first after it
	start := time.Now()
	measuring.Store(true)
	if err := sleep(s.window); err != nil {
		return loadResult{}, err
	}
	measuring.Store(false)
	res := loadResult{window: time.Since(start), serverCPU: -1, ownCPU: -1}
	outAfter, _ := r.bytesSent()
	cpuAfter, cpuKnownAfter := server.cpuTime()
	ownAfter, ownKnownAfter := cpuTime(os.Getpid())
	redisAfter := r.stats()
	stop()
	select {
	case err := <-failed: // after the window, but the figures are suspect all the same
		return loadResult{}, err
	default:
	}

	if cpuKnown && cpuKnownAfter {
		res.serverCPU = cpuAfter - cpuBefore
	}
	if ownKnown && ownKnownAfter {
		res.ownCPU = ownAfter - ownBefore
	}
	res.redisCPU = redisAfter.cpu - redisBefore.cpu
	res.redisOut = outAfter - outBefore - outReply
	res.calls = map[string]int64{}
	for name, n := range redisAfter.calls {
		if d := n - redisBefore.calls[name]; d > 0 {
			res.calls[name] = d
		}
	}
	res.latencies = slices.Concat(latencies...)
	slices.Sort(res.latencies)
	res.ops = len(res.latencies)
	if res.ops == 0 {
		return res, fmt.Errorf("nothing completed in the %s window", s.window)
	}
	return res, nil
}

func (r loadResult) perSecond() float64 { return float64(r.ops) / r.window.Seconds() }

// percentile is the latency that p percent of operations stayed within.
func (r loadResult) percentile(p float64) time.Duration {
	i := int(float64(len(r.latencies))*p/100+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// summary is the medians of a server's rounds, per operation where it
// says so.
type summary struct {
	perSecond float64
	p50, p99  time.Duration
	serverCPU time.Duration // per operation; -1 unknown
	ownCPU    time.Duration // per operation; -1 unknown
	redisCPU  time.Duration // per operation
	calls     map[string]float64
	redisOut  float64 // bytes Redis sent per operation
	rounds    int
}

func summarize(runs []loadResult) summary {
	s := summary{calls: map[string]float64{}, rounds: len(runs)}
	s.perSecond = median(runs, loadResult.perSecond)
	s.p50 = time.Duration(median(runs, func(r loadResult) float64 { return float64(r.percentile(50)) }))
	s.p99 = time.Duration(median(runs, func(r loadResult) float64 { return float64(r.percentile(99)) }))
	s.serverCPU = time.Duration(median(runs, func(r loadResult) float64 { return perOp(r.serverCPU, r.ops) }))
	s.ownCPU = time.Duration(median(runs, func(r loadResult) float64 { return perOp(r.ownCPU, r.ops) }))
	s.redisCPU = time.Duration(median(runs, func(r loadResult) float64 { return float64(r.redisCPU) / float64(r.ops) }))
	s.redisOut = median(runs, func(r loadResult) float64 { return float64(r.redisOut) / float64(r.ops) })
	names := map[string]bool{}
	for _, r := range runs {
		for name := range r.calls {
			names[name] = true
		}
	}
	for name := range names {
		s.calls[name] = median(runs, func(r loadResult) float64 { return float64(r.calls[name]) / float64(r.ops) })
	}
	return s
}

// perOp is d per operation, or -1 when d is unknown (-1).
func perOp(d time.Duration, ops int) float64 {
	if d < 0 {
		return -1
	}
	return float64(d) / float64(ops)
}

// median is the middle value of f over the runs (the mean of the two
// middle ones for an even count).
func median[T any](runs []T, f func(T) float64) float64 {
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = f(r)
	}
	slices.Sort(values)
	n := len(values)
	if n%2 == 1 {
		return values[n/2]
	}
	return (values[n/2-1] + values[n/2]) / 2
}

// commandsPerOp is the total of Redis commands per operation, then each
// command's share, largest first: "1.02: hget 1.00, evalsha 0.02".
// Shares under 0.005 are left out of the list (not of the total).
func (s summary) commandsPerOp() string {
	total := 0.0
	type share struct {
		name string
		n    float64
	}
	var shares []share
	for name, n := range s.calls {
		total += n
		if n >= 0.005 {
			shares = append(shares, share{name, n})
		}
	}
	slices.SortFunc(shares, func(a, b share) int {
		if a.n != b.n {
			if a.n > b.n {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	parts := make([]string, len(shares))
	for i, sh := range shares {
		parts[i] = fmt.Sprintf("%s %.2f", sh.name, sh.n)
	}
	return fmt.Sprintf("%.2f: %s", total, strings.Join(parts, ", "))
}

// pageClient is one keep-alive connection that GETs one page again and
// again with the same cookies, as one of wrk's connections does. It
// speaks HTTP/1.1 itself, which costs the shared CPUs less than
// net/http's client would.
type pageClient struct {
	addr    string
	request []byte
	conn    net.Conn
	r       *bufio.Reader
}

// pageClients returns n clients of page (an absolute URL), and a function
// that closes their connections.
func pageClients(n int, page string, cookies []*http.Cookie) (ops []func() error, closeAll func()) {
	u, err := url.Parse(page)
	if err != nil {
		panic(err) // built by the benchmark
	}
	var req strings.Builder
	fmt.Fprintf(&req, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: connect-sample-bench\r\n", u.RequestURI(), u.Host)
	for _, c := range cookies {
		fmt.Fprintf(&req, "Cookie: %s\r\n", c.String())
	}
	req.WriteString("\r\n")

	clients := make([]*pageClient, n)
	for i := range clients {
		clients[i] = &pageClient{addr: u.Host, request: []byte(req.String())}
		ops = append(ops, clients[i].get)
	}
	return ops, func() {
		for _, c := range clients {
			if c.conn != nil {
				c.conn.Close()
			}
		}
	}
}

// get sends the request and reads the whole answer, which must be 200.
func (c *pageClient) get() error {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return err
		}
		c.conn, c.r = conn, bufio.NewReader(conn)
	}
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write(c.request); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s from %s = %d, want 200", strings.Fields(string(c.request))[1], c.addr, resp.StatusCode)
	}
	if resp.Close {
		c.conn.Close()
		c.conn = nil
	}
	return nil
}
