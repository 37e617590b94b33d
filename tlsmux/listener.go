// Package tlsmux serves HTTP and HTTPS on one port, as LocalStack does: a
// net.Listener wrapper looks at the first byte of each connection and
// speaks TLS to a client that opens with a TLS handshake record (0x16) and
// plain HTTP to any other, so that one http.Server serves both. It also
// keeps the certificate authority a data dir trusts (LoadOrCreateCA) and
// issues the server's certificate from it (CA.ServerConfig), or loads a
// user's own (LoadKeyPair).
//
// Wiring, with srv an *http.Server whose ReadHeaderTimeout bounds how long
// a silent client may hold a connection:
//
//	ca, err := tlsmux.LoadOrCreateCA(filepath.Join(dataDir, "tls"))
//	cfg, err := ca.ServerConfig([]string{listenHost})
//	ln, err := net.Listen("tcp", addr)
//	srv.ConnContext = tlsmux.ConnContext // optional: for IsTLS(r)
//	err = srv.Serve(tlsmux.Listen(ln, cfg))
package tlsmux

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// recordTypeHandshake is the first byte of every TLS ClientHello: the
// content type of a TLS record holding a handshake message (RFC 8446
// §5.1). No HTTP method starts with it.
const recordTypeHandshake = 0x16

// DefaultSniffTimeout bounds the wait for a connection's first byte and
// its TLS handshake when the server has set no earlier read deadline.
const DefaultSniffTimeout = 10 * time.Second

// Listener accepts connections that speak TLS or plain HTTP. Accept never
// reads: each connection finds out which it speaks in its own first Read,
// under that connection's read deadline, so a client that sends nothing
// holds up no other.
type Listener struct {
	net.Listener
	cfg *tls.Config
	// SniffTimeout bounds the wait for the first byte and the TLS
	// handshake, whatever deadline the server sets (DefaultSniffTimeout
	// when zero). Set it before the first Accept.
	SniffTimeout time.Duration
	// HandshakeErrorFunc, when set, is called with each failed TLS
	// handshake (a client that does not trust the certificate, say), as
	// http.Server logs its own. Set it before the first Accept.
	HandshakeErrorFunc func(remote net.Addr, err error)
}

// Listen wraps ln. Connections whose first byte opens a TLS handshake are
// served by a tls.Server with cfg; the others are handed over as they are.
// cfg is cloned and its NextProtos limited to "http/1.1": the connections
// are not *tls.Conn, so http.Server cannot speak HTTP/2 on them. A nil cfg
// turns TLS off: every connection is plain.
func Listen(ln net.Listener, cfg *tls.Config) *Listener {
	if cfg != nil {
		cfg = cfg.Clone()
		cfg.NextProtos = []string{"http/1.1"}
	}
	return &Listener{Listener: ln, cfg: cfg}
}

// Accept returns the next connection, a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	conn := newConn(c, l.cfg, cmpOr(l.SniffTimeout, DefaultSniffTimeout))
	conn.handshakeErr = l.HandshakeErrorFunc
	return conn, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Conn is an accepted connection. Its first Read reads one byte, under the
// read deadline in force (and at most SniffTimeout), and decides: a TLS
// handshake record makes it a TLS connection, whose handshake completes
// in the same Read; anything else is plain, the byte read being returned
// first. Reads and writes then go through TLS or straight to the socket.
type Conn struct {
	net.Conn     // the socket
	cfg          *tls.Config
	timeout      time.Duration
	handshakeErr func(net.Addr, error)

	sniffMu  sync.Mutex // held by the Read that sniffs, and by the later ones
	sniffed  bool
	sniffErr error  // a failed handshake, returned by every later Read
	pending  []byte // the plain connection's first byte, not yet returned

	// tls is the TLS connection once sniffed as such.
	tls atomic.Pointer[tls.Conn]
	// failed is set when the handshake failed: nothing may be written.
	failed atomic.Bool

	deadlineMu    sync.Mutex
	readDeadline  time.Time // as the server last set them
	writeDeadline time.Time
}

func newConn(c net.Conn, cfg *tls.Config, timeout time.Duration) *Conn {
	return &Conn{Conn: c, cfg: cfg, timeout: timeout}
}

// Read reads from the connection, sniffing it first if this is its first
// Read. An error of the sniff is returned: a failed handshake by every
// later Read too; a timeout or EOF before the first byte leaves the
// connection unsniffed, for a later Read to try again.
func (c *Conn) Read(p []byte) (int, error) {
	c.sniffMu.Lock()
	if !c.sniffed {
		c.sniffed, c.sniffErr = c.sniff()
	}
	if c.sniffErr != nil {
		err := c.sniffErr
		if !c.sniffed { // nothing was read: a later Read may try again
			c.sniffErr = nil
		}
		c.sniffMu.Unlock()
		return 0, err
	}
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		c.sniffMu.Unlock()
		return n, nil
	}
	c.sniffMu.Unlock()
	if t := c.tls.Load(); t != nil {
		return t.Read(p)
	}
	return c.Conn.Read(p)
}

// sniff reads the first byte and, for TLS, completes the handshake, under
// the earlier of the server's read deadline and now + timeout; it then
// puts the server's deadlines back. done is false when no byte was read,
// so that the connection is still unsniffed.
func (c *Conn) sniff() (done bool, err error) {
	limit, err := c.sniffDeadline()
	defer func() {
		if rerr := c.restoreDeadlines(); err == nil {
			err = rerr
		}
	}()
	if err != nil {
		return false, err
	}
	var first [1]byte
	if n, err := c.Conn.Read(first[:]); n == 0 {
		return false, orNoProgress(err)
	}
	if first[0] != recordTypeHandshake || c.cfg == nil {
		c.pending = first[:]
		return true, nil
	}
	t := tls.Server(&prefixConn{Conn: c.Conn, prefix: first[:]}, c.cfg)
	ctx, cancel := context.WithDeadline(context.Background(), limit)
	defer cancel()
	if err := t.HandshakeContext(ctx); err != nil {
		c.failed.Store(true)
		if c.handshakeErr != nil {
			c.handshakeErr(c.RemoteAddr(), err)
		}
		// A read error, as http.Server expects from a connection it should
		// close without answering: a plain-text 400 would be noise to a
		// TLS client.
		return true, &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(),
			Err: fmt.Errorf("tls handshake: %w", err)}
	}
	c.tls.Store(t)
	return true, nil
}

// orNoProgress is err, or io.ErrNoProgress for a Read that returned neither a
// byte nor an error.
func orNoProgress(err error) error {
	if err == nil {
		return io.ErrNoProgress
	}
	return err
}

// restoreDeadlines gives the socket back the deadlines the server set
// (perhaps while the sniff ran).
func (c *Conn) restoreDeadlines() error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	return errors.Join(c.Conn.SetReadDeadline(c.readDeadline), c.Conn.SetWriteDeadline(c.writeDeadline))
}

// sniffDeadline sets the socket's deadlines to the earlier of the
// server's read deadline and now + timeout, and returns it.
func (c *Conn) sniffDeadline() (time.Time, error) {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	limit := time.Now().Add(c.timeout)
	if !c.readDeadline.IsZero() && c.readDeadline.Before(limit) {
		limit = c.readDeadline
	}
	return limit, c.Conn.SetDeadline(limit)
}

// Write writes through TLS once the connection is known to speak it, and
// to the socket otherwise (http.Server never writes before it has read).
func (c *Conn) Write(p []byte) (int, error) {
	if c.failed.Load() {
		return 0, &net.OpError{Op: "write", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(),
			Err: errors.New("the TLS handshake failed")}
	}
	if t := c.tls.Load(); t != nil {
		return t.Write(p)
	}
	return c.Conn.Write(p)
}

// Close closes the connection, sending TLS's close_notify first when it
// speaks TLS. It does not wait for a Read blocked in the sniff: closing the
// socket ends it.
func (c *Conn) Close() error {
	if t := c.tls.Load(); t != nil {
		return t.Close()
	}
	return c.Conn.Close()
}

// CloseWrite shuts down the writing side: TLS's close_notify, or the TCP
// half-close. http.Server calls it (on a *net.TCPConn or *tls.Conn it
// would find the method itself) before it closes a connection whose
// request body it did not read, and waits a little, so that the client
// reads the answer (a 413, say) instead of a reset.
func (c *Conn) CloseWrite() error {
	if t := c.tls.Load(); t != nil {
		return t.CloseWrite()
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SetDeadline sets the read and write deadlines of the socket.
func (c *Conn) SetDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.readDeadline, c.writeDeadline = t, t
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline of the socket.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.readDeadline = t
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline of the socket.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.deadlineMu.Lock()
	defer c.deadlineMu.Unlock()
	c.writeDeadline = t
	return c.Conn.SetWriteDeadline(t)
}

// IsTLS reports whether the connection speaks TLS; false until its first
// Read has returned.
func (c *Conn) IsTLS() bool { return c.tls.Load() != nil }

// ConnectionState returns the TLS state of a TLS connection, and false for
// a plain one (or one not read yet).
func (c *Conn) ConnectionState() (tls.ConnectionState, bool) {
	if t := c.tls.Load(); t != nil {
		return t.ConnectionState(), true
	}
	return tls.ConnectionState{}, false
}

// prefixConn returns prefix before the rest of the socket.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

type connKey struct{}

// ConnContext is an http.Server ConnContext that remembers each
// connection, for IsTLS.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// IsTLS reports whether r came over TLS: through a tlsmux connection that
// speaks TLS (the server's ConnContext being ConnContext), or through a
// server that set r.TLS itself.
func IsTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	c, ok := r.Context().Value(connKey{}).(*Conn)
	return ok && c.IsTLS()
}
