package main

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/metrics"
)

// newMetrics wires the metrics to the stores, River's table and, with
// Kubernetes on, a probe of the API servers.
func (a *app) newMetrics() error {
	cfg := metrics.Config{Tasks: a.stores.Clusters, Jobs: a.db.counts, Clusters: a.stores.Clusters, Workers: a.stores.Workers,
		Instances: a.stores.Cloud, DB: a.db.sqlDB, Version: version()}
	if a.kube != nil {
		a.probe = &metrics.KubeProbe{Clusters: a.stores.Clusters}
		cfg.Kube = a.probe
	}
	var err error
	a.metrics, err = metrics.New(cfg)
	return err
}

// readyChecks are the checks of one /readyz: the database answers a query,
// River has started and not stopped and, with Kubernetes on, etcd and each
// cluster's API server answer.
func (a *app) readyChecks(ctx context.Context) []httpapi.Check {
	checks := []httpapi.Check{
		{Name: "database", Func: a.db.ping},
		{Name: "jobs", Func: func(context.Context) error { return a.jobsRunning() }},
	}
	if a.probe == nil {
		return checks
	}
	ts, err := a.probe.Targets(ctx)
	if err != nil {
		return append(checks, httpapi.Check{Name: "kube", Func: func(context.Context) error { return err }})
	}
	for _, t := range ts {
		checks = append(checks, httpapi.Check{Name: t.Name, Func: t.Check})
	}
	return checks
}

// jobsRunning says whether River has started and not stopped.
func (a *app) jobsRunning() error {
	if !a.jobsStarted.Load() {
		return errors.New("the job queue (River) has not started")
	}
	select {
	case <-a.db.jobs.Stopped():
		return errors.New("the job queue (River) has stopped")
	default:
		return nil
	}
}

// version is the module version and VCS revision the binary was built
// from, as Go recorded them.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(len(s.Value), 12)]
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" && (v == "" || v == "(devel)") {
		return rev + dirty
	}
	if v == "" {
		return "(devel)"
	}
	return v
}
