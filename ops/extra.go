package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// The CS operations Terraform's provider and the aliyun CLI call besides
// the cluster life cycle: a cluster's resources, control-plane log
// configuration, certificates and tasks; the clusters of a region;
// ModifyCluster; the account's quotas; the Kubernetes versions offered.

// ResourceRef names a resource another depends on.
type ResourceRef struct {
	Type string
	ID   string
}

// ClusterResource is a cloud resource of a cluster, as ACK lists them.
type ClusterResource struct {
	Type  string // ROS type, e.g. ALIYUN::ECS::Instance
	ID    string
	Name  string // its logical name in the cluster's template
	State string // CREATE_COMPLETE, CREATE_IN_PROGRESS, CREATE_FAILED, DELETE_IN_PROGRESS
	// AutoCreate: ACK created it for the cluster (and deletes it with
	// the cluster); the VPC and vSwitches are the user's.
	AutoCreate bool
	Created    time.Time
	// Object is the Kubernetes object the resource serves, if any
	// (kind, namespace, name).
	Object       *[3]string
	Dependencies []ResourceRef
}

// Resource types of DescribeClusterResources.
const (
	ResourceVPC           = "ALIYUN::ECS::VPC"
	ResourceVSwitch       = "ALIYUN::ECS::VSwitch"
	ResourceSecurityGroup = "ALIYUN::ECS::SecurityGroup"
	ResourceInstance      = "ALIYUN::ECS::Instance"
	ResourceENSInstance   = "ALIYUN::ENS::Instance"
	ResourceLoadBalancer  = "ALIYUN::SLB::LoadBalancer"
)

// securityGroupID is the id of a cluster's security group, as every view
// shows it.
func securityGroupID(clusterID string) string { return "sg-" + clusterID[1:21] }

// loadBalancerID is the id of the SLB in front of a cluster's API server.
func loadBalancerID(clusterID string) string { return "lb-" + clusterID[1:21] }

// resourceStates is the ROS state of a worker's instance.
var resourceStates = map[ackscale.NodeState]string{
	ackscale.NodeInitial: "CREATE_IN_PROGRESS", ackscale.NodeStarting: "CREATE_IN_PROGRESS", ackscale.NodeRunning: "CREATE_COMPLETE",
	ackscale.NodeFailed: "CREATE_FAILED", ackscale.NodeRemoving: "DELETE_IN_PROGRESS",
}

// ClusterResources lists the resources of the caller's cluster: its VPC
// and vSwitches (the user's), the security group, the SLB of its API
// server when it has one, and the instance of every worker the cloud has
// created (a worker whose instance was never created has none).
func (s *Service) ClusterResources(ctx context.Context, c Caller, id string) ([]ClusterResource, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return nil, err
	}
	spec := cl.Spec
	vpc := ResourceRef{Type: ResourceVPC, ID: spec.VPCID}
	sg := ResourceRef{Type: ResourceSecurityGroup, ID: securityGroupID(cl.ID)}
	out := []ClusterResource{{Type: ResourceVPC, ID: spec.VPCID, Name: "VPC", State: "CREATE_COMPLETE", Created: cl.Created}}
	for _, vsw := range spec.VSwitchIDs {
		out = append(out, ClusterResource{Type: ResourceVSwitch, ID: vsw, Name: "VSwitch", State: "CREATE_COMPLETE",
			Created: cl.Created, Dependencies: []ResourceRef{vpc}})
	}
	out = append(out, ClusterResource{Type: sg.Type, ID: sg.ID, Name: "k8sNodeSecurityGroup", State: "CREATE_COMPLETE",
		AutoCreate: true, Created: cl.Created, Dependencies: []ResourceRef{vpc}})
	if cl.APIServer != "" {
		out = append(out, ClusterResource{Type: ResourceLoadBalancer, ID: loadBalancerID(cl.ID), Name: "k8s_master_slb",
			State: "CREATE_COMPLETE", AutoCreate: true, Created: cl.Created, Object: &[3]string{"Service", "default", "kubernetes"},
			Dependencies: []ResourceRef{vpc}})
	}
	ws, _, err := s.cfg.Workers.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: cl.ID})
	if err != nil {
		return nil, fmt.Errorf("list workers: %w", err)
	}
	for _, w := range ws {
		if w.InstanceID == "" {
			continue
		}
		r := ClusterResource{Type: ResourceInstance, ID: w.InstanceID, Name: "KubernetesWorker", State: resourceStates[w.State],
			AutoCreate: true, Created: w.Created, Dependencies: []ResourceRef{sg}}
		// An edge worker is an ENS instance, in an ENS region.
		if w.EdgeWorker || w.RegionID != "" && w.RegionID != spec.RegionID {
			r.Type, r.Dependencies = ResourceENSInstance, nil
		} else if w.VSwitchID != "" {
			r.Dependencies = append(r.Dependencies, ResourceRef{Type: ResourceVSwitch, ID: w.VSwitchID})
		}
		if w.NodeName != "" {
			r.Object = &[3]string{"Node", "", w.NodeName}
		}
		out = append(out, r)
	}
	return out, nil
}

// ControlPlaneLog is a cluster's control-plane log configuration
// (CheckControlPlaneLogEnable).
type ControlPlaneLog struct {
	AccountID  string
	Project    string
	TTL        string
	Components []string
}

// ControlPlaneLog returns the control-plane log configuration of the
// caller's cluster: ackscale collects no logs, so logging is off (no
// project, no components).
func (s *Service) ControlPlaneLog(ctx context.Context, c Caller, id string) (ControlPlaneLog, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return ControlPlaneLog{}, err
	}
	return ControlPlaneLog{AccountID: cl.AccountID, Components: []string{}}, nil
}

// ClusterLog is one entry of a cluster's log (DescribeClusterLogs).
type ClusterLog struct {
	ID      int
	Message string
	Created time.Time
}

// ClusterLogs returns the log of the caller's cluster: ackscale keeps none
// (a task's events are in DescribeTaskInfo).
func (s *Service) ClusterLogs(ctx context.Context, c Caller, id string) ([]ClusterLog, error) {
	if _, err := s.cluster(ctx, c, id); err != nil {
		return nil, err
	}
	return []ClusterLog{}, nil
}

// ClusterCerts are a cluster's certificates in PEM (DescribeClusterCerts).
type ClusterCerts struct {
	CA   string
	Cert string
	Key  string
}

// ClusterCerts returns the certificates of the caller's cluster: the CA of
// its kube-apiserver when it has one, else none. There is never a client certificate or key: ackscale's
// kubeconfigs authenticate with a token.
func (s *Service) ClusterCerts(ctx context.Context, c Caller, id string) (ClusterCerts, error) {
	cl, err := s.cluster(ctx, c, id)
	if err != nil {
		return ClusterCerts{}, err
	}
	if s.cfg.Kube == nil || cl.APIServer == "" {
		return ClusterCerts{}, nil
	}
	ca, err := s.cfg.Kube.CA(cl.ID)
	if err != nil {
		return ClusterCerts{}, fmt.Errorf("CA of %s: %w", cl.ID, err)
	}
	return ClusterCerts{CA: string(ca)}, nil
}

// TaskListQuery is DescribeClusterTasks' query as sent: pages by number
// (page_number, page_size) or by token (max_results, next_token).
type TaskListQuery struct {
	ClusterID  string
	Page       PageParams
	MaxResults string // "" = the page's size
	NextToken  string // "" = from the first; else the offset an answer gave
}

// TaskPage is one page of a cluster's tasks.
type TaskPage struct {
	Tasks     []ackscale.Task
	Page      Page
	Total     int
	NextToken string // "" when this is the last page
}

// maxTaskToken bounds next_token, an offset.
const maxTaskToken = 1_000_000_000

// ClusterTasks returns one page of the caller's cluster's tasks, newest
// first.
func (s *Service) ClusterTasks(ctx context.Context, c Caller, q TaskListQuery) (TaskPage, error) {
	cl, err := s.cluster(ctx, c, q.ClusterID)
	if err != nil {
		return TaskPage{}, err
	}
	page, err := q.Page.parse()
	if err != nil {
		return TaskPage{}, err
	}
	if q.MaxResults != "" {
		n, err := strconv.Atoi(q.MaxResults)
		if err != nil || n < 1 || n > q.Page.MaxSize {
			return TaskPage{}, ackscale.FieldErrorf(ackscale.CodeOutOfRange, "max_results", "max_results: %q is not an integer in [1, %d]",
				q.MaxResults, q.Page.MaxSize)
		}
		if q.Page.Size != "" && q.Page.Size != q.MaxResults {
			return TaskPage{}, ackscale.FieldErrorf(ackscale.CodeConflict, "max_results", "max_results and %s differ: send one", q.Page.SizeName)
		}
		page.Size = n
	}
	offset := page.Offset()
	if q.NextToken != "" {
		n, err := strconv.Atoi(q.NextToken)
		if err != nil || n < 0 || n > maxTaskToken || strconv.Itoa(n) != q.NextToken {
			return TaskPage{}, ackscale.FieldErrorf(ackscale.CodeInvalidParameter, "next_token", "next_token: %q is not a token this API answered", q.NextToken)
		}
		if q.Page.Number != "" {
			return TaskPage{}, ackscale.FieldErrorf(ackscale.CodeConflict, "next_token", "next_token and %s: send one", q.Page.NumberName)
		}
		offset = n
	}
	ts, total, err := s.cfg.Clusters.TaskList(ctx, ackscale.TaskListParams{ClusterID: cl.ID, AccountID: c.AccountID, Offset: offset, Limit: page.Size})
	if err != nil {
		return TaskPage{}, fmt.Errorf("list tasks: %w", err)
	}
	out := TaskPage{Tasks: ts, Page: page, Total: total}
	if next := offset + len(ts); q.MaxResults != "" || q.NextToken != "" {
		if next < total {
			out.NextToken = strconv.Itoa(next)
		}
	}
	return out, nil
}

// RegionClusterListParams filter DescribeClustersForRegion, as sent.
type RegionClusterListParams struct {
	RegionID    string
	ClusterID   string
	Name        string
	ClusterType string
	ClusterSpec string
	Profile     string // Default matches clusters created without a profile
	Page        PageParams
}

// ListClustersForRegion returns one page of the caller's clusters in a
// region, newest first.
func (s *Service) ListClustersForRegion(ctx context.Context, c Caller, p RegionClusterListParams) (ClusterList, error) {
	if !s.cfg.Cloud.RegionExists(p.RegionID) {
		return ClusterList{}, ackscale.FieldErrorf(ackscale.CodeRegionNotFound, "region_id", "region_id: region %q does not exist", p.RegionID)
	}
	page, err := p.Page.parse()
	if err != nil {
		return ClusterList{}, err
	}
	lp := ackscale.ClusterListParams{AccountID: c.AccountID, RegionID: p.RegionID, ClusterID: p.ClusterID, Name: p.Name,
		ClusterType: p.ClusterType, Offset: page.Offset(), Limit: page.Limit()}
	// The store filters neither cluster_spec nor a profile that is the
	// default one: then the filter and the page are ours.
	byUs := p.ClusterSpec != "" || p.Profile != ""
	if byUs {
		lp.Offset, lp.Limit = 0, 0
	}
	cs, total, err := s.cfg.Clusters.ClusterList(ctx, lp)
	if err != nil {
		return ClusterList{}, fmt.Errorf("list clusters: %w", err)
	}
	if byUs {
		cs = slices.DeleteFunc(cs, func(cl ackscale.Cluster) bool {
			return p.ClusterSpec != "" && cl.Spec.ClusterSpec != p.ClusterSpec || p.Profile != "" && profileName(cl) != p.Profile
		})
		total = len(cs)
		cs = cs[min(page.Offset(), len(cs)):min(page.Offset()+page.Size, len(cs))]
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

// profileName is a cluster's profile as ACK names it: Default when it was
// created without one.
func profileName(cl ackscale.Cluster) string {
	if cl.Spec.Profile == "" {
		return "Default"
	}
	return cl.Spec.Profile
}

// ModifyCluster changes the caller's cluster: its name, deletion
// protection and maintenance window (rules.ModifyCluster refuses what
// ackscale cannot change). The task it answers with has ended when it is
// accepted. Refused while the cluster is being deleted.
func (s *Service) ModifyCluster(ctx context.Context, c Caller, clusterID string, body []byte) (Accepted, error) {
	cl, err := s.cluster(ctx, c, clusterID)
	if err != nil {
		return Accepted{}, err
	}
	if cl.State == ackscale.ClusterDeleting {
		return Accepted{}, ackscale.Errorf(ackscale.CodeClusterState, "cluster %s is %s; it cannot be modified", cl.ID, cl.State)
	}
	ch, err := rules.ModifyCluster(body)
	if err != nil {
		return Accepted{}, err
	}
	spec := cl.Spec
	if ch.Name != nil {
		spec.Name = *ch.Name
	}
	if ch.DeletionProtection != nil {
		spec.DeletionProtection = *ch.DeletionProtection
	}
	if ch.MaintenanceWindow != nil {
		spec.MaintenanceWindow = ch.MaintenanceWindow
	}
	t := s.endedTask(c, cl.ID, ackscale.TaskModifyCluster)
	if err := s.cfg.Clusters.ClusterUpdate(ctx, ackscale.ClusterUpdateParams{ID: cl.ID, AccountID: c.AccountID, Spec: spec,
		Task: t}); err != nil {
		return Accepted{}, err
	}
	s.log.InfoContext(ctx, "cluster modified", "request_id", c.RequestID, "cluster_id", cl.ID, "task_id", t.ID)
	return Accepted{ClusterID: cl.ID, TaskID: t.ID}, nil
}

// ModifyClusterName is aliyungo's POST /clusters/{id}/name/{name}: a
// ModifyCluster of the name alone.
func (s *Service) ModifyClusterName(ctx context.Context, c Caller, clusterID, name string) (Accepted, error) {
	if name == "" {
		return Accepted{}, ackscale.FieldErrorf(ackscale.CodeMissingParameter, "name", "name: required, but empty")
	}
	body, err := json.Marshal(map[string]string{"cluster_name": name})
	if err != nil {
		return Accepted{}, err
	}
	return s.ModifyCluster(ctx, c, clusterID, body)
}

// endedTask is a task of the caller's account that ended well as it was
// accepted: validate and done.
func (s *Service) endedTask(c Caller, clusterID string, typ ackscale.TaskType) ackscale.Task {
	t := s.newTask(c, clusterID, typ, 0)
	now := t.Created
	t.State, t.CurrentStage, t.Params.Deadline = ackscale.TaskSuccess, ackscale.StageDone, time.Time{}
	t.Stages = append(t.Stages, ackscale.TaskStage{Name: ackscale.StageDone, State: ackscale.StageSuccess, Start: now, End: now})
	t.Events = append(t.Events, ackscale.TaskEvent{Action: ackscale.StageDone, Level: ackscale.EventNormal,
		Reason: ackscale.ReasonTaskSucceeded, Message: "cluster " + clusterID + " modified", Source: "ackscale", Timestamp: now})
	return t
}

// ACK's documented defaults of the quotas ackscale does not emulate:
// answered by DescribeUserQuota, never enforced.
const (
	DefaultClusterQuota           = 50
	DefaultNodePoolQuota          = 20
	DefaultManagedClusterQuota    = 20
	DefaultServerlessClusterQuota = 20
)

// Quota is one quota in force.
type Quota struct {
	Name  string
	Value int
	Unit  string
}

// UserQuota is DescribeUserQuota's answer.
type UserQuota struct {
	Clusters            int // not enforced
	WorkersPerCluster   int // the workers_per_cluster quota
	NodePoolsPerCluster int // not enforced
	ManagedClusters     int // not enforced
	ServerlessClusters  int // not enforced
	// Quotas are the emulated quotas in force for the account, by name.
	Quotas []Quota
}

// quotaUnits are the units of the emulated quotas.
var quotaUnits = map[string]string{
	ackscale.QuotaECSInstancesPerRegion: "instance", ackscale.QuotaECSVCPUsPerRegion: "vCPU",
	ackscale.QuotaENSInstances: "instance", ackscale.QuotaWorkersPerCluster: "node",
}

// UserQuota returns the caller's quotas: node_quota is the emulated
// workers_per_cluster quota; the cluster and node-pool counts, which
// ackscale does not limit, are ACK's defaults.
func (s *Service) UserQuota(ctx context.Context, c Caller) (UserQuota, error) {
	q, err := s.quotas(ctx, c)
	if err != nil {
		return UserQuota{}, err
	}
	out := UserQuota{Clusters: DefaultClusterQuota, WorkersPerCluster: q[ackscale.QuotaWorkersPerCluster],
		NodePoolsPerCluster: DefaultNodePoolQuota, ManagedClusters: DefaultManagedClusterQuota, ServerlessClusters: DefaultServerlessClusterQuota}
	for name, v := range q {
		out.Quotas = append(out.Quotas, Quota{Name: name, Value: v, Unit: quotaUnits[name]})
	}
	slices.SortFunc(out.Quotas, func(a, b Quota) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// VersionMetadataParams are DescribeKubernetesVersionMetadata's query, as
// sent.
type VersionMetadataParams struct {
	Region                 string
	ClusterType            string
	KubernetesVersion      string // a version, or its minor (1.34)
	Profile                string
	Runtime                string
	Mode                   string
	QueryUpgradableVersion string
}

// VersionMetadata is one Kubernetes version the cloud offers.
type VersionMetadata struct {
	Version  string
	Default  bool // new clusters get it
	Runtimes []ackscale.Runtime
	// Creatable: clusters can be created with it (every version offered).
	Creatable bool
	// UpgradableVersions is empty: ackscale does not upgrade clusters.
	UpgradableVersions []string
}

// The values of DescribeKubernetesVersionMetadata's enumerations.
var (
	metadataClusterTypes = []string{ackscale.ClusterTypeDedicated, ackscale.ClusterTypeManaged}
	metadataProfiles     = []string{"Default", "Edge"}
	metadataModes        = []string{"supported", "creatable"}
)

// KubernetesVersionMetadata lists the Kubernetes versions of the catalog,
// newest first, each with the runtimes a cluster of the type and profile
// asked may use (Sandboxed-Container.runv only on a managed cluster
// without profile Edge, R17).
func (s *Service) KubernetesVersionMetadata(_ context.Context, _ Caller, p VersionMetadataParams) ([]VersionMetadata, error) {
	if err := p.validate(s.cfg.Cloud); err != nil {
		return nil, err
	}
	out := []VersionMetadata{}
	if p.ClusterType == ackscale.ClusterTypeDedicated && p.Profile == "Edge" {
		return out, nil // edge clusters are managed (R17)
	}
	sandbox := p.ClusterType != ackscale.ClusterTypeDedicated && p.Profile != "Edge"
	var runtimes []ackscale.Runtime
	for _, name := range s.cfg.Cloud.RuntimeNames() {
		if p.Runtime != "" && name != p.Runtime || name == ackscale.RuntimeSandboxed && !sandbox {
			continue
		}
		versions, _ := s.cfg.Cloud.RuntimeVersions(name)
		for _, v := range versions {
			runtimes = append(runtimes, ackscale.Runtime{Name: name, Version: v})
		}
	}
	if len(runtimes) == 0 {
		return out, nil
	}
	def := s.cfg.Cloud.DefaultKubernetesVersion()
	for _, v := range s.cfg.Cloud.KubernetesVersions() {
		if k := p.KubernetesVersion; k != "" && v != k && !strings.HasPrefix(v, k+".") {
			continue
		}
		out = append(out, VersionMetadata{Version: v, Default: v == def, Runtimes: slices.Clone(runtimes), Creatable: true,
			UpgradableVersions: []string{}})
	}
	return out, nil
}

func (p VersionMetadataParams) validate(c Cloud) error {
	if p.Region != "" && !c.RegionExists(p.Region) {
		return ackscale.FieldErrorf(ackscale.CodeRegionNotFound, "Region", "Region: region %q does not exist", p.Region)
	}
	for _, e := range []struct {
		name, value string
		valid       []string
	}{
		{"ClusterType", p.ClusterType, metadataClusterTypes},
		{"Profile", p.Profile, metadataProfiles},
		{"runtime", p.Runtime, c.RuntimeNames()},
		{"Mode", p.Mode, metadataModes},
		{"QueryUpgradableVersion", p.QueryUpgradableVersion, []string{"true", "false"}},
	} {
		if e.value != "" && !slices.Contains(e.valid, e.value) {
			return ackscale.FieldErrorf(ackscale.CodeNotInEnum, e.name, "%s: %q is not one of %s", e.name, e.value, strings.Join(e.valid, ", "))
		}
	}
	return nil
}
