package hostile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// The server's http.Server limits (cmd/ackscale/serve.go listenAndServe).
// None is a flag today, so the tests wait for the real values.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	maxBodySize       = 1 << 20
	maxHeaderBytes    = 64 << 10
	// slack is added to every server-side bound: liveness, not speed.
	slack = 8 * time.Second
)

// head returns w's request line and header block as written by a raw
// client: Host first, then w's headers sorted, then extra lines.
func (w *wireReq) head(addr string, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", w.method, w.target, w.hostOr(addr))
	for _, k := range slices.Sorted(maps.Keys(w.header)) {
		for _, v := range w.header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	for _, e := range extra {
		b.WriteString(e + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// readAnswer reads one response from conn before deadline.
func readAnswer(conn net.Conn, deadline time.Time) (answer, error) {
	if err := conn.SetReadDeadline(deadline); err != nil {
		return answer{}, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, raw: raw}, err
}

// exchange writes data on a new connection and reads one answer.
func (f *fixture) exchange(t *testing.T, data []byte) answer {
	t.Helper()
	conn, err := net.DialTimeout("tcp", f.srv.Addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(data)
	require.NoError(t, err)
	a, err := readAnswer(conn, time.Now().Add(10*time.Second))
	require.NoError(t, err)
	return a
}

// protocolCase is a request broken at the HTTP level. Go's net/http refuses
// it before the API handler runs, so the answer is Go's plain-text one, not
// an ACK error body: only the status is checked.
type protocolCase struct {
	name   string
	data   func(f *fixture) []byte
	status int
}

func protocolCases() []protocolCase {
	return []protocolCase{
		{"two Host headers", func(f *fixture) []byte {
			return f.acs3(f.a, "GET", list, nil).head(f.srv.Addr, "Host: cs.cn-hangzhou.aliyuncs.com")
		}, http.StatusBadRequest},
		{"two different Content-Length headers", func(f *fixture) []byte {
			w := f.acs3(f.a, "POST", "/clusters", createBody("cl"))
			return append(w.head(f.srv.Addr, fmt.Sprintf("Content-Length: %d", len(w.body)),
				fmt.Sprintf("Content-Length: %d", len(w.body)-2)), w.body...)
		}, http.StatusBadRequest},
		{"header block over MaxHeaderBytes", func(f *fixture) []byte {
			return f.acs3(f.a, "GET", list, nil).head(f.srv.Addr, "X-Pad: "+strings.Repeat("a", maxHeaderBytes+8<<10))
		}, http.StatusRequestHeaderFieldsTooLarge},
		{"space before the colon of x-acs-date", func(f *fixture) []byte {
			w := f.acs3(f.a, "GET", list, nil)
			date := w.get("x-acs-date")
			w.del("x-acs-date")
			return w.head(f.srv.Addr, "x-acs-date : "+date)
		}, http.StatusBadRequest},
		{"NUL in a header value", func(f *fixture) []byte {
			return f.acs3(f.a, "GET", list, nil).head(f.srv.Addr, "X-Acs-Evil: a\x00b")
		}, http.StatusBadRequest},
	}
}

func (f *fixture) testProtocol(t *testing.T) int {
	cases := protocolCases()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := f.exchange(t, tc.data(f))
			require.Equal(t, tc.status, a.status, "%s", a.clip())
			requireNoLeak(t, string(a.raw), f.leaks.list())
			f.requireServing(t)
		})
	}
	return len(cases)
}

// tenMiB is a correctly signed CreateCluster whose body is 10 MiB.
func (f *fixture) tenMiB() *wireReq {
	body := append([]byte(`{"name":"`), bytes.Repeat([]byte("a"), 10<<20)...)
	body = append(body[:10<<20-2], `"}`...)
	return f.acs3(f.a, "POST", "/clusters", body)
}

// testBodyTooLarge checks that a 10 MiB body is refused with 413 before it
// is sent whole: with Content-Length, with Expect: 100-continue and with
// chunked encoding (no length).
func (f *fixture) testBodyTooLarge(t *testing.T) []string {
	var out []string
	t.Run("Content-Length", func(t *testing.T) {
		w := f.tenMiB()
		conn, err := net.DialTimeout("tcp", f.srv.Addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write(append(w.head(f.srv.Addr, fmt.Sprintf("Content-Length: %d", len(w.body))), w.body[:64<<10]...))
		require.NoError(t, err)
		a, err := readAnswer(conn, time.Now().Add(10*time.Second))
		require.NoError(t, err, "no answer after the first 64 KiB of a 10 MiB body")
		requireError(t, a, http.StatusRequestEntityTooLarge, ackscale.CodeBodyTooLarge, f.leaks.list())
		out = append(out, "413 after 64 KiB sent (Content-Length)")
		f.requireServing(t)
	})
	t.Run("Expect 100-continue", func(t *testing.T) {
		w := f.tenMiB()
		conn, err := net.DialTimeout("tcp", f.srv.Addr, 5*time.Second)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write(w.head(f.srv.Addr, fmt.Sprintf("Content-Length: %d", len(w.body)), "Expect: 100-continue"))
		require.NoError(t, err)
		a, err := readAnswer(conn, time.Now().Add(10*time.Second))
		require.NoError(t, err)
		requireError(t, a, http.StatusRequestEntityTooLarge, ackscale.CodeBodyTooLarge, f.leaks.list())
		out = append(out, "413 with no body sent (Expect: 100-continue)")
		f.requireServing(t)
	})
	t.Run("chunked", func(t *testing.T) {
		sent := f.chunkedTooLarge(t)
		out = append(out, fmt.Sprintf("413 after %d KiB sent, no last chunk (chunked)", sent>>10))
		f.requireServing(t)
	})
	return out
}

// chunkedTooLarge sends the 10 MiB body in 64 KiB chunks, never the last
// chunk, and stops at twice the server's 1 MiB limit: the server must
// answer 413 once it has read past the limit. It returns how many body
// bytes were written.
func (f *fixture) chunkedTooLarge(t *testing.T) int64 {
	w := f.tenMiB()
	conn, err := net.DialTimeout("tcp", f.srv.Addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write(w.head(f.srv.Addr, "Transfer-Encoding: chunked"))
	require.NoError(t, err)
	var sent atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		const chunk = 64 << 10
		for off := 0; off < 2*maxBodySize; off += chunk {
			frame := append(fmt.Appendf(nil, "%x\r\n", chunk), w.body[off:off+chunk]...)
			if _, err := conn.Write(append(frame, "\r\n"...)); err != nil {
				return // the server closed the connection after answering
			}
			sent.Add(chunk)
		}
	}()
	a, err := readAnswer(conn, time.Now().Add(15*time.Second))
	require.NoError(t, err, "no answer to a chunked body past the limit (%d bytes sent)", sent.Load())
	requireError(t, a, http.StatusRequestEntityTooLarge, ackscale.CodeBodyTooLarge, f.leaks.list())
	n := sent.Load()
	require.Less(t, n, int64(len(w.body)))
	_ = conn.Close()
	<-done
	return n
}

// slowResult is what became of one slow client.
type slowResult struct {
	closedAfter time.Duration
	closed      bool   // false: still open at the deadline
	answer      string // status and code, or what happened instead
	body        string
}

// dripClient writes first, then one byte of drip per second, until the
// server ends the connection or the deadline passes. It reads whatever the
// server answers.
func dripClient(addr string, first, drip []byte, deadline time.Time) slowResult {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return slowResult{answer: "dial: " + err.Error()}
	}
	defer conn.Close()
	ended := make(chan slowResult, 1)
	go func() {
		a, err := readAnswer(conn, deadline)
		var ne net.Error
		switch {
		case err == nil:
			ended <- slowResult{time.Since(start), true, fmt.Sprintf("%d %s", a.status, codeOf(a.raw)), a.clip()}
		case errors.As(err, &ne) && ne.Timeout():
			ended <- slowResult{time.Since(start), false, "none", ""}
		default: // EOF or reset: closed without an answer
			ended <- slowResult{time.Since(start), true, "closed without an answer", ""}
		}
	}()
	if _, err := conn.Write(first); err != nil {
		return <-ended
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case r := <-ended:
			return r
		case <-tick.C:
			_, _ = conn.Write(drip[i%len(drip) : i%len(drip)+1])
		}
	}
}

func codeOf(raw []byte) string {
	var body struct{ Code string }
	_ = json.Unmarshal(raw, &body)
	return body.Code
}

// testSlowHeaders: clients that send the request line and then one header
// byte per second are cut off by ReadHeaderTimeout, while good requests
// keep being answered.
func (f *fixture) testSlowHeaders(t *testing.T, r *results) {
	const clients = 20
	deadline := time.Now().Add(readHeaderTimeout + slack)
	first := []byte("GET /api/v1/clusters HTTP/1.1\r\nHost: " + f.srv.Addr + "\r\n")
	drip := []byte("X-Slow: " + strings.Repeat("z", 64))
	res := make(chan slowResult, clients)
	for range clients {
		go func() { res <- dripClient(f.srv.Addr, first, drip, deadline) }()
	}
	r.slowWorst = f.probeUntil(t, res, clients, func(s slowResult) {
		require.True(t, s.closed, "a slow-header client was still connected after %s", s.closedAfter)
		require.Equal(t, "closed without an answer", s.answer)
		r.slowHeaderClosed = max(r.slowHeaderClosed, s.closedAfter)
	})
	r.slowHeaderClients = clients
}

// testSlowBody: a client that sends complete headers then one body byte
// per second is cut off by ReadTimeout and refused with 408 Request
// Timeout (the request did not arrive in time; it is not malformed), with
// no network error text in the message; good requests keep being answered.
func (f *fixture) testSlowBody(t *testing.T, r *results) {
	w := f.acs3(f.a, "POST", "/clusters", createBody("slow-body"))
	first := w.head(f.srv.Addr, fmt.Sprintf("Content-Length: %d", len(w.body)))
	res := make(chan slowResult, 1)
	go func() { res <- dripClient(f.srv.Addr, first, w.body, time.Now().Add(readTimeout+slack)) }()
	f.probeUntil(t, res, 1, func(s slowResult) {
		r.slowBodyClosed, r.slowBodyAnswer = s.closedAfter, s.answer
		t.Logf("slow body answered after %s: %s %s", s.closedAfter, s.answer, s.body)
		require.True(t, s.closed, "the slow-body client was still connected after %s", s.closedAfter)
		require.NotRegexp(t, `^2`, s.answer, "a request whose body never arrived was accepted")
		require.Regexp(t, `^408 \S`, s.answer, "status and ACK code of a body that timed out")
		require.NotContains(t, s.body, "read tcp", "the message echoes a network error")
	})
}

// probeUntil sends a good request every 250 ms until n results arrived,
// checks each with check, and returns the slowest good request.
func (f *fixture) probeUntil(t *testing.T, res <-chan slowResult, n int, check func(slowResult)) time.Duration {
	t.Helper()
	var worst time.Duration
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for n > 0 {
		select {
		case s := <-res:
			check(s)
			n--
		case <-tick.C:
			worst = max(worst, f.requireServing(t))
		}
	}
	return worst
}

// raiseNoFile makes sure this process may hold need more descriptors.
func raiseNoFile(t *testing.T, need uint64) {
	t.Helper()
	var rl syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	if rl.Cur < need {
		require.GreaterOrEqual(t, rl.Max, need, "RLIMIT_NOFILE hard limit %d is below the %d this test needs: raise it (ulimit -Hn)", rl.Max, need)
		rl.Cur = need
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl), "raise RLIMIT_NOFILE")
	}
	t.Logf("RLIMIT_NOFILE soft %d, hard %d", rl.Cur, rl.Max)
}

// testIdleConnections opens 2000 connections that send nothing and 500
// that sent one request and stay open (keep-alive), checks a good request
// is still answered promptly, then that the server closes every silent one
// itself (ReadHeaderTimeout) and still serves.
func (f *fixture) testIdleConnections(t *testing.T, r *results) {
	const silent, keptAlive = 2000, 500
	raiseNoFile(t, silent+keptAlive+1000)
	conns := make([]net.Conn, silent+keptAlive)
	defer func() {
		for _, c := range conns {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	require.NoError(t, f.openIdle(conns[:silent], nil), "open a silent connection")
	opened := time.Now()
	unsigned := []byte("GET /api/v1/clusters HTTP/1.1\r\nHost: " + f.srv.Addr + "\r\n\r\n")
	require.NoError(t, f.openIdle(conns[silent:], unsigned), "open a kept-alive connection")
	r.idle, r.keptAlive = silent, keptAlive
	r.idleGood = f.requireServing(t)

	// Each silent connection must be closed by the server, not by us.
	var wg sync.WaitGroup
	var closed, last atomic.Int64
	deadline := opened.Add(readHeaderTimeout + slack)
	for _, c := range conns[:silent] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(deadline)
			_, err := c.Read(make([]byte, 1))
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				closed.Add(1)
				d := int64(time.Since(opened))
				for old := last.Load(); d > old && !last.CompareAndSwap(old, d); old = last.Load() {
				}
			}
		}()
	}
	wg.Wait()
	r.idleReaped = time.Duration(last.Load())
	require.Equal(t, int64(silent), closed.Load(), "silent connections the server closed within %s", readHeaderTimeout+slack)
	f.requireServing(t)
}

// openIdle fills conns with new connections from 16 dialers; each first
// sends first, if any, and reads its answer.
func (f *fixture) openIdle(conns []net.Conn, first []byte) error {
	const dialers = 16
	var wg sync.WaitGroup
	errs := make(chan error, dialers)
	for d := range dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := d; i < len(conns); i += dialers {
				c, err := net.DialTimeout("tcp", f.srv.Addr, 5*time.Second)
				if err != nil {
					errs <- err
					return
				}
				conns[i] = c
				if first == nil {
					continue
				}
				if _, err := c.Write(first); err != nil {
					errs <- err
					return
				}
				a, err := readAnswer(c, time.Now().Add(10*time.Second))
				if err == nil && a.status != http.StatusUnauthorized {
					err = fmt.Errorf("unsigned request: %d %s", a.status, a.clip())
				}
				if err != nil {
					errs <- err
					return
				}
				_ = c.SetReadDeadline(time.Time{})
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
