package metrics

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ackscale/ackscale"
)

// KubeProbe asks the clusters' kube-apiservers whether they answer: each
// one's /readyz, and etcd's check (the "etcd" line of /readyz?verbose)
// through any that shows it passing. It reads the endpoints the store
// recorded and never starts an API server, so a probe cannot bring back the
// server of a cluster being deleted.
type KubeProbe struct {
	Clusters Clusters
	// HTTP, when set, replaces the probe's client (tests).
	HTTP *http.Client

	once   sync.Once
	client *http.Client
}

// Target is one thing the probe checks: "etcd", or a cluster's API server
// ("apiserver/" + its id).
type Target struct {
	Name      string
	ClusterID string // "" for etcd
	Check     func(ctx context.Context) error
}

// Targets lists what to check now: the API server of every cluster that has
// one (except clusters being deleted, whose server is going away) and etcd,
// asked through them. With no API server there is nothing to ask etcd
// through, and no etcd target.
func (p *KubeProbe) Targets(ctx context.Context) ([]Target, error) {
	cs, _, err := p.Clusters.ClusterList(ctx, ackscale.ClusterListParams{WithAPIServer: true})
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	var ts []Target
	var endpoints []string
	for _, c := range cs {
		if c.State == ackscale.ClusterDeleting || c.State == ackscale.ClusterDeleteFailed || c.APIServer == "" {
			continue
		}
		endpoints = append(endpoints, c.APIServer)
		ts = append(ts, Target{Name: "apiserver/" + c.ID, ClusterID: c.ID, Check: func(ctx context.Context) error {
			_, err := p.readyz(ctx, c.APIServer)
			return err
		}})
	}
	if len(endpoints) > 0 {
		ts = append([]Target{{Name: "etcd", Check: func(ctx context.Context) error { return p.etcd(ctx, endpoints) }}}, ts...)
	}
	return ts, nil
}

// etcd reads the etcd line of each endpoint's /readyz in turn until one
// shows "[+]etcd ok"; an error when none does.
func (p *KubeProbe) etcd(ctx context.Context, endpoints []string) error {
	var errs []error
	for _, e := range endpoints {
		body, err := p.readyz(ctx, e)
		shown := false
		for line := range strings.Lines(body) {
			switch line = strings.TrimSpace(line); {
			case line == "[+]etcd ok":
				return nil
			case strings.HasPrefix(line, "[-]etcd "):
				errs, shown = append(errs, fmt.Errorf("%s says %q", e, line)), true
			}
		}
		if !shown {
			errs = append(errs, cmp.Or(err, fmt.Errorf("%s/readyz shows no etcd check", e)))
		}
	}
	return errors.Join(errs...)
}

// readyz sends an anonymous GET /readyz?verbose (kube-apiserver lets
// anyone read /readyz) to a loopback endpoint and returns its body, with
// an error unless the status is 200.
func (p *KubeProbe) readyz(ctx context.Context, endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("api server endpoint %q: %w", endpoint, err)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("api server endpoint %q: not a loopback address", endpoint)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/readyz?verbose", nil)
	if err != nil {
		return "", err
	}
	resp, err := p.httpClient().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("GET %s/readyz: %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("GET %s/readyz: %s", endpoint, resp.Status)
	}
	return string(b), nil
}

// httpClient skips certificate verification: the probe sends no
// credential and reads nothing but the status and the checks' names, from
// a loopback port (readyz refuses any other) that ackscale's own API
// server listens on; each cluster's CA is the k8s package's business.
func (p *KubeProbe) httpClient() *http.Client {
	p.once.Do(func() {
		p.client = p.HTTP
		if p.client == nil {
			p.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
				TLSClientConfig:     &tls.Config{InsecureSkipVerify: true},
				MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Minute,
			}}
		}
	})
	return p.client
}

// CheckAll checks every target at once and returns their errors by name
// (nil: it answered).
func CheckAll(ctx context.Context, ts []Target) map[string]error {
	out := make(map[string]error, len(ts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, t := range ts {
		wg.Go(func() {
			err := t.Check(ctx)
			mu.Lock()
			out[t.Name] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// kubeCollector reports, at each scrape, whether etcd and each API server
// answer.
type kubeCollector struct {
	probe   *KubeProbe
	timeout time.Duration
}

var (
	apiserverUp = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "kube", "apiserver_up"),
		"1 when the cluster's kube-apiserver answers /readyz with 200 at this scrape, else 0.", []string{"cluster_id"}, nil)
	etcdUp = prometheus.NewDesc(prometheus.BuildFQName(Namespace, "kube", "etcd_up"),
		"1 when etcd passes an API server's etcd check (/readyz?verbose) at this scrape, else 0; absent while no cluster has an API server.",
		nil, nil)
)

// Describe sends the descriptions of the kube metrics.
func (c *kubeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- apiserverUp
	ch <- etcdUp
}

// Collect probes every target.
func (c *kubeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	ts, err := c.probe.Targets(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(apiserverUp, err)
		return
	}
	errs := CheckAll(ctx, ts)
	for _, t := range ts {
		up := 0.0
		if errs[t.Name] == nil {
			up = 1
		}
		if t.ClusterID == "" {
			ch <- prometheus.MustNewConstMetric(etcdUp, prometheus.GaugeValue, up)
			continue
		}
		ch <- prometheus.MustNewConstMetric(apiserverUp, prometheus.GaugeValue, up, t.ClusterID)
	}
}
