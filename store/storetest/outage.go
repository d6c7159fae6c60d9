package storetest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Outage is a TCP proxy between the app and the tests' Redis that a test
// can cut and restore, to see the app answer 503 and then recover by
// itself, with the same client and no restart.
type Outage struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

// RedisWithOutage returns a client that reaches the tests' Redis through
// an Outage.
func RedisWithOutage(t testing.TB) (*redis.Client, *Outage) {
	t.Helper()
	direct, ok := Redis(t).(*redis.Client)
	if !ok {
		t.Fatal("RedisWithOutage needs a standalone Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Outage{ln: ln, target: direct.Options().Addr, conns: map[net.Conn]bool{}}
	go o.serve()
	t.Cleanup(func() { ln.Close(); o.Cut() })

	opts := *direct.Options()
	opts.Addr = ln.Addr().String()
	opts.MaxRetries = -1 // fail at once while cut, rather than retry
	rdb := redis.NewClient(&opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb, o
}

// Cut drops every open connection and refuses new ones.
func (o *Outage) Cut() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down = true
	for c := range o.conns {
		c.Close()
	}
	clear(o.conns)
}

// Restore lets connections through again.
func (o *Outage) Restore() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down = false
}

func (o *Outage) serve() {
	for {
		client, err := o.ln.Accept()
		if err != nil {
			return
		}
		go o.forward(client)
	}
}

func (o *Outage) forward(client net.Conn) {
	o.mu.Lock()
	if o.down {
		o.mu.Unlock()
		client.Close()
		return
	}
	server, err := net.Dial("tcp", o.target)
	if err != nil {
		o.mu.Unlock()
		client.Close()
		return
	}
	o.conns[client], o.conns[server] = true, true
	o.mu.Unlock()
	go func() { io.Copy(server, client); server.Close() }()
	io.Copy(client, server)
	client.Close()
}
