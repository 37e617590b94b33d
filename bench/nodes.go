package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/k8s"
)

// startKube starts a server with Kubernetes on, instant boots and the
// quotas raised, for the rows that make Nodes; the caller stops it.
func (b *bench) startKube(ctx context.Context) (*server, error) {
	s, err := b.startServer(ctx, serverOptions{kube: true, debug: true, args: []string{"--boot-latency", "0"}})
	if err != nil {
		return nil, err
	}
	if err := s.raiseQuotas(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// rowNodes is row c: N Nodes Ready in one scale-out, against a plain
// client-go program and kwok making as many Nodes Ready on a fresh API
// server of the same build. Each of the runs measures the three in turn;
// the table shows the medians.
func (b *bench) rowNodes(ctx context.Context) error {
	n := b.size.nodes
	s, err := b.startKube(ctx)
	if err != nil {
		return err
	}
	defer s.stop()
	kwok, err := b.kwok(ctx)
	if err != nil {
		return err
	}
	var ours, register, clientGo, kw []time.Duration
	var cpus [][3]string
	for run := range b.size.runs {
		b.log.Info("c: ackscale scale-out", "run", run+1, "nodes", n)
		total, reg, cpuOurs, err := b.scaleOutReady(ctx, s, n, run)
		if err != nil {
			return err
		}
		ours, register = append(ours, total), append(register, reg)
		b.log.Info("c: client-go", "run", run+1)
		d, cpuClient, err := b.clientGoNodes(ctx, n)
		if err != nil {
			return fmt.Errorf("client-go baseline: %w", err)
		}
		clientGo = append(clientGo, d)
		b.log.Info("c: kwok", "run", run+1)
		dk, cpuKwok, err := b.kwokNodes(ctx, kwok, n)
		if err != nil {
			return fmt.Errorf("kwok baseline: %w", err)
		}
		kw = append(kw, dk)
		cpus = append(cpus, [3]string{cpuOurs, cpuClient, cpuKwok})
		b.log.Info("c: run", "run", run+1, "ackscale", total, "register", reg, "client-go", d, "kwok", dk,
			"cpu_ackscale", cpuOurs, "cpu_client_go", cpuClient, "cpu_kwok", cpuKwok)
	}
	o, r, c, k := median(ours), median(register), median(clientGo), median(kw)
	runs := fmt.Sprintf(" (median of %d)", b.size.runs)
	if b.size.runs == 1 {
		runs = ""
	}
	b.add(row{figure: fmt.Sprintf("c. %d Nodes Ready in one scale-out (request to task success) vs client-go%s", n, runs),
		ackscale: secs(o), baseline: "client-go, 16 in flight: " + secs(c), ratio: ratio(o.Seconds(), c.Seconds()),
		target: "≤ 1.25", met: met(o <= c*5/4)})
	b.add(row{figure: fmt.Sprintf("c. the same vs kwok %s%s", kwokVersion, runs),
		ackscale: secs(o), baseline: "kwok: " + secs(k), ratio: ratio(o.Seconds(), k.Seconds()),
		target: "< 1 (faster)", met: met(o < k)})
	b.add(row{figure: "c. its register stage alone (Nodes and Leases) vs client-go", ackscale: secs(r),
		baseline: "client-go: " + secs(c), ratio: ratio(r.Seconds(), c.Seconds())})
	mid := slices.Index(ours, o) // the median run's CPU time
	b.add(row{figure: "c. CPU time of that run (ackscale's median run; client-go's and kwok's of the same run)",
		ackscale: cpus[mid][0], baseline: "client-go: " + cpus[mid][1] + "; kwok: " + cpus[mid][2]})
	b.add(row{figure: "c. IP-allocation retries", ackscale: strconv.Itoa(s.count("create instance: retrying")), target: "0",
		met: met(s.count("create instance: retrying") == 0)})
	return nil
}

// scaleOutReady creates a cluster, scales it out by n and returns the time
// from the request to the task's success (every Node Ready) and that of its
// register stage; then it deletes the cluster.
func (b *bench) scaleOutReady(ctx context.Context, s *server, n, run int) (total, register time.Duration, cpu string, err error) {
	c := s.client(4)
	var acc acsclient.Accepted
	if err := c.Do(ctx, "POST", "/clusters", clusterBody(fmt.Sprintf("nodes-%d", run)), &acc); err != nil {
		return 0, 0, "", err
	}
	if _, err := waitTask(ctx, c, acc.TaskID, 200*time.Millisecond); err != nil {
		return 0, 0, "", err
	}
	stop := b.profile(s.cmd.Process.Pid, fmt.Sprintf("c-scaleout-%d", run+1))
	u0, start := measure(s.pids()), time.Now()
	var so acsclient.Accepted
	if err := c.Do(ctx, "POST", "/api/v2/clusters/"+acc.ClusterID, scaleOutBody(n), &so); err != nil {
		stop()
		return 0, 0, "", err
	}
	// Polled once a second: DescribeTaskInfo lists the task's workers, and
	// polling it often would load ackscale. The times come from its log.
	_, err = waitTask(ctx, c, so.TaskID, time.Second)
	stop()
	if err != nil {
		return 0, 0, "", err
	}
	cpu = cpuUsed(u0, measure(s.pids()), "ackscale", "apiserver", "etcd")
	tl := s.timeline(so.TaskID)
	total, register = tl["end"].Sub(start), tl["end"].Sub(tl["register"])
	b.log.Info("c: stages", "plan", tl["create_instances"].Sub(start), "create_instances", tl["wait_running"].Sub(tl["create_instances"]),
		"wait_running", tl["register"].Sub(tl["wait_running"]), "register", register)
	var del acsclient.Accepted
	if err := c.Do(ctx, "DELETE", "/clusters/"+acc.ClusterID, nil, &del); err != nil {
		return 0, 0, "", err
	}
	_, err = waitTask(ctx, c, del.TaskID, 200*time.Millisecond)
	return total, register, cpu, err
}

// cpuUsed says how much CPU time each role used between a and b.
func cpuUsed(a, b usage, roles ...string) string {
	var parts []string
	for _, r := range roles {
		parts = append(parts, fmt.Sprintf("%s %.2f s", r, (b[r].cpu-a[r].cpu).Seconds()))
	}
	return strings.Join(parts, ", ")
}

// apiServer is an etcd and one kube-apiserver of ./bin, with the flags
// ackscale gives its own, and a plain client-go client of it (JSON, no
// client-side rate limit).
type apiServer struct {
	m          *k8s.Manager
	cs         kubernetes.Interface
	kubeconfig []byte
	dir        string // the Manager's data dir
}

func (b *bench) freshAPIServer(ctx context.Context) (*apiServer, error) {
	dir, err := os.MkdirTemp(b.tmp, "apiserver-")
	if err != nil {
		return nil, err
	}
	m, err := k8s.NewManager(k8s.Config{BinDir: b.kubeBin, DataDir: dir, Catalog: catalog.Default(), LeaseInterval: time.Hour})
	if err != nil {
		return nil, err
	}
	a := &apiServer{m: m, dir: dir}
	if err := a.start(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func (a *apiServer) start(ctx context.Context) error {
	if err := a.m.Start(ctx); err != nil {
		return err
	}
	if _, err := a.m.EnsureCluster(ctx, ackscale.Cluster{ID: "cbaseline"}); err != nil {
		return err
	}
	var err error
	if a.kubeconfig, err = a.m.Kubeconfig("cbaseline"); err != nil {
		return err
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(a.kubeconfig)
	if err != nil {
		return err
	}
	rc.QPS = -1 // no client-side rate limit
	a.cs, err = kubernetes.NewForConfig(rc)
	return err
}

func (a *apiServer) close() { _ = a.m.Close() }

// pids are its etcd and API server.
func (a *apiServer) pids() map[string][]int { return kubePids(filepath.Join(a.dir, "kube")) }

// clientGoNodes is the plain client-go baseline: n Nodes created Ready
// (with their status, in one call each) and a Lease each, 16 in flight.
func (b *bench) clientGoNodes(ctx context.Context, n int) (time.Duration, string, error) {
	a, err := b.freshAPIServer(ctx)
	if err != nil {
		return 0, "", err
	}
	defer a.close()
	cs, pids := a.cs, a.pids()
	pids["client-go"] = []int{os.Getpid()}
	u0, start := measure(pids), time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(b.size.clientInFlight)
	for i := range n {
		g.Go(func() error {
			node := plainNode(i, true)
			if _, err := cs.CoreV1().Nodes().Create(gctx, node, metav1.CreateOptions{}); err != nil {
				return err
			}
			now := metav1.NewMicroTime(time.Now())
			_, err := cs.CoordinationV1().Leases("kube-node-lease").Create(gctx, &coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: node.Name, Namespace: "kube-node-lease"},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node.Name), LeaseDurationSeconds: ptr.To(int32(40)),
					RenewTime: &now}}, metav1.CreateOptions{})
			return err
		})
	}
	err = g.Wait()
	took := time.Since(start)
	return took, cpuUsed(u0, measure(pids), "client-go", "apiserver", "etcd"), err
}

// plainNode is a Node like those ackscale registers; Ready with its status
// when withStatus, bare (for kwok to make Ready) otherwise.
func plainNode(i int, withStatus bool) *corev1.Node {
	ip := fmt.Sprintf("192.168.%d.%d", 16+i/250, 3+i%250)
	name := "cn-hangzhou." + ip
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"node.kubernetes.io/instance-type": "ecs.c5.xlarge", "topology.kubernetes.io/region": "cn-hangzhou",
		"topology.kubernetes.io/zone": "cn-hangzhou-h", "ack.aliyun.com": "cbaseline", "type": "kwok"},
		Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0"}},
		Spec: corev1.NodeSpec{ProviderID: "cn-hangzhou.i-bench" + strconv.Itoa(i)}}
	if !withStatus {
		return node
	}
	now := metav1.Now()
	capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi"),
		corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("120Gi")}
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus) corev1.NodeCondition {
		return corev1.NodeCondition{Type: t, Status: s, LastHeartbeatTime: now, LastTransitionTime: now, Reason: "Bench"}
	}
	node.Status = corev1.NodeStatus{Capacity: capacity, Allocatable: capacity, Phase: corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{cond(corev1.NodeMemoryPressure, corev1.ConditionFalse),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse), cond(corev1.NodePIDPressure, corev1.ConditionFalse),
			cond(corev1.NodeReady, corev1.ConditionTrue)},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}, {Type: corev1.NodeHostName, Address: name}},
		NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.34.4", ContainerRuntimeVersion: "containerd://1.6.38",
			OSImage: "Alibaba Cloud Linux 3", OperatingSystem: "linux", Architecture: "amd64"}}
	return node
}

// kwokNodes is the kwok baseline: kwok runs against a fresh API server,
// n bare Nodes are created (16 in flight), and the time runs until kwok
// has made every one Ready.
func (b *bench) kwokNodes(ctx context.Context, kwokBin string, n int) (took time.Duration, cpu string, err error) {
	a, err := b.freshAPIServer(ctx)
	if err != nil {
		return 0, "", err
	}
	defer a.close()
	cs, cfg := a.cs, a.kubeconfig
	dir, err := os.MkdirTemp(b.tmp, "kwok-")
	if err != nil {
		return 0, "", err
	}
	kubeconfig, config := filepath.Join(dir, "kubeconfig"), filepath.Join(dir, "kwok.yaml")
	if err := os.WriteFile(kubeconfig, cfg, 0o600); err != nil {
		return 0, "", err
	}
	stages, err := b.kwokStages(ctx)
	if err != nil {
		return 0, "", err
	}
	if err := os.WriteFile(config, stages, 0o600); err != nil {
		return 0, "", err
	}
	logs, err := os.Create(filepath.Join(dir, "kwok.log"))
	if err != nil {
		return 0, "", err
	}
	defer logs.Close()
	kctx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(kctx, kwokBin, "--kubeconfig", kubeconfig, "--config", config, "--manage-all-nodes=true",
		"--node-lease-duration-seconds", "40", "--server-address", "127.0.0.1:0")
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	defer func() { stop(); _ = cmd.Wait() }()
	// kwok is ready once it manages a Node: a first one, not timed.
	if err := createAndWaitReady(ctx, cs, []int{n}); err != nil {
		return 0, "", fmt.Errorf("kwok did not make a first Node Ready (log in %s): %w", logs.Name(), err)
	}
	pids := a.pids()
	pids["kwok"] = []int{cmd.Process.Pid}
	u0, start := measure(pids), time.Now()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if err := createAndWaitReady(ctx, cs, idx); err != nil {
		return 0, "", fmt.Errorf("log in %s: %w", logs.Name(), err)
	}
	took = time.Since(start)
	return took, cpuUsed(u0, measure(pids), "kwok", "apiserver", "etcd"), nil
}

// kwokStages is the configuration kwokctl gives kwok by default: the
// Stages that make a Node Ready and keep its heartbeat (its Lease is kwok's
// own node-lease controller), read from kwok's module.
func (b *bench) kwokStages(ctx context.Context) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "sigs.k8s.io/kwok@"+kwokVersion)
	cmd.Dir = b.tmp // outside ackscale's module
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download sigs.k8s.io/kwok@%s: %w", kwokVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return nil, err
	}
	var all []byte
	for _, f := range []string{"fast/node-initialize.yaml", "heartbeat-with-lease/node-heartbeat-with-lease.yaml"} {
		stage, err := os.ReadFile(filepath.Join(mod.Dir, "kustomize", "stage", "node", f))
		if err != nil {
			return nil, err
		}
		all = append(append(all, "---\n"...), stage...)
	}
	return all, nil
}

// createAndWaitReady creates the bare Nodes idx, 16 in flight, and waits
// until each is Ready (watching, not polling).
func createAndWaitReady(ctx context.Context, cs kubernetes.Interface, idx []int) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	w, err := cs.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	defer w.Stop()
	want := map[string]bool{}
	for _, i := range idx {
		want[plainNode(i, false).Name] = true
	}
	var created atomic.Int64
	errc := make(chan error, 1)
	go func() {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for _, i := range idx {
			g.Go(func() error {
				_, err := cs.CoreV1().Nodes().Create(gctx, plainNode(i, false), metav1.CreateOptions{})
				created.Add(1)
				return err
			})
		}
		errc <- g.Wait()
	}()
	ready := map[string]bool{}
	for len(ready) < len(want) {
		select {
		case err := <-errc:
			if err != nil {
				return fmt.Errorf("create Nodes: %w", err)
			}
		case <-ctx.Done():
			return fmt.Errorf("%d of %d Nodes Ready (%d created): %w", len(ready), len(want), created.Load(), ctx.Err())
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch ended with %d of %d Nodes Ready", len(ready), len(want))
			}
			node, isNode := ev.Object.(*corev1.Node)
			if !isNode || ev.Type == watch.Deleted || !want[node.Name] {
				continue
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready[node.Name] = true
				}
			}
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
