package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// The CS operations Terraform's provider and the aliyun CLI call besides
// the cluster life cycle (ops/extra.go decides; this file answers in the
// shapes of the SDK models, npm @alicloud/cs20151215 7.2.0).

// resourceView is one resource of DescribeClusterResources.
type resourceView struct {
	ClusterID        string             `json:"cluster_id"`
	Created          string             `json:"created"`
	InstanceID       string             `json:"instance_id"`
	ResourceInfo     string             `json:"resource_info"`
	ResourceType     string             `json:"resource_type"`
	State            string             `json:"state"`
	AutoCreate       int                `json:"auto_create"`
	Dependencies     []dependencyView   `json:"dependencies"`
	AssociatedObject *objectView        `json:"associated_object,omitempty"`
	DeleteBehavior   deleteBehaviorView `json:"delete_behavior"`
	CreatorType      string             `json:"creator_type"`
	ExtraInfo        map[string]any     `json:"extra_info"`
}

type dependencyView struct {
	ClusterID    string `json:"cluster_id"`
	ResourceType string `json:"resource_type"`
	InstanceID   string `json:"instance_id"`
}

type objectView struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

type deleteBehaviorView struct {
	DeleteByDefault bool `json:"delete_by_default"`
	Changeable      bool `json:"changeable"`
}

func (s *Server) describeClusterResources(ctx context.Context, r *request) (response, error) {
	if _, err := queryBool(r, "with_addon_resources"); err != nil { // no add-on makes resources
		return response{}, err
	}
	id := r.PathValue("id")
	rs, err := s.cfg.Ops.ClusterResources(ctx, r.caller(), id)
	if err != nil {
		return response{}, err
	}
	views := make([]resourceView, 0, len(rs))
	for _, res := range rs {
		views = append(views, newResourceView(id, res))
	}
	return response{status: http.StatusOK, body: views}, nil
}

func newResourceView(clusterID string, res ops.ClusterResource) resourceView {
	info, _ := json.Marshal(map[string]string{"Id": res.Name, "Name": res.Name, "Type": res.Type, "Status": res.State,
		"StatusReason": "state changed", "Updated": fmtTime(res.Created)})
	v := resourceView{ClusterID: clusterID, Created: fmtTime(res.Created), InstanceID: res.ID, ResourceInfo: string(info),
		ResourceType: res.Type, State: res.State, Dependencies: []dependencyView{}, CreatorType: "user",
		DeleteBehavior: deleteBehaviorView{DeleteByDefault: res.AutoCreate}, ExtraInfo: map[string]any{}}
	if res.AutoCreate {
		v.AutoCreate, v.CreatorType = 1, "system"
	}
	if o := res.Object; o != nil {
		v.AssociatedObject = &objectView{Kind: o[0], Namespace: o[1], Name: o[2]}
	}
	for _, d := range res.Dependencies {
		v.Dependencies = append(v.Dependencies, dependencyView{ClusterID: clusterID, ResourceType: d.Type, InstanceID: d.ID})
	}
	return v
}

// checkControlPlaneLog answers GET /clusters/{id}/controlplanelog
// (CheckControlPlaneLogEnable): logging off.
func (s *Server) checkControlPlaneLog(ctx context.Context, r *request) (response, error) {
	l, err := s.cfg.Ops.ControlPlaneLog(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]any{"aliuid": l.AccountID, "components": l.Components,
		"log_project": l.Project, "log_ttl": l.TTL}}, nil
}

func (s *Server) describeClusterLogs(ctx context.Context, r *request) (response, error) {
	id := r.PathValue("id")
	logs, err := s.cfg.Ops.ClusterLogs(ctx, r.caller(), id)
	if err != nil {
		return response{}, err
	}
	views := make([]map[string]any, 0, len(logs))
	for _, l := range logs {
		views = append(views, map[string]any{"ID": l.ID, "cluster_id": id, "cluster_log": l.Message,
			"created": fmtTime(l.Created), "updated": fmtTime(l.Created)})
	}
	return response{status: http.StatusOK, body: views}, nil
}

// describeClusterCerts answers GET /clusters/{id}/certs as aliyungo's
// ClusterCerts reads it.
func (s *Server) describeClusterCerts(ctx context.Context, r *request) (response, error) {
	c, err := s.cfg.Ops.ClusterCerts(ctx, r.caller(), r.PathValue("id"))
	if err != nil {
		return response{}, err
	}
	return response{status: http.StatusOK, body: map[string]string{"ca": c.CA, "cert": c.Cert, "key": c.Key}}, nil
}

// taskItemView is one task of DescribeClusterTasks.
type taskItemView struct {
	TaskID   string         `json:"task_id"`
	TaskType string         `json:"task_type"`
	State    string         `json:"state"`
	Created  string         `json:"created"`
	Updated  string         `json:"updated"`
	Error    *taskErrorView `json:"error,omitempty"`
}

type taskErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) describeClusterTasks(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	p, err := s.cfg.Ops.ClusterTasks(ctx, r.caller(), ops.TaskListQuery{ClusterID: r.PathValue("id"),
		Page: ops.PageParams{Number: q.Get("page_number"), Size: q.Get("page_size"), NumberName: "page_number", SizeName: "page_size",
			DefaultSize: 10, MaxSize: 100},
		MaxResults: q.Get("max_results"), NextToken: q.Get("next_token")})
	if err != nil {
		return response{}, err
	}
	tasks := make([]taskItemView, 0, len(p.Tasks))
	for _, t := range p.Tasks {
		v := taskItemView{TaskID: t.ID, TaskType: string(t.Type), State: string(t.State), Created: fmtTime(t.Created), Updated: fmtTime(t.Updated)}
		if t.ErrorCode != "" || t.ErrorMessage != "" {
			v.Error = &taskErrorView{Code: t.ErrorCode, Message: t.ErrorMessage}
		}
		tasks = append(tasks, v)
	}
	body := map[string]any{"tasks": tasks, "requestId": r.id,
		"page_info": map[string]int{"page_number": p.Page.Number, "page_size": p.Page.Size, "total_count": p.Total}}
	if p.NextToken != "" {
		body["next_token"] = p.NextToken
	}
	return response{status: http.StatusOK, body: body}, nil
}

// regionClusterView is a cluster as DescribeClustersForRegion lists it:
// DescribeClusterDetail's view and the fields the model adds.
type regionClusterView struct {
	clusterView
	ClusterDomain string `json:"cluster_domain"`
	IPStack       string `json:"ip_stack"`
	Timezone      string `json:"timezone"`
}

func (s *Server) describeClustersForRegion(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	list, err := s.cfg.Ops.ListClustersForRegion(ctx, r.caller(), ops.RegionClusterListParams{RegionID: r.PathValue("region"),
		ClusterID: q.Get("cluster_id"), Name: q.Get("name"), ClusterType: q.Get("cluster_type"), ClusterSpec: q.Get("cluster_spec"),
		Profile: q.Get("profile"), Page: ops.PageParams{Number: q.Get("page_number"), Size: q.Get("page_size"),
			NumberName: "page_number", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}})
	if err != nil {
		return response{}, err
	}
	views := make([]regionClusterView, 0, len(list.Clusters))
	for _, c := range list.Clusters {
		views = append(views, regionClusterView{clusterView: newClusterView(c), ClusterDomain: "cluster.local", IPStack: "ipv4"})
	}
	return response{status: http.StatusOK, body: map[string]any{"clusters": views,
		"page_info": map[string]int{"page_number": list.Page.Number, "page_size": list.Page.Size, "total_count": list.Total}}}, nil
}

// modifyCluster answers 202 with the task, which has ended already.
func (s *Server) modifyCluster(ctx context.Context, r *request) (response, error) {
	return s.accept(ctx, r, s.cfg.Ops.ModifyCluster)
}

// modifyClusterName is aliyungo's POST /clusters/{id}/name/{name}.
func (s *Server) modifyClusterName(ctx context.Context, r *request) (response, error) {
	a, err := s.cfg.Ops.ModifyClusterName(ctx, r.caller(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		return response{}, err
	}
	return accepted(a, r.id), nil
}

// deleteClusterNodes is DeleteClusterNodes sent as DELETE, as the aliyun
// CLI's metadata allows: its parameters in a JSON body, as the POST, or
// in the query (nodes as a JSON array, a comma-separated list or repeated;
// release_node and drain_node true or false), not both.
func (s *Server) deleteClusterNodes(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	params := map[string]any{}
	switch vs := q["nodes"]; {
	case len(vs) > 1:
		params["nodes"] = vs
	case len(vs) == 1 && vs[0] != "":
		params["nodes"] = queryList(vs)
	}
	for _, name := range []string{"release_node", "drain_node"} {
		if v := q.Get(name); v != "" {
			params[name] = queryFlag(v)
		}
	}
	if len(r.body) > 0 {
		if len(params) > 0 {
			return response{}, ackscale.Errorf(ackscale.CodeConflict,
				"DeleteClusterNodes: send nodes, release_node and drain_node in the body or in the query, not both")
		}
		return s.accept(ctx, r, s.cfg.Ops.RemoveNodes)
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return response{}, err
	}
	a, err := s.cfg.Ops.RemoveNodes(ctx, r.caller(), r.PathValue("id"), raw)
	if err != nil {
		return response{}, err
	}
	return accepted(a, r.id), nil
}

// quotaView is one quota of DescribeUserQuota's quotas map.
type quotaView struct {
	Quota         string `json:"quota"`
	OperationCode string `json:"operation_code"`
	Adjustable    bool   `json:"adjustable"`
	Unit          string `json:"unit"`
}

func (s *Server) describeUserQuota(ctx context.Context, r *request) (response, error) {
	q, err := s.cfg.Ops.UserQuota(ctx, r.caller())
	if err != nil {
		return response{}, err
	}
	quotas := map[string]quotaView{}
	for _, x := range q.Quotas {
		// Adjustable: the admin API sets quotas at run time.
		quotas[x.Name] = quotaView{Quota: strconv.Itoa(x.Value), OperationCode: x.Name, Adjustable: true, Unit: x.Unit}
	}
	return response{status: http.StatusOK, body: map[string]any{"cluster_quota": q.Clusters, "node_quota": q.WorkersPerCluster,
		"cluster_nodepool_quota": q.NodePoolsPerCluster, "amk_cluster_quota": q.ManagedClusters, "ask_cluster_quota": q.ServerlessClusters,
		"quotas": quotas}}, nil
}

// versionView is one version of DescribeKubernetesVersionMetadata.
type versionView struct {
	Capabilities       map[string]any     `json:"capabilities"`
	Images             []any              `json:"images"`
	MetaData           map[string]any     `json:"meta_data"`
	Runtimes           []ackscale.Runtime `json:"runtimes"`
	Version            string             `json:"version"`
	ReleaseDate        string             `json:"release_date"`
	ExpirationDate     string             `json:"expiration_date"`
	Creatable          bool               `json:"creatable"`
	UpgradableVersions []string           `json:"upgradable_versions"`
}

func (s *Server) describeKubernetesVersionMetadata(ctx context.Context, r *request) (response, error) {
	q := r.URL.Query()
	vs, err := s.cfg.Ops.KubernetesVersionMetadata(ctx, r.caller(), ops.VersionMetadataParams{Region: q.Get("Region"),
		ClusterType: q.Get("ClusterType"), KubernetesVersion: q.Get("KubernetesVersion"), Profile: q.Get("Profile"),
		Runtime: q.Get("runtime"), Mode: q.Get("Mode"), QueryUpgradableVersion: q.Get("QueryUpgradableVersion")})
	if err != nil {
		return response{}, err
	}
	views := make([]versionView, 0, len(vs))
	for _, v := range vs {
		views = append(views, versionView{Capabilities: map[string]any{}, Images: []any{}, Runtimes: v.Runtimes, Version: v.Version,
			MetaData: map[string]any{"EtcdVersion": "v3.5.4", "default": v.Default}, Creatable: v.Creatable,
			UpgradableVersions: v.UpgradableVersions})
	}
	return response{status: http.StatusOK, body: views}, nil
}
