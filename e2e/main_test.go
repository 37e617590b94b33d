// Package e2e runs the official ACK clients against a real ackscale process
// on loopback: the old Go SDK (alibaba-cloud-sdk-go/services/cs, ROA
// HMAC-SHA1), aliyungo (legacy PUT) and the npm @alicloud/cs20151215
// (ACS3-HMAC-SHA256). Every test starts its own server with startServer, a
// thin layer over internal/testserver (which builds the binary once).
package e2e

import (
	"os"
	"testing"
	"time"

	"github.com/ackscale/ackscale/internal/testserver"
)

// pollTimeout bounds every wait for a task or a state of the server.
const pollTimeout = 30 * time.Second

// e2eArgs are the serve flags every e2e server gets before its own: no
// Kubernetes unless a test turns it on, and instant boots.
var e2eArgs = []string{"--kube=off", "--boot-latency", "0"}

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// startServer starts ackscale serve with opts and e2eArgs before
// opts.Args; see testserver.Start.
func startServer(t testing.TB, opts testserver.Options) *testserver.Server {
	t.Helper()
	opts.Args = append(append([]string(nil), e2eArgs...), opts.Args...)
	return testserver.Start(t, opts)
}

// poll calls fn until it reports done, failing the test after pollTimeout.
// fn's last error (or the last value it described) is in the failure.
func poll(t testing.TB, what string, fn func() (done bool, status string, err error)) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	var status string
	var err error
	for time.Now().Before(deadline) {
		var done bool
		done, status, err = fn()
		if done && err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not done within %s; last status %q, last error: %v", what, pollTimeout, status, err)
}
