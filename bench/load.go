package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ackscale/ackscale/internal/acsclient"
)

// result is one closed-loop load: n requests, conc in flight.
type result struct {
	n, failed int
	elapsed   time.Duration
	p50, p99  time.Duration
	firstErr  error
	cpu       time.Duration // the server's CPU time while the n requests ran, when measured
}

func (r result) rate() float64 { return float64(r.n-r.failed) / r.elapsed.Seconds() }

func (r result) String() string {
	s := fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", r.rate(), ms(r.p50), ms(r.p99))
	if r.cpu > 0 && r.n > 0 {
		s += fmt.Sprintf(", %d µs CPU each", (r.cpu / time.Duration(r.n)).Microseconds())
	}
	if r.failed > 0 {
		s += fmt.Sprintf(" (%d failed: %v)", r.failed, r.firstErr)
	}
	return s
}

// medianResult returns the result of median rate among rs (the lower middle
// one of an even count).
func medianResult(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return cmp.Compare(a.rate(), b.rate()) })
	return sorted[(len(sorted)-1)/2]
}

// load sends n requests, conc at a time, each as soon as the last one of
// its goroutine answered; do(i) sends the i-th.
func load(ctx context.Context, conc, n int, do func(ctx context.Context, i int) error) result {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var failed atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				err := do(ctx, i)
				lat[i] = time.Since(t)
				if err != nil {
					failed.Add(1)
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	wg.Wait()
	r := result{n: n, failed: int(failed.Load()), elapsed: time.Since(start), firstErr: firstErr}
	slices.Sort(lat)
	r.p50, r.p99 = lat[n/2], lat[min(n-1, n*99/100)]
	return r
}

// trivial is the baseline server: a net/http handler that answers every
// request 202 with a small JSON body, as an accepted operation does, and
// GET /page with page, a fixed body (row b's ceiling for a large answer).
type trivial struct {
	srv    *http.Server
	client *acsclient.Client
	page   atomic.Pointer[[]byte]
}

func startTrivial(conns int) (*trivial, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	body := []byte(`{"cluster_id":"c8e1d7b1f4e2a4c0f8d6a7b6c5d4e3f2a","request_id":"6B3E2E5F-0C2B-4C7B-9A3D-1F2E3D4C5B6A","task_id":"T-6789abcdef0123456789abcd"}`)
	t := &trivial{}
	t.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if page := t.page.Load(); page != nil && r.URL.Path == "/page" {
			w.Header().Set("Content-Length", strconv.Itoa(len(*page)))
			_, _ = w.Write(*page)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = t.srv.Serve(ln) }()
	t.client = &acsclient.Client{BaseURL: "http://" + ln.Addr().String(), AccessKeyID: "LTAIbench",
		Secret: "secret", HTTP: httpClient(conns)}
	return t, nil
}

func (t *trivial) close() { _ = t.srv.Close() }

// measure runs the same signed request the ackscale measurement sends.
func (t *trivial) measure(ctx context.Context, conc, n int, method, path string, body any) result {
	return load(ctx, conc, n, func(ctx context.Context, _ int) error {
		return t.client.Do(ctx, method, path, body, nil)
	})
}

func ms(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
