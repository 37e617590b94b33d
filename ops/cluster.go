package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// CreateCluster validates a CreateCluster body, applies its defaults and
// accepts the cluster with its create task (which also adds the first
// workers when the body asks for some).
func (s *Service) CreateCluster(ctx context.Context, c Caller, body []byte) (Accepted, error) {
	spec, err := rules.CreateCluster(body, s.cfg.Cloud)
	if err != nil {
		return Accepted{}, err
	}
	if spec.Runtime.Version == "" {
		spec.Runtime.Version = s.cfg.Cloud.DefaultRuntimeVersion(spec.Runtime.Name)
	}
	now := s.now()
	cl := ackscale.Cluster{
		ID: ackscale.NewClusterID(), AccountID: c.AccountID, Spec: spec, State: ackscale.ClusterInitial,
		Profile: ackscale.ProfileOf(spec.ClusterType, spec.Profile, spec.Runtime.Name), Created: now, Updated: now,
	}
	if spec.LoginPassword != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(spec.LoginPassword), s.cfg.BcryptCost)
		if err != nil {
			return Accepted{}, fmt.Errorf("hash password: %w", err)
		}
		cl.PasswordHash, cl.Spec.LoginPassword = string(hash), ""
	}
	t := s.newTask(c, cl.ID, ackscale.TaskCreateCluster, spec.TimeoutMins)
	pool := defaultPool(cl, spec.LoginPassword != "", now)
	t.Params.NodePoolIDs = []string{pool.ID}
	p := ackscale.ClusterCreateParams{Cluster: cl, Task: t, DefaultPool: pool}
	if spec.NumOfNodes > 0 {
		p.DefaultPool.Spec = withDesired(p.DefaultPool.Spec, spec.NumOfNodes)
		so := initialWorkers(spec)
		q, err := s.quotas(ctx, c)
		if err != nil {
			return Accepted{}, err
		}
		if err := workersQuota(q, 0, so.Count); err != nil {
			return Accepted{}, err
		}
		p.Task.Params.ScaleOut, p.Reserve = so, s.reservation(q, cl, *so)
	}
	if err := s.cfg.Clusters.ClusterCreate(ctx, p); err != nil {
		return Accepted{}, err
	}
	s.log.InfoContext(ctx, "cluster created", "request_id", c.RequestID, "cluster_id", cl.ID, "task_id", p.Task.ID, "profile", cl.Profile)
	return Accepted{ClusterID: cl.ID, TaskID: t.ID}, nil
}

// initialWorkers is the scale-out a create body's legacy worker fields ask
// for: the cluster's vSwitches, pay-as-you-go, and failed workers kept
// rather than rolled back (ACK keeps a created cluster whose workers failed).
func initialWorkers(spec ackscale.ClusterSpec) *ackscale.ScaleOut {
	return &ackscale.ScaleOut{
		Count: spec.NumOfNodes, InstanceTypes: spec.WorkerInstanceTypes, VSwitchIDs: spec.VSwitchIDs,
		ImageID: spec.WorkerImageID, SystemDiskCategory: spec.WorkerSystemDiskCategory,
		SystemDiskSizeGiB: spec.WorkerSystemDiskSizeGiB, KeyPair: spec.KeyPair, HasPassword: spec.LoginPassword != "",
		TimeoutMins: spec.TimeoutMins, DisableRollback: true, ChargeType: "PostPaid",
	}
}

// defaultPool is a new cluster's default node pool: its workers are made
// of the cluster's worker settings.
func defaultPool(cl ackscale.Cluster, hasPassword bool, now time.Time) ackscale.NodePool {
	spec := cl.Spec
	workers := *initialWorkers(spec)
	workers.Count, workers.Runtime, workers.HasPassword = 0, &spec.Runtime, hasPassword
	sg := map[string]any{"instance_charge_type": "PostPaid"}
	for k, v := range map[string]any{"instance_types": spec.WorkerInstanceTypes, "vswitch_ids": spec.VSwitchIDs,
		"system_disk_category": spec.WorkerSystemDiskCategory, "system_disk_size": spec.WorkerSystemDiskSizeGiB,
		"key_pair": spec.KeyPair, "image_id": spec.WorkerImageID} {
		if !isZero(v) {
			sg[k] = v
		}
	}
	cfg, _ := json.Marshal(map[string]any{
		"nodepool_info":     map[string]any{"name": ackscale.DefaultNodePoolName, "type": ackscale.NodePoolTypeESS},
		"scaling_group":     sg,
		"kubernetes_config": map[string]any{"runtime": spec.Runtime.Name, "runtime_version": spec.Runtime.Version},
		"auto_scaling":      map[string]any{"enable": false},
	})
	return ackscale.NodePool{ID: ackscale.NewNodePoolID(), ClusterID: cl.ID, AccountID: cl.AccountID, IsDefault: true,
		Created: now, Updated: now, // its state: the create task's (the store sets it)
		Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS, Workers: workers, Config: cfg}}
}

// isZero reports whether a configuration value is unset.
func isZero(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case int:
		return v == 0
	case []string:
		return len(v) == 0
	}
	return v == nil
}

// ClusterInfo is a cluster and its size (its workers in any state).
type ClusterInfo struct {
	ackscale.Cluster
	Size int
}

// DescribeCluster returns the caller's cluster.
func (s *Service) DescribeCluster(ctx context.Context, c Caller, id string) (ClusterInfo, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return ClusterInfo{}, err
	}
	return s.clusterInfo(ctx, cl)
}

func (s *Service) clusterInfo(ctx context.Context, cl ackscale.Cluster) (ClusterInfo, error) {
	n, err := s.cfg.Workers.WorkerCount(ctx, cl.ID)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("count workers: %w", err)
	}
	return ClusterInfo{Cluster: cl, Size: n}, nil
}

// ClusterListParams filter the caller's clusters. Page numbers and sizes
// are as the request sent them ("" for the defaults).
type ClusterListParams struct {
	ClusterID   string
	Name        string
	ClusterType string
	Profile     string
	RegionID    string
	Page        PageParams
}

// ClusterList is one page of the caller's clusters.
type ClusterList struct {
	Clusters []ClusterInfo
	Page     Page
	Total    int
}

// ListClusters returns one page of the caller's clusters, newest first.
func (s *Service) ListClusters(ctx context.Context, c Caller, p ClusterListParams) (ClusterList, error) {
	page, err := p.Page.parse()
	if err != nil {
		return ClusterList{}, err
	}
	cs, total, err := s.cfg.Clusters.ClusterList(ctx, ackscale.ClusterListParams{
		AccountID: c.AccountID, ClusterID: p.ClusterID, Name: p.Name, ClusterType: p.ClusterType,
		Profile: p.Profile, RegionID: p.RegionID, Offset: page.Offset(), Limit: page.Limit()})
	if err != nil {
		return ClusterList{}, fmt.Errorf("list clusters: %w", err)
	}
	out := ClusterList{Clusters: make([]ClusterInfo, 0, len(cs)), Page: page, Total: total}
	for _, cl := range cs {
		info, err := s.clusterInfo(ctx, cl)
		if err != nil {
			return ClusterList{}, err
		}
		out.Clusters = append(out.Clusters, info)
	}
	return out, nil
}

// DeleteCluster accepts the deletion of the caller's cluster: refused
// while deletion protection is on, or while the cluster's state cannot
// move to deleting (a task runs on it).
func (s *Service) DeleteCluster(ctx context.Context, c Caller, id string) (Accepted, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return Accepted{}, err
	}
	if cl.Spec.DeletionProtection {
		return Accepted{}, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s has deletion_protection on", cl.ID)
	}
	if !cl.State.CanMoveTo(ackscale.ClusterDeleting) {
		return Accepted{}, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it can be deleted when %s",
			cl.ID, cl.State, orList(ackscale.ClusterDeleting.Before()))
	}
	t := s.newTask(c, cl.ID, ackscale.TaskDeleteCluster, 0)
	return s.start(ctx, cl, ackscale.TaskStartParams{Task: t, From: cl.State, To: ackscale.ClusterDeleting})
}

// start accepts a task that moves the cluster From → To.
func (s *Service) start(ctx context.Context, cl ackscale.Cluster, p ackscale.TaskStartParams) (Accepted, error) {
	if err := s.cfg.Clusters.TaskStart(ctx, p); err != nil {
		return Accepted{}, err
	}
	s.log.InfoContext(ctx, "task accepted", "cluster_id", cl.ID, "task_id", p.Task.ID, "task_type", p.Task.Type)
	return Accepted{ClusterID: cl.ID, TaskID: p.Task.ID}, nil
}

// orList renders states as "a, b or c".
func orList[S ~string](states []S) string {
	out := ""
	for i, st := range states {
		switch {
		case i == 0:
		case i == len(states)-1:
			out += " or "
		default:
			out += ", "
		}
		out += string(st)
	}
	return out
}
