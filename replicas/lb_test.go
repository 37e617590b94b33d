package replicas

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// balancer is a TCP load balancer: each connection goes to the next
// backend that accepts one, round robin, as a cloud load balancer with a
// TCP health check would send it. TLS passes through: the replicas serve
// HTTP and HTTPS on one port.
type balancer struct {
	ln    net.Listener
	mu    sync.Mutex
	to    []string
	next  int
	conns map[net.Conn]bool // open ones, closed when the test ends
	wg    sync.WaitGroup
}

// startBalancer listens on 127.0.0.1; it stops when the test ends.
func startBalancer(t *testing.T) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &balancer{ln: ln, conns: map[net.Conn]bool{}}
	b.wg.Go(b.serve)
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *balancer) addr() string { return b.ln.Addr().String() }

// set replaces the backends.
func (b *balancer) set(backends ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.to = backends
}

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Go(func() { b.pipe(c) })
	}
}

// track records c as open until it is closed.
func (b *balancer) track(c net.Conn) (untrack func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conns[c] = true
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.conns, c)
		c.Close()
	}
}

// pipe connects c to a backend that answers, or closes it.
func (b *balancer) pipe(c net.Conn) {
	defer b.track(c)()
	b.mu.Lock()
	backends := append([]string(nil), b.to...)
	start := b.next
	b.next++
	b.mu.Unlock()
	for i := range backends {
		to, err := net.DialTimeout("tcp", backends[(start+i)%len(backends)], time.Second)
		if err != nil {
			continue // a dead replica: its port refuses
		}
		defer b.track(to)()
		done := make(chan struct{}, 2)
		go func() { _, _ = io.Copy(to, c); closeWrite(to); done <- struct{}{} }()
		go func() { _, _ = io.Copy(c, to); closeWrite(c); done <- struct{}{} }()
		<-done
		<-done
		return
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}
