package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ackscale/ackscale"
)

// storeCollector reads counts from the stores at each scrape, so every
// value is the store's (it survives restarts, and a second process on the
// same data would report the same). A source that fails makes its metric
// an error of the scrape; the others are still served.
type storeCollector struct {
	cfg       Config
	tasks     *prometheus.Desc
	jobs      *prometheus.Desc
	clusters  *prometheus.Desc
	nodes     *prometheus.Desc
	workers   *prometheus.Desc
	instances *prometheus.Desc
}

func newStoreCollector(cfg Config) *storeCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, nil)
	}
	return &storeCollector{
		cfg:      cfg,
		tasks:    desc("tasks", "Tasks by type and state, as the store has them (every task ever accepted).", "type", "state"),
		jobs:     desc("jobs", "River jobs by state: the task queue's depth (available, running, retryable, scheduled…).", "state"),
		clusters: desc("clusters", "Clusters by state (deleted ones are not counted).", "state"),
		nodes: desc("nodes", "Workers that are Nodes, by cluster and Ready condition (Ready, NotReady, Unknown).",
			"cluster_id", "status"),
		workers:   desc("workers", "Workers by cluster and state (initial, starting, running, failed, removing).", "cluster_id", "state"),
		instances: desc("instances", "Emulated cloud instances by status, as last recorded (Pending, Running, Released).", "status"),
	}
}

// Describe sends every metric's description.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.jobs, c.clusters, c.nodes, c.workers, c.instances} {
		ch <- d
	}
}

// Collect reads each source once.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	if c.cfg.Tasks != nil {
		c.report(ch, c.tasks, c.collectTasks(ctx, ch))
	}
	if c.cfg.Jobs != nil {
		c.report(ch, c.jobs, c.collectJobs(ctx, ch))
	}
	if c.cfg.Clusters != nil {
		c.report(ch, c.clusters, c.collectClusters(ctx, ch))
	}
	if c.cfg.Instances != nil {
		c.report(ch, c.instances, c.collectInstances(ctx, ch))
	}
}

// report turns a source's error into an invalid metric, which fails that
// metric of the scrape: the HTTP handler logs it and serves the others.
func (c *storeCollector) report(ch chan<- prometheus.Metric, d *prometheus.Desc, err error) {
	if err != nil {
		ch <- prometheus.NewInvalidMetric(d, err)
	}
}

func gauge(d *prometheus.Desc, v int, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
}

// collectTasks reports every known type and state, zeros included, so a
// dashboard sees a series before the first task of its kind.
func (c *storeCollector) collectTasks(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.cfg.Tasks.TaskCountsByType(ctx)
	if err != nil {
		return err
	}
	type key struct {
		typ   ackscale.TaskType
		state ackscale.TaskState
	}
	n := map[key]int{}
	for _, tc := range counts {
		n[key{tc.Type, tc.State}] += tc.Count
	}
	for _, typ := range ackscale.TaskTypes() {
		for _, st := range []ackscale.TaskState{ackscale.TaskRunning, ackscale.TaskSuccess, ackscale.TaskFailed} {
			if _, ok := n[key{typ, st}]; !ok {
				n[key{typ, st}] = 0
			}
		}
	}
	for k, v := range n {
		ch <- gauge(c.tasks, v, string(k.typ), string(k.state))
	}
	return nil
}

func (c *storeCollector) collectJobs(ctx context.Context, ch chan<- prometheus.Metric) error {
	counts, err := c.cfg.Jobs.JobCounts(ctx)
	if err != nil {
		return err
	}
	n := map[string]int{}
	for _, s := range []string{"available", "running", "retryable", "scheduled"} { // the queue proper, zeros included
		n[s] = 0
	}
	for _, jc := range counts {
		n[jc.State] += jc.Count
	}
	for s, v := range n {
		ch <- gauge(c.jobs, v, s)
	}
	return nil
}

// collectClusters reports clusters by state and, with Workers, each
// cluster's workers and Nodes.
func (c *storeCollector) collectClusters(ctx context.Context, ch chan<- prometheus.Metric) error {
	cs, _, err := c.cfg.Clusters.ClusterList(ctx, ackscale.ClusterListParams{})
	if err != nil {
		return err
	}
	n := map[ackscale.ClusterState]int{}
	for _, s := range ackscale.ClusterStates() {
		if s != ackscale.ClusterDeleted {
			n[s] = 0
		}
	}
	for _, cl := range cs {
		n[cl.State]++
	}
	for s, v := range n {
		ch <- gauge(c.clusters, v, string(s))
	}
	if c.cfg.Workers == nil {
		return nil
	}
	for _, cl := range cs {
		if err := c.collectWorkers(ctx, ch, cl.ID); err != nil {
			c.report(ch, c.workers, err)
			return nil
		}
	}
	return nil
}

// collectWorkers reports one cluster's workers by state and its Nodes by
// Ready condition, zeros included. A worker with no Node status yet (planned,
// its instance booting) is not a Node.
func (c *storeCollector) collectWorkers(ctx context.Context, ch chan<- prometheus.Metric, clusterID string) error {
	counts, err := c.cfg.Workers.WorkerCounts(ctx, clusterID)
	if err != nil {
		return err
	}
	states := map[ackscale.NodeState]int{}
	for _, s := range ackscale.NodeStates() {
		states[s] = 0
	}
	nodes := map[ackscale.NodeStatus]int{ackscale.NodeReady: 0, ackscale.NodeNotReady: 0, ackscale.NodeUnknown: 0}
	for _, wc := range counts {
		states[wc.State] += wc.Count
		if wc.NodeStatus != "" {
			nodes[wc.NodeStatus] += wc.Count
		}
	}
	for s, v := range states {
		ch <- gauge(c.workers, v, clusterID, string(s))
	}
	for s, v := range nodes {
		ch <- gauge(c.nodes, v, clusterID, string(s))
	}
	return nil
}

func (c *storeCollector) collectInstances(ctx context.Context, ch chan<- prometheus.Metric) error {
	ins, err := c.cfg.Instances.InstanceList(ctx, ackscale.InstanceListParams{})
	if err != nil {
		return err
	}
	n := map[ackscale.InstanceStatus]int{ackscale.InstancePending: 0, ackscale.InstanceRunning: 0, ackscale.InstanceReleased: 0}
	for _, in := range ins {
		n[in.Status]++
	}
	for s, v := range n {
		ch <- gauge(c.instances, v, string(s))
	}
	return nil
}
