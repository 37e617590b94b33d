package tlsmux

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The files of a CA directory. Keys are written with mode 0600, the
// directory with 0700.
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
)

// Lifetimes of what a CA issues, and when a server certificate is renewed.
const (
	caLifetime     = 10 * 365 * 24 * time.Hour
	serverLifetime = 365 * 24 * time.Hour
	// renewBefore: a server certificate with less left is issued again.
	renewBefore = 30 * 24 * time.Hour
	// backdate covers clocks a little behind the server's.
	backdate = time.Hour
)

// DefaultHosts are the names every server certificate covers.
var DefaultHosts = []string{"127.0.0.1", "::1", "localhost"}

// CA is the certificate authority of one data dir: an ECDSA P-256 key and
// a self-signed certificate, generated on the first start and loaded on
// the next ones. Clients trust it (SSL_CERT_FILE=CertFile(), or the system
// store) and it signs the server's certificate.
type CA struct {
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	// Now is the clock (time.Now when nil), for the certificates'
	// validity.
	Now func() time.Time
}

// LoadOrCreateCA loads the CA kept in dir (ca.crt and ca.key), or creates
// dir (mode 0700) and a new CA in it when it holds neither file. One file
// without the other, a key that does not match the certificate, or a CA
// certificate that has expired is an error that names the files: ackscale
// does not replace a CA clients may trust without being told.
func LoadOrCreateCA(dir string) (*CA, error) {
	ca := &CA{dir: dir}
	certPEM, certErr := os.ReadFile(ca.CertFile())
	keyPEM, keyErr := os.ReadFile(filepath.Join(dir, CAKeyFile))
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return ca, ca.create()
	case certErr != nil:
		return nil, fmt.Errorf("load CA: %w", certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("load CA: %w", keyErr)
	}
	if err := ca.load(certPEM, keyPEM); err != nil {
		return nil, fmt.Errorf("load CA from %s: %w (delete %s and %s to make a new one)",
			dir, err, CACertFile, CAKeyFile)
	}
	return ca, nil
}

func (ca *CA) now() time.Time {
	if ca.Now != nil {
		return ca.Now()
	}
	return time.Now()
}

// CertFile is the path of the CA certificate (PEM), the file clients trust.
func (ca *CA) CertFile() string { return filepath.Join(ca.dir, CACertFile) }

// CertPEM returns the CA certificate in PEM.
func (ca *CA) CertPEM() []byte { return bytes.Clone(ca.pem) }

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// Pool returns a pool holding only the CA certificate, for clients.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func (ca *CA) create() error {
	if err := os.MkdirAll(ca.dir, 0o700); err != nil {
		return fmt.Errorf("create CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("create CA: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return err
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// The serial in the name tells one data dir's CA from another's
		// in a trust store.
		Subject:               pkix.Name{Organization: []string{"ackscale"}, CommonName: "ackscale local CA " + serial.Text(16)[:12]},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("create CA: %w", err)
	}
	certPEM, keyPEM, err := encodePair(der, key)
	if err != nil {
		return err
	}
	// The key first: a certificate without its key is an error on the
	// next start, a key without its certificate too, but neither is lost.
	if err := writeFile(filepath.Join(ca.dir, CAKeyFile), keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFile(ca.CertFile(), certPEM, 0o644); err != nil {
		return err
	}
	return ca.load(certPEM, keyPEM)
}

func (ca *CA) load(certPEM, keyPEM []byte) error {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return errors.New("the CA key is not an ECDSA key")
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	if !cert.IsCA {
		return errors.New("the CA certificate is not a CA")
	}
	if now := ca.now(); now.After(cert.NotAfter) {
		return fmt.Errorf("the CA certificate expired on %s", cert.NotAfter.Format(time.DateOnly))
	}
	ca.cert, ca.key, ca.pem = cert, key, certPEM
	return nil
}

// ServerConfig returns a TLS configuration with a server certificate the CA
// signed for DefaultHosts and hosts (IP addresses become IP SANs, names DNS
// SANs; "", "0.0.0.0" and "::" are skipped, being no name a client
// dials; a "[::1]" or "host:port" form is reduced to the host). The
// certificate is kept in the CA's directory (server.crt, server.key) and
// issued again when the host set differs from the kept one's, when it
// has less than 30 days left, or when this CA did not sign it.
func (ca *CA) ServerConfig(hosts []string) (*tls.Config, error) {
	want := hostSet(hosts)
	pair, err := ca.loadServer(want)
	if err != nil {
		if pair, err = ca.issueServer(want); err != nil {
			return nil, err
		}
	}
	return serverConfig(pair), nil
}

// loadServer loads the kept server certificate if it still fits want.
func (ca *CA) loadServer(want []string) (tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(filepath.Join(ca.dir, ServerCertFile), filepath.Join(ca.dir, ServerKeyFile))
	if err != nil {
		return pair, err
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return pair, err
	}
	switch {
	case !slices.Equal(sansOf(cert), want):
		return pair, errors.New("the host set changed")
	case ca.now().Add(renewBefore).After(cert.NotAfter):
		return pair, errors.New("the certificate nears expiry")
	case cert.CheckSignatureFrom(ca.cert) != nil:
		return pair, errors.New("another CA signed the certificate")
	}
	pair.Leaf = cert
	return pair, nil
}

// issueServer signs a new server certificate for hosts and keeps it.
func (ca *CA) issueServer(hosts []string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue server certificate: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{Organization: []string{"ackscale"}, CommonName: "ackscale server"},
		NotBefore:      now.Add(-backdate),
		NotAfter:       minTime(now.Add(serverLifetime), ca.cert.NotAfter),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issue server certificate: %w", err)
	}
	certPEM, keyPEM, err := encodePair(der, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	// The chain holds the CA too, for clients that only trust a root
	// they are shown.
	chainPEM := append(certPEM, ca.pem...)
	if err := writeFile(filepath.Join(ca.dir, ServerKeyFile), keyPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFile(filepath.Join(ca.dir, ServerCertFile), chainPEM, 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(chainPEM, keyPEM)
}

// LoadKeyPair returns a TLS configuration serving a user's own certificate
// (--tls-cert, --tls-key): PEM files, the certificate file holding the
// chain, leaf first.
func LoadKeyPair(certFile, keyFile string) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return serverConfig(pair), nil
}

func serverConfig(pair tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// hostSet normalises hosts and adds DefaultHosts: sorted, without repeats,
// IP addresses in their canonical form.
func hostSet(hosts []string) []string {
	set := slices.Clone(DefaultHosts)
	for _, h := range hosts {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if ip := net.ParseIP(h); ip != nil {
			if ip.IsUnspecified() {
				continue
			}
			h = ip.String()
		}
		if h != "" {
			set = append(set, h)
		}
	}
	slices.Sort(set)
	return slices.Compact(set)
}

// sansOf returns a certificate's SANs as hostSet writes them.
func sansOf(cert *x509.Certificate) []string {
	sans := slices.Clone(cert.DNSNames)
	for _, ip := range cert.IPAddresses {
		sans = append(sans, ip.String())
	}
	slices.Sort(sans)
	return slices.Compact(sans)
}

func encodePair(der []byte, key *ecdsa.PrivateKey) (certPEM, keyPEM []byte, err error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// writeFile writes data to path through a temporary file and a rename, so
// that a crash leaves the old file or the new one, never half of one.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, a no-op
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return serial.Add(serial, big.NewInt(1<<48)), nil // never short: the CA name shows 12 hex digits of it
}

// keyID is the SHA-256 of the public key, cut to 20 bytes, as a subject
// key identifier.
func keyID(pub *ecdsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return sum[:20]
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
