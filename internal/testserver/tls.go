package testserver

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// The lines serve prints about HTTPS before its listening line.
const (
	// trustPrefix starts the line that names the CA certificate:
	// "HTTPS clients trust PATH (e.g. SSL_CERT_FILE=PATH)".
	trustPrefix = "HTTPS clients trust "
	// httpsPrefix starts the line that gives the HTTPS URL:
	// "ackscale serves HTTPS on the same port: https://HOST:PORT".
	httpsPrefix = "ackscale serves HTTPS on the same port: "
	// lineWait bounds the wait for a line printed before the listening
	// line: Start returns as soon as it has read that one, possibly before
	// the earlier lines of the same read reach Logs.
	lineWait = 5 * time.Second
)

// HTTPSURL is https://host:port: the server's one port, spoken to in TLS.
func (s *Server) HTTPSURL() string { return "https://" + s.Addr }

// PrintedHTTPSURL returns the HTTPS URL the server printed ("ackscale
// serves HTTPS on the same port: URL"), failing t when it printed none.
func (s *Server) PrintedHTTPSURL(t testing.TB) string {
	t.Helper()
	return s.printed(t, httpsPrefix, func(rest string) string { return strings.TrimSpace(rest) })
}

// CACertFile returns the path of the CA certificate the server printed
// ("HTTPS clients trust PATH (e.g. SSL_CERT_FILE=PATH)"), failing t when
// it printed none.
func (s *Server) CACertFile(t testing.TB) string {
	t.Helper()
	return s.printed(t, trustPrefix, func(rest string) string {
		path, _, _ := strings.Cut(rest, " (e.g. SSL_CERT_FILE=")
		return strings.TrimSpace(path)
	})
}

// CAPool returns a certificate pool that holds only the CA certificate
// the server printed.
func (s *Server) CAPool(t testing.TB) *x509.CertPool {
	t.Helper()
	path := s.CACertFile(t)
	pem, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the CA certificate the server printed: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	return pool
}

// HTTPSClient returns a client that trusts only the CA the server
// printed: not the system's roots, not SSL_CERT_FILE.
func (s *Server) HTTPSClient(t testing.TB) *http.Client {
	t.Helper()
	return TLSClient(&tls.Config{RootCAs: s.CAPool(t), MinVersion: tls.VersionTLS12})
}

// TLSClient returns a client with its own transport that uses cfg (a nil
// RootCAs there means the system's roots).
func TLSClient(cfg *tls.Config) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg,
		TLSHandshakeTimeout: 10 * time.Second, MaxIdleConnsPerHost: 4}}
}

// printed finds the first line of Logs that starts with prefix and
// returns value of the rest, waiting up to lineWait for it.
func (s *Server) printed(t testing.TB, prefix string, value func(rest string) string) string {
	t.Helper()
	deadline := time.Now().Add(lineWait)
	for {
		for line := range strings.Lines(s.Logs()) {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				if v := value(rest); v != "" {
					return v
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server printed no line starting %q within %s of its listening line:\n%s",
				prefix, lineWait, s.Tail(failureTailLines))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
