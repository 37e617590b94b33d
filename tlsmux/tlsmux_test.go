package tlsmux

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type testBundle struct {
	ca   *CA
	addr string // 127.0.0.1:port
	port string
	mu   sync.Mutex
	next http.Handler // replaces the scheme handler when set
	// handshakeErrs receives the listener's failed handshakes.
	handshakeErrs chan error
}

func (b *testBundle) srvHandler(h http.Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next = h
}

// serve starts an http.Server on tlsmux with a new CA whose certificate
// also names extraHosts. The handler answers "tls" or "plain".
func serve(t *testing.T, srv *http.Server, sniffTimeout time.Duration, extraHosts ...string) *testBundle {
	t.Helper()
	ca, err := LoadOrCreateCA(filepath.Join(t.TempDir(), "tls"))
	require.NoError(t, err)
	cfg, err := ca.ServerConfig(extraHosts)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &testBundle{ca: ca, addr: ln.Addr().String(), handshakeErrs: make(chan error, 16)}
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		next := b.next
		b.mu.Unlock()
		if next != nil {
			next.ServeHTTP(w, r)
			return
		}
		if IsTLS(r) {
			_, _ = io.WriteString(w, "tls")
			return
		}
		_, _ = io.WriteString(w, "plain")
	})
	srv.ConnContext = ConnContext
	l := Listen(ln, cfg)
	l.SniffTimeout = sniffTimeout
	l.HandshakeErrorFunc = func(_ net.Addr, err error) {
		select {
		case b.handshakeErrs <- err:
		default:
		}
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, b.port, err = net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	return b
}

// client trusts only pool (the system roots when nil).
func client(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true,
	}}
}

func get(t *testing.T, c *http.Client, url string) (string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestHTTPAndHTTPSOnOnePort(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{ReadHeaderTimeout: 5 * time.Second}, 0, "ackscale.test")
	trusting := client(b.ca.Pool())

	for _, url := range []string{"https://" + b.addr + "/", "https://localhost:" + b.port + "/"} {
		for range 3 { // kept-alive connections too
			got, err := get(t, trusting, url)
			require.NoError(t, err, url)
			require.Equal(t, "tls", got, url)
		}
	}
	got, err := get(t, trusting, "http://"+b.addr+"/")
	require.NoError(t, err)
	require.Equal(t, "plain", got)

	_, err = get(t, client(nil), "https://"+b.addr+"/")
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown, "a client that does not trust the CA refuses the server")

	// A PEM file as SSL_CERT_FILE would point to.
	pool := x509.NewCertPool()
	pemBytes, err := os.ReadFile(b.ca.CertFile())
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	got, err = get(t, client(pool), "https://"+b.addr+"/")
	require.NoError(t, err)
	require.Equal(t, "tls", got)
}

func TestServerNamesAndSANs(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{ReadHeaderTimeout: 5 * time.Second}, 0, "ackscale.test", "10.1.2.3:8080", "0.0.0.0", "[::]")
	dial := func(serverName string) (*tls.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", b.addr,
			&tls.Config{RootCAs: b.ca.Pool(), ServerName: serverName, NextProtos: []string{"h2", "http/1.1"}})
	}
	for _, name := range []string{"localhost", "ackscale.test", "127.0.0.1", "::1", "10.1.2.3"} {
		conn, err := dial(name)
		require.NoError(t, err, name)
		leaf := conn.ConnectionState().PeerCertificates[0]
		require.NoError(t, leaf.VerifyHostname(name))
		require.Equal(t, "http/1.1", conn.ConnectionState().NegotiatedProtocol, "never h2: http.Server cannot see the TLS")
		require.NoError(t, conn.Close())
	}
	_, err := dial("other.test")
	require.Error(t, err, "a name the certificate does not hold")

	conn, err := dial("localhost")
	require.NoError(t, err)
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	require.ElementsMatch(t, []string{"ackscale.test", "localhost"}, leaf.DNSNames)
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	require.ElementsMatch(t, []string{"127.0.0.1", "::1", "10.1.2.3"}, ips, "unspecified addresses are left out")
	require.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.ExtKeyUsage)
}

// TestSilentConnectionsDoNotBlock opens silent connections, one that sends
// only the first byte of a handshake, and checks that plain and TLS
// requests are still served at once, and that the server closes the silent
// ones at its read-header deadline.
func TestSilentConnectionsDoNotBlock(t *testing.T) {
	t.Parallel()
	const headerTimeout = 700 * time.Millisecond
	b := serve(t, &http.Server{ReadHeaderTimeout: headerTimeout}, 0)
	var silent []net.Conn
	for range 300 {
		c, err := net.Dial("tcp", b.addr)
		require.NoError(t, err)
		silent = append(silent, c)
	}
	half, err := net.Dial("tcp", b.addr)
	require.NoError(t, err)
	_, err = half.Write([]byte{recordTypeHandshake})
	require.NoError(t, err)
	silent = append(silent, half)
	t.Cleanup(func() {
		for _, c := range silent {
			_ = c.Close()
		}
	})

	c := client(b.ca.Pool())
	start := time.Now()
	for _, scheme := range []string{"http", "https"} {
		got, err := get(t, c, scheme+"://"+b.addr+"/")
		require.NoError(t, err)
		require.Equal(t, map[string]string{"http": "plain", "https": "tls"}[scheme], got)
	}
	require.Less(t, time.Since(start), headerTimeout, "served before any silent connection timed out")

	var wg sync.WaitGroup
	errs := make(chan error, len(silent))
	for _, s := range silent {
		wg.Go(func() {
			_ = s.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := s.Read(make([]byte, 1))
			if errors.Is(err, os.ErrDeadlineExceeded) {
				errs <- fmt.Errorf("%s still open after 5s", s.LocalAddr())
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestSniffTimeout checks that a server without read deadlines still drops
// a silent connection, at the listener's SniffTimeout.
func TestSniffTimeout(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{}, 300*time.Millisecond)
	for _, first := range [][]byte{nil, {recordTypeHandshake}} {
		c, err := net.Dial("tcp", b.addr)
		require.NoError(t, err)
		defer c.Close()
		if first != nil {
			_, err = c.Write(first)
			require.NoError(t, err)
		}
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = c.Read(make([]byte, 1))
		require.Error(t, err)
		require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the server closed the connection")
		require.Less(t, time.Since(start), 3*time.Second)
	}

	// A connection that speaks in time is served, with no deadline left
	// over from the sniff.
	c, err := net.Dial("tcp", b.addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "plain", string(body))
}

func TestBadHandshake(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{ReadHeaderTimeout: 5 * time.Second}, 0)
	c, err := net.Dial("tcp", b.addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("\x16\x03\x01\x00\x05hello"))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	got, err := io.ReadAll(c)
	require.NoError(t, err, "the server closes the connection")
	require.NotContains(t, string(got), "HTTP/1.1", "no plain-text answer to a TLS client")

	require.Error(t, <-b.handshakeErrs, "the listener reports the failed handshake")

	// A client that does not trust the CA: the listener reports it.
	_, err = get(t, client(nil), "https://"+b.addr+"/")
	require.Error(t, err)
	select {
	case err := <-b.handshakeErrs:
		require.ErrorContains(t, err, "bad certificate")
	case <-time.After(5 * time.Second):
		t.Fatal("no handshake error reported")
	}
	answer, err := get(t, client(b.ca.Pool()), "https://"+b.addr+"/")
	require.NoError(t, err)
	require.Equal(t, "tls", answer)
}

func TestListenWithoutTLS(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := Listen(ln, nil)
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b := make([]byte, 4)
		n, _ := io.ReadFull(c, b)
		_, _ = c.Write(b[:n])
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("\x16abc"))
	require.NoError(t, err)
	got := make([]byte, 4)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, "\x16abc", string(got), "without a config every byte passes through")
}

func TestLoadOrCreateCA(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data", "tls")
	ca, err := LoadOrCreateCA(dir)
	require.NoError(t, err)
	require.True(t, ca.Certificate().IsCA)
	for name, mode := range map[string]os.FileMode{"": 0o700 | os.ModeDir, CAKeyFile: 0o600, CACertFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, mode, fi.Mode(), name)
	}

	again, err := LoadOrCreateCA(dir)
	require.NoError(t, err)
	require.Equal(t, ca.Certificate().Raw, again.Certificate().Raw, "the next start loads the same CA")
	require.Equal(t, ca.CertPEM(), again.CertPEM())

	serial := func(cfg *tls.Config) string {
		leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0])
		require.NoError(t, err)
		return leaf.SerialNumber.String()
	}
	first, err := ca.ServerConfig([]string{"host.test"})
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, ServerKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode())

	same, err := again.ServerConfig([]string{"HOST.test", "localhost", "127.0.0.1:1"})
	require.NoError(t, err)
	require.Equal(t, serial(first), serial(same), "the same host set keeps the certificate")

	other, err := again.ServerConfig([]string{"other.test"})
	require.NoError(t, err)
	require.NotEqual(t, serial(first), serial(other), "a new host set issues a new certificate")

	later := &CA{dir: dir, Now: func() time.Time { return time.Now().Add(serverLifetime - renewBefore/2) }}
	require.NoError(t, later.load(ca.CertPEM(), mustRead(t, filepath.Join(dir, CAKeyFile))))
	renewed, err := later.ServerConfig([]string{"other.test"})
	require.NoError(t, err)
	require.NotEqual(t, serial(other), serial(renewed), "a certificate near expiry is issued again")

	// Another CA in the same directory does not take the old certificate.
	require.NoError(t, os.Remove(filepath.Join(dir, CAKeyFile)))
	_, err = LoadOrCreateCA(dir)
	require.ErrorContains(t, err, CAKeyFile, "a certificate without its key")
	require.NoError(t, os.Remove(filepath.Join(dir, CACertFile)))
	fresh, err := LoadOrCreateCA(dir)
	require.NoError(t, err)
	require.NotEqual(t, ca.Certificate().Raw, fresh.Certificate().Raw)
	issued, err := fresh.ServerConfig([]string{"other.test"})
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(issued.Certificates[0].Certificate[0])
	require.NoError(t, err)
	require.NoError(t, leaf.CheckSignatureFrom(fresh.Certificate()))
}

func TestLoadOrCreateCARefusesBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(dir)
	require.NoError(t, err)
	keyPEM := mustRead(t, filepath.Join(dir, CAKeyFile))

	require.NoError(t, os.WriteFile(filepath.Join(dir, CACertFile), []byte("not PEM"), 0o644))
	_, err = LoadOrCreateCA(dir)
	require.ErrorContains(t, err, "delete ca.crt and ca.key")

	expired := &CA{Now: func() time.Time { return time.Now().Add(caLifetime + time.Hour) }}
	require.ErrorContains(t, expired.load(ca.CertPEM(), keyPEM), "expired")

	other := t.TempDir()
	otherCA, err := LoadOrCreateCA(other)
	require.NoError(t, err)
	require.Error(t, (&CA{}).load(otherCA.CertPEM(), keyPEM), "a key that is not the certificate's")
}

func TestLoadKeyPair(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{}, 0)
	// The CA's own server files stand for a user's certificate.
	cfg, err := LoadKeyPair(filepath.Join(b.ca.dir, ServerCertFile), filepath.Join(b.ca.dir, ServerKeyFile))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })}
	go func() { _ = srv.Serve(Listen(ln, cfg)) }()
	t.Cleanup(func() { _ = srv.Close() })
	got, err := get(t, client(b.ca.Pool()), "https://"+ln.Addr().String()+"/")
	require.NoError(t, err)
	require.Equal(t, "ok", got)

	_, err = LoadKeyPair(filepath.Join(b.ca.dir, "missing.crt"), filepath.Join(b.ca.dir, ServerKeyFile))
	require.ErrorContains(t, err, "missing.crt")
}

func TestHostSet(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"10.0.0.1", "127.0.0.1", "::1", "fe80::1", "localhost", "my.host"},
		hostSet([]string{"", "0.0.0.0", "::", "[::]", " My.Host ", "10.0.0.1:443", "[fe80::1]:1", "[::1]", "localhost"}))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestAnswerBeforeBody checks that an answer given without reading a large
// body reaches the client, plain or over TLS: the server half-closes the
// connection (CloseWrite) and waits, rather than resetting it.
func TestAnswerBeforeBody(t *testing.T) {
	t.Parallel()
	b := serve(t, &http.Server{ReadHeaderTimeout: 5 * time.Second}, 0)
	b.srvHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	body := strings.Repeat("x", 4<<20)
	for _, dial := range []func() (net.Conn, error){
		func() (net.Conn, error) { return net.Dial("tcp", b.addr) },
		func() (net.Conn, error) {
			return tls.Dial("tcp", b.addr, &tls.Config{RootCAs: b.ca.Pool(), ServerName: "localhost"})
		},
	} {
		c, err := dial()
		require.NoError(t, err)
		go func() {
			_, _ = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+fmt.Sprint(len(body))+"\r\n\r\n"+body)
		}()
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		_ = c.Close()
	}
}
