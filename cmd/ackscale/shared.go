package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/k8s"
	"github.com/ackscale/ackscale/postgres"
	"github.com/ackscale/ackscale/tlsmux"
)

// kubeHosts is the database's record of which replica hosts each
// cluster's API server, as this replica's k8s.Manager sees it.
type kubeHosts struct {
	db      *postgres.DB
	replica string
}

var _ k8s.Hosts = kubeHosts{}

func (h kubeHosts) Claim(ctx context.Context, clusterID string) (bool, string, error) {
	host, err := h.db.KubeHostClaim(ctx, clusterID, h.replica)
	return host.ReplicaID == h.replica, host.Endpoint, err
}

func (h kubeHosts) Serving(ctx context.Context, clusterID, endpoint string) (bool, error) {
	return h.db.KubeHostSet(ctx, clusterID, h.replica, endpoint)
}

func (h kubeHosts) Release(ctx context.Context, clusterID string) error {
	return h.db.KubeHostRelease(ctx, clusterID, h.replica)
}

func (h kubeHosts) Files(ctx context.Context, clusterID string) (map[string][]byte, bool, error) {
	return h.db.SecretFilesGet(ctx, "kube/"+clusterID)
}

func (h kubeHosts) KeepFiles(ctx context.Context, clusterID string, files map[string][]byte) (map[string][]byte, error) {
	return h.db.SecretFilesPut(ctx, "kube/"+clusterID, files)
}

func (h kubeHosts) ForgetFiles(ctx context.Context, clusterID string) error {
	return h.db.SecretFilesDelete(ctx, "kube/"+clusterID)
}

func (h kubeHosts) Hosted(ctx context.Context) (map[string]bool, error) {
	all, err := h.db.KubeHostList(ctx, "")
	out := make(map[string]bool, len(all))
	for _, host := range all {
		out[host.ClusterID] = host.ReplicaID == h.replica
	}
	return out, err
}

func (h kubeHosts) Live(ctx context.Context) (int, error) {
	rs, err := h.db.ReplicaList(ctx, deadAfter)
	return len(rs), err
}

// kubeShared is the Kubernetes configuration of a replica (nil on SQLite):
// the etcd the replicas share, and kubeconfigs through the public URL,
// whose CA the replicas share too.
func (a *app) kubeShared(ctx context.Context, cfg serveConfig) (*k8s.Shared, error) {
	if a.db.pg == nil || cfg.Kube == "off" || (cfg.Kube == "auto" && !k8s.BinariesPresent(cfg.KubeBin)) {
		return nil, nil // startKube says why Kubernetes is off
	}
	if cfg.KubeEtcd == "" {
		return nil, errors.New("--database postgres with Kubernetes: give the etcd the replicas share (--kube-etcd http://HOST:2379), or --kube=off")
	}
	public, err := publicURL(cfg)
	if errors.Is(err, errPortZero) {
		public = "" // set once serve listens
	} else if err != nil {
		return nil, err
	}
	var caPEM []byte
	if cfg.TLSCert == "" { // the replicas' own CA, kept in the database
		if caPEM, err = shareCA(ctx, a.db.pg, filepath.Join(cfg.DataDir, "tls")); err != nil {
			return nil, err
		}
	}
	return &k8s.Shared{
		Hosts:     kubeHosts{db: a.db.pg, replica: cfg.ReplicaID},
		EtcdURL:   cfg.KubeEtcd,
		Advertise: cfg.KubeAdvertise,
		PublicURL: public,
		PublicCA:  caPEM,
		Clusters: func(ctx context.Context) ([]string, error) {
			cs, _, err := a.stores.Clusters.ClusterList(ctx, ackscale.ClusterListParams{WithAPIServer: true})
			var ids []string
			for _, c := range cs {
				if c.State != ackscale.ClusterDeleting && c.State != ackscale.ClusterDeleted {
					ids = append(ids, c.ID)
				}
			}
			return ids, err
		},
	}, nil
}

// errPortZero: the public URL is known only once serve listens.
var errPortZero = errors.New("--addr has port 0: give --public-url, where clients reach the replicas (kubeconfigs point there)")

// publicURL is where clients reach the replicas: --public-url, else this
// replica's own --addr (a loopback host for a wildcard one).
func publicURL(cfg serveConfig) (string, error) {
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			// kubectl sends a kubeconfig's token over TLS only.
			return "", fmt.Errorf("--public-url %q: want https://HOST[:PORT] (kubeconfigs point there, and kubectl sends their token over HTTPS only)", cfg.PublicURL)
		}
		return strings.TrimRight(cfg.PublicURL, "/"), nil
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return "", fmt.Errorf("--addr %s: %w", cfg.Addr, err)
	}
	if port == "0" {
		return "", errPortZero
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port), nil
}

// shareCA makes the HTTPS CA in dir the one every replica of the database
// uses: the one kept in the database, or this replica's (made now if it
// has none) if the database has none yet. It returns the CA's PEM.
func shareCA(ctx context.Context, db *postgres.DB, dir string) ([]byte, error) {
	files, ok, err := db.SecretFilesGet(ctx, "tls")
	if err != nil {
		return nil, err
	}
	if !ok {
		ca, err := tlsmux.LoadOrCreateCA(dir)
		if err != nil {
			return nil, err
		}
		key, err := os.ReadFile(filepath.Join(dir, tlsmux.CAKeyFile))
		if err != nil {
			return nil, err
		}
		mine := map[string][]byte{tlsmux.CACertFile: ca.CertPEM(), tlsmux.CAKeyFile: key}
		if files, err = db.SecretFilesPut(ctx, "tls", mine); err != nil {
			return nil, err
		}
	}
	if err := useCA(dir, files); err != nil {
		return nil, err
	}
	return files[tlsmux.CACertFile], nil
}

// useCA writes the shared CA into dir unless it is there already; the
// server certificate of another CA goes (serve issues a new one).
func useCA(dir string, files map[string][]byte) error {
	cert, key := files[tlsmux.CACertFile], files[tlsmux.CAKeyFile]
	if len(cert) == 0 || len(key) == 0 {
		return errors.New("the database's HTTPS CA is incomplete")
	}
	if have, err := os.ReadFile(filepath.Join(dir, tlsmux.CACertFile)); err == nil && bytes.Equal(have, cert) {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range []string{tlsmux.ServerCertFile, tlsmux.ServerKeyFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := writeFileAtomic(filepath.Join(dir, tlsmux.CAKeyFile), key); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, tlsmux.CACertFile), cert)
}
