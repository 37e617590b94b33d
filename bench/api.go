package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
)

// clusterBody is CreateCluster with no workers.
func clusterBody(name string) map[string]any {
	return map[string]any{"name": name, "region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}
}

// scaleOutBody is ScaleOutCluster of count ecs.c5.xlarge workers over the
// cluster's vSwitches.
func scaleOutBody(count int) map[string]any {
	return map[string]any{"count": count, "key_pair": "secrity-key", "worker_instance_types": []string{"ecs.c5.xlarge"}}
}

// createClusters creates n clusters, conc at a time, and waits until every
// one runs.
func (s *server) createClusters(ctx context.Context, prefix string, n, conc int) ([]string, error) {
	ids := make([]string, n)
	c := s.client(conc)
	r := load(ctx, conc, n, func(ctx context.Context, i int) error {
		var acc acsclient.Accepted
		err := c.Do(ctx, "POST", "/clusters", clusterBody(fmt.Sprintf("%s-%d", prefix, i)), &acc)
		ids[i] = acc.ClusterID
		return err
	})
	if r.failed > 0 {
		return nil, fmt.Errorf("create clusters: %d of %d failed: %w", r.failed, n, r.firstErr)
	}
	return ids, s.waitIdle(ctx, 10*time.Minute)
}

// waitIdle waits until no task runs.
func (s *server) waitIdle(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		var c ackscale.Check
		err := s.admin(ctx, "GET", "check", nil, &c)
		if err == nil && c.TasksRunning == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tasks still running (%d) after %s: %v", c.TasksRunning, timeout, err)
		case <-time.After(time.Second): // the check reads every table: not more often
		}
	}
}

// task is the part of DescribeTaskInfo the bench reads.
type task struct {
	State        string `json:"state"`
	CurrentStage string `json:"current_stage"`
	Error        *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// waitTask polls the task every poll until it ends; it returns when each
// stage was first seen (from the start of the wait).
func waitTask(ctx context.Context, c *acsclient.Client, id string, poll time.Duration) (map[string]time.Duration, error) {
	start := time.Now()
	seen := map[string]time.Duration{}
	for {
		var t task
		err := c.Do(ctx, "GET", "/tasks/"+url.PathEscape(id), nil, &t)
		if err == nil {
			if _, ok := seen[t.CurrentStage]; !ok {
				seen[t.CurrentStage] = time.Since(start)
			}
			switch t.State {
			case "success":
				seen["end"] = time.Since(start)
				return seen, nil
			case "failed":
				msg := ""
				if t.Error != nil {
					msg = t.Error.Code + ": " + t.Error.Message
				}
				return seen, fmt.Errorf("task %s failed: %s", id, msg)
			}
		}
		select {
		case <-ctx.Done():
			return seen, fmt.Errorf("wait task %s: %w (last error: %v)", id, ctx.Err(), err)
		case <-time.After(poll):
		}
	}
}

// raiseQuotas lifts the account quotas a bench run would reach.
func (s *server) raiseQuotas(ctx context.Context) error {
	for _, q := range []ackscale.QuotaOverride{
		{AccountID: "*", Name: ackscale.QuotaECSInstancesPerRegion, Value: 1000000},
		{AccountID: "*", Name: ackscale.QuotaECSVCPUsPerRegion, Value: 10000000},
	} {
		if err := s.admin(ctx, "PUT", "quotas", q, nil); err != nil {
			return err
		}
	}
	return nil
}
