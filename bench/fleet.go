package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ackscale/ackscale/internal/acsclient"
)

// leaseDuration is the duration of every Node Lease ackscale makes.
const leaseDuration = 40 * time.Second

// rowFleet is row d: K clusters each scaled out by N at once, the time
// until every Node is Ready; then the Lease renewal watched for a while:
// the CPU and memory of ackscale, etcd and the API servers, and the oldest
// Lease seen.
func (b *bench) rowFleet(ctx context.Context) error {
	k, n := b.size.fleetClusters, b.size.fleetNodes
	s, err := b.startKube(ctx)
	if err != nil {
		return err
	}
	defer s.stop()
	b.log.Info("d: creating clusters", "n", k)
	ids, err := s.createClusters(ctx, "fleet", k, k)
	if err != nil {
		return err
	}
	b.log.Info("d: scaling out", "clusters", k, "nodes", n)
	c := s.client(k)
	stop := b.profile(s.cmd.Process.Pid, "d-scaleout")
	start := time.Now()
	tasks := make([]string, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	for i, id := range ids {
		g.Go(func() error {
			var acc acsclient.Accepted
			if err := c.Do(gctx, "POST", "/api/v2/clusters/"+id, scaleOutBody(n), &acc); err != nil {
				return err
			}
			tasks[i] = acc.TaskID
			// Polled every 2 s (DescribeTaskInfo lists the task's
			// workers); the end times come from ackscale's log.
			_, err := waitTask(gctx, c, acc.TaskID, 2*time.Second)
			return err
		})
	}
	err = g.Wait()
	stop()
	if err != nil {
		return err
	}
	var last time.Time
	stages := map[string][]time.Duration{}
	for _, id := range tasks {
		tl := s.timeline(id)
		if tl["end"].After(last) {
			last = tl["end"]
		}
		stages["create_instances"] = append(stages["create_instances"], tl["wait_running"].Sub(tl["create_instances"]))
		stages["wait_running"] = append(stages["wait_running"], tl["register"].Sub(tl["wait_running"]))
		stages["register"] = append(stages["register"], tl["end"].Sub(tl["register"]))
	}
	allReady := last.Sub(start)
	retries := s.count("create instance: retrying")
	b.log.Info("d: all Ready", "took", allReady, "ip_retries", retries)

	clients, err := s.kubeClients(ctx, ids)
	if err != nil {
		return err
	}
	b.log.Info("d: watching the Lease renewal", "for", b.size.renewal)
	u0, t0 := measure(s.pids()), time.Now()
	oldest, err := watchLeases(ctx, clients, k*n, b.size.renewal, b.size.leaseSample)
	if err != nil {
		return err
	}
	u1, wall := measure(s.pids()), time.Since(t0)
	b.fleetDir, b.fleetN, b.fleetKey, b.fleetFromD = s.dataDir, k, [3]string{s.key, s.secret, s.adminToken}, true

	b.add(row{figure: fmt.Sprintf("d. %d clusters × %d Nodes: all Ready (scale-outs sent at once)", k, n),
		ackscale: secs(allReady), target: "≤ 30 s", met: met(allReady <= 30*time.Second)})
	b.add(row{figure: "d. time each task spent in its stages: median (longest)", ackscale: fmt.Sprintf(
		"create_instances %s (%s), wait_running %s (%s), register %s (%s)",
		secs(median(stages["create_instances"])), secs(slices.Max(stages["create_instances"])),
		secs(median(stages["wait_running"])), secs(slices.Max(stages["wait_running"])),
		secs(median(stages["register"])), secs(slices.Max(stages["register"])))})
	b.add(row{figure: fmt.Sprintf("d. oldest Lease seen over %s of renewal (every Lease read every %s)", b.size.renewal, b.size.leaseSample),
		ackscale: secs(oldest), target: fmt.Sprintf("≤ %s (its duration)", secs(leaseDuration)), met: met(oldest <= leaseDuration)})
	ours := cores(u0, u1, "ackscale", wall)
	b.add(row{figure: "d. ackscale during the renewal: CPU, RSS", ackscale: fmt.Sprintf("%.3f core, %s", ours, mib(u1["ackscale"].rss)),
		target: "≤ 0.25 core, ≤ 256 MiB", met: met(ours <= 0.25 && u1["ackscale"].rss <= 256<<20)})
	b.add(row{figure: fmt.Sprintf("d. etcd and the %d API servers during the renewal: CPU, RSS", len(s.pids()["apiserver"])),
		ackscale: fmt.Sprintf("etcd %.3f core, %s; API servers %.3f core, %s in all", cores(u0, u1, "etcd", wall), mib(u1["etcd"].rss),
			cores(u0, u1, "apiserver", wall), mib(u1["apiserver"].rss))})
	b.add(row{figure: "d. IP-allocation retries while the clusters scaled out", ackscale: fmt.Sprint(retries), target: "0",
		met: met(retries == 0)})
	return nil
}

// kubeClients returns a client of each cluster's API server, from its
// kubeconfig (DescribeClusterUserKubeconfig).
func (s *server) kubeClients(ctx context.Context, ids []string) ([]kubernetes.Interface, error) {
	c := s.client(1)
	var out []kubernetes.Interface
	for _, id := range ids {
		var kc struct{ Config string }
		if err := c.Do(ctx, "GET", "/k8s/"+url.PathEscape(id)+"/user_config", nil, &kc); err != nil {
			return nil, err
		}
		rc, err := clientcmd.RESTConfigFromKubeConfig([]byte(kc.Config))
		if err != nil {
			return nil, err
		}
		rc.QPS = -1
		cs, err := kubernetes.NewForConfig(rc)
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

// watchLeases reads every Node Lease of every cluster each sample for d and
// returns the age of the oldest seen. It fails unless it sees want Leases.
func watchLeases(ctx context.Context, clients []kubernetes.Interface, want int, d, sample time.Duration) (time.Duration, error) {
	var oldest time.Duration
	end := time.Now().Add(d)
	for {
		var mu sync.Mutex
		seen := 0
		g, gctx := errgroup.WithContext(ctx)
		for _, cs := range clients {
			g.Go(func() error {
				list, err := cs.CoordinationV1().Leases("kube-node-lease").List(gctx, metav1.ListOptions{})
				if err != nil {
					return err
				}
				now := time.Now()
				mu.Lock()
				defer mu.Unlock()
				for _, l := range list.Items {
					if l.Spec.RenewTime != nil {
						oldest = max(oldest, now.Sub(l.Spec.RenewTime.Time))
					}
				}
				seen += len(list.Items)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return oldest, err
		}
		if seen != want {
			return oldest, fmt.Errorf("saw %d Leases, want %d", seen, want)
		}
		if time.Now().Add(sample).After(end) {
			return oldest, nil
		}
		select {
		case <-ctx.Done():
			return oldest, ctx.Err()
		case <-time.After(sample):
		}
	}
}

// rowStartup is row e: how long `ackscale serve` takes from its start to
// its first answer (a signed DescribeClusters), on a fresh data dir and on
// d's (its clusters' API servers come back in the background: the time
// until every one answers is shown too).
func (b *bench) rowStartup(ctx context.Context) error {
	cold, _, err := b.startAndAnswer(ctx, serverOptions{kube: true}, 0)
	if err != nil {
		return err
	}
	b.add(row{figure: "e. start-up to the first answer, fresh data dir (with etcd)", ackscale: ms(cold)})
	if b.fleetDir == "" {
		b.log.Info("e: no data dir from row d: making clusters", "n", b.size.fleetClusters)
		s, err := b.startServer(ctx, serverOptions{kube: true})
		if err != nil {
			return err
		}
		_, err = s.createClusters(ctx, "startup", b.size.fleetClusters, b.size.fleetClusters)
		s.stop()
		if err != nil {
			return err
		}
		b.fleetDir, b.fleetN, b.fleetKey = s.dataDir, b.size.fleetClusters, [3]string{s.key, s.secret, s.adminToken}
	}
	o := serverOptions{kube: true, dataDir: b.fleetDir, key: b.fleetKey[0], secret: b.fleetKey[1], admin: b.fleetKey[2]}
	first, all, err := b.startAndAnswer(ctx, o, b.fleetN)
	if err != nil {
		return err
	}
	what := "row d's data dir"
	if !b.fleetFromD {
		what = "no Nodes"
	}
	b.add(row{figure: fmt.Sprintf("e. start-up to the first answer, %d clusters (%s)", b.fleetN, what), ackscale: ms(first)})
	b.add(row{figure: fmt.Sprintf("e. start-up until all %d API servers answer again", b.fleetN), ackscale: secs(all)})
	return nil
}

// startAndAnswer starts a server and returns the time from its start to
// its first answer, and until the API servers of its clusters (want of
// them) all answer; then it stops the server.
func (b *bench) startAndAnswer(ctx context.Context, o serverOptions, want int) (first, all time.Duration, err error) {
	s, err := b.startServer(ctx, o)
	if err != nil {
		return 0, 0, err
	}
	defer s.stop()
	c := s.client(1)
	var list struct {
		Clusters []struct {
			ClusterID string `json:"cluster_id"`
		} `json:"clusters"`
	}
	for {
		if err := c.Do(ctx, "GET", "/api/v1/clusters?page_size=100", nil, &list); err == nil {
			break
		}
		if time.Since(s.started) > time.Minute {
			return 0, 0, fmt.Errorf("no answer within a minute of the start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	first = time.Since(s.started)
	if want == 0 {
		return first, 0, nil
	}
	var ids []string
	for _, cl := range list.Clusters {
		ids = append(ids, cl.ClusterID)
	}
	if len(ids) != want {
		return 0, 0, fmt.Errorf("DescribeClustersV1 listed %d clusters, want %d", len(ids), want)
	}
	clients, err := s.kubeClients(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, cs := range clients {
		g.Go(func() error {
			for {
				_, err := cs.CoreV1().Nodes().List(gctx, metav1.ListOptions{Limit: 1})
				if err == nil {
					return nil
				}
				if time.Since(s.started) > 5*time.Minute {
					return fmt.Errorf("an API server did not answer within 5 minutes: %w", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	err = g.Wait()
	return first, time.Since(s.started), err
}
