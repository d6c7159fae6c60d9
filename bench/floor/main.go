// Command floor is the load benchmark's yardstick: the least a Go server
// can do for a logged-in page view with sessions in Redis. Each request
// costs one Redis GET and writes a page of a given size, nothing else: no
// session decoding, no template, no middleware. The benchmark serves it
// side by side with the app's /protected, same Redis, same page size, so
// that the app's figures read as a multiple of what the machine allows
// (bench/README.md).
//
//	REDIS_URL=redis://127.0.0.1:6379/15 floor -listen 127.0.0.1:8090 -page-bytes 7000
//
// The Redis comes from REDIS_URL, as the app's does, not from a flag: a
// command line is visible to everyone on the machine (ps), and the URL
// may hold a password.
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// sessionKey is the one key the floor reads on every request. Its value
// stands in for a session: 1 KB, about what the app keeps per user.
const sessionKey = "bench-floor:session"

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to listen on")
	pageBytes := flag.Int("page-bytes", 1024, "size of the page it answers with")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	redisURL := cmp.Or(os.Getenv("REDIS_URL"), "redis://127.0.0.1:6379/15")
	if err := run(ctx, *listen, redisURL, *pageBytes); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, listen, redisURL string, pageBytes int) error {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := rdb.Set(ctx, sessionKey, bytes.Repeat([]byte("s"), 1024), time.Hour).Err(); err != nil {
		return fmt.Errorf("store the session stand-in: %w", err)
	}

	page := makePage(pageBytes)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if err := rdb.Get(r.Context(), sessionKey).Err(); err != nil {
			http.Error(w, "Redis: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.Write(page)
	})

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	// Keep-alive is net/http's default; the timeouts are the app's.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// makePage returns an HTML page of exactly n bytes (or its bare frame,
// when n is smaller).
func makePage(n int) []byte {
	const head, tail = "<!doctype html><title>floor</title><p>", "</p>\n"
	fill := max(n-len(head)-len(tail), 0)
	return []byte(head + string(bytes.Repeat([]byte("x"), fill)) + tail)
}
