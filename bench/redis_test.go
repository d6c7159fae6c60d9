package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// benchRedis is a Redis the benchmark's apps keep their sessions in, and
// the client the benchmark reads its statistics with.
type benchRedis struct {
	url    string
	server *process // the redis-server the benchmark started; nil for a shared one
	client *redis.Client
}

// startBenchRedis starts a redis-server of the benchmark's own when one
// is installed, so that INFO's command counts and CPU time are this run's
// alone. Otherwise it uses the Redis the tests use: REDIS_URL, else
// database 15 of a local server.
func startBenchRedis(dir string) (*benchRedis, error) {
	if _, err := exec.LookPath("redis-server"); err == nil {
		return startOwnRedis(dir)
	}
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/15"
	}
	r, err := openBenchRedis(url, nil)
	if err != nil {
		return nil, fmt.Errorf("no redis-server installed, and no Redis at %s (%v): install Redis, or set REDIS_URL", redactedURL(url), err)
	}
	return r, nil
}

// startOwnRedis runs redis-server on a free loopback port, without
// persistence: what it holds is thrown away when it stops.
func startOwnRedis(dir string) (*benchRedis, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	server, err := startProcess("redis-server", "redis-server", dir, nil,
		"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err != nil {
		return nil, err
	}
	r, err := openBenchRedis("redis://127.0.0.1:"+port+"/0", server)
	if err != nil {
		server.cmd.Process.Kill()
		return nil, fmt.Errorf("redis-server: %v; its output:\n%s", err, server.log)
	}
	return r, nil
}

// openBenchRedis connects to url and waits up to 10 s for it to answer.
func openBenchRedis(url string, server *process) (*benchRedis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	r := &benchRedis{url: url, server: server, client: redis.NewClient(opts)}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = r.client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return r, nil
		}
		if time.Now().After(deadline) {
			r.client.Close()
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// own reports whether the benchmark started this Redis, so that it holds
// and counts nothing but the benchmark's.
func (r *benchRedis) own() bool { return r.server != nil }

func (r *benchRedis) stop() error {
	r.client.Close()
	if r.server == nil {
		return nil
	}
	return r.server.stop()
}

// description says which Redis this is, for the log and the table.
func (r *benchRedis) description() string {
	version := "Redis " + r.info("server")["redis_version"]
	if r.own() {
		return version + " of the benchmark's own at " + redactedURL(r.url) + " (no persistence; it counts this run's commands only)"
	}
	return version + " at " + redactedURL(r.url) + ", shared: no redis-server is installed, so its command counts and CPU time include any other client's"
}

// redactedURL is u with any password replaced, for logs: REDIS_URL may
// name a Redis with a password.
func redactedURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "(a REDIS_URL that does not parse)"
	}
	return parsed.Redacted()
}

// redisStats are the counters the benchmark reads before and after a run.
type redisStats struct {
	cpu   time.Duration    // used_cpu_user + used_cpu_sys
	calls map[string]int64 // commands by name, as INFO commandstats counts them
}

// stats reads Redis's CPU time and command counts. The INFO commands that
// read them are left out of the counts.
func (r *benchRedis) stats() redisStats {
	cpu := r.info("cpu")
	user, _ := strconv.ParseFloat(cpu["used_cpu_user"], 64)
	sys, _ := strconv.ParseFloat(cpu["used_cpu_sys"], 64)
	s := redisStats{cpu: time.Duration((user + sys) * float64(time.Second)), calls: map[string]int64{}}
	for field, value := range r.info("commandstats") {
		// cmdstat_hget:calls=12,usec=34,usec_per_call=2.83,...
		name, ok := strings.CutPrefix(field, "cmdstat_")
		if !ok || name == "info" {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(value, "calls="), ",")
		s.calls[name], _ = strconv.ParseInt(calls, 10, 64)
	}
	return s
}

// bytesSent is how many bytes Redis has sent to all its clients
// (total_net_output_bytes): what its clients read. The reply that carries
// the figure is sent after it is taken, so a window read between two
// calls counts the first call's reply; reply is that reply's size, to
// take off.
func (r *benchRedis) bytesSent() (sent, reply int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, _ := r.client.Info(ctx, "stats").Result()
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_net_output_bytes:"); ok {
			sent, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	// RESP's bulk string: $<length>\r\n<text>\r\n
	return sent, int64(len(text) + len(strconv.Itoa(len(text))) + 5)
}

// info returns one section of INFO as field: value; empty if Redis does
// not answer.
func (r *benchRedis) info(section string) map[string]string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, _ := r.client.Info(ctx, section).Result()
	fields := map[string]string{}
	lines := bufio.NewScanner(strings.NewReader(text))
	for lines.Scan() {
		if field, value, ok := strings.Cut(strings.TrimSpace(lines.Text()), ":"); ok {
			fields[field] = value
		}
	}
	return fields
}
