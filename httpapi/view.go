package httpapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// ackTime is the time layout ACK answers with (2019-11-25T15:50:20+08:00).
const ackTime = "2006-01-02T15:04:05-07:00"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(ackTime)
}

// clusterView is a cluster as DescribeClusterDetail, DescribeClustersV1 and
// DescribeClusters show it.
type clusterView struct {
	ClusterID          string                      `json:"cluster_id"`
	Name               string                      `json:"name"`
	RegionID           string                      `json:"region_id"`
	ZoneID             string                      `json:"zone_id"`
	State              string                      `json:"state"`
	ClusterType        string                      `json:"cluster_type"`
	ClusterSpec        string                      `json:"cluster_spec"`
	Profile            string                      `json:"profile"`
	CurrentVersion     string                      `json:"current_version"`
	InitVersion        string                      `json:"init_version"`
	NextVersion        string                      `json:"next_version"`
	Size               int                         `json:"size"`
	Created            string                      `json:"created"`
	Updated            string                      `json:"updated"`
	VPCID              string                      `json:"vpc_id"`
	VSwitchID          string                      `json:"vswitch_id"`
	VSwitchIDs         []string                    `json:"vswitch_ids"`
	SecurityGroupID    string                      `json:"security_group_id"`
	ContainerCIDR      string                      `json:"container_cidr"`
	ServiceCIDR        string                      `json:"service_cidr"`
	SubnetCIDR         string                      `json:"subnet_cidr"`
	NetworkMode        string                      `json:"network_mode"`
	ProxyMode          string                      `json:"proxy_mode"`
	MasterURL          string                      `json:"master_url"`
	MetaData           string                      `json:"meta_data"`
	DeletionProtection bool                        `json:"deletion_protection"`
	PrivateZone        bool                        `json:"private_zone"`
	ResourceGroupID    string                      `json:"resource_group_id"`
	WorkerRAMRoleName  string                      `json:"worker_ram_role_name"`
	Tags               []ackscale.Tag              `json:"tags"`
	Parameters         *clusterParams              `json:"parameters,omitempty"`
	MaintenanceWindow  *ackscale.MaintenanceWindow `json:"maintenance_window,omitempty"`
	// DescribeClusters (deprecated) adds these.
	VSwitchCIDR      string `json:"vswitch_cidr,omitempty"`
	DataDiskCategory string `json:"data_disk_category,omitempty"`
	DataDiskSize     int    `json:"data_disk_size,omitempty"`
}

func clusterViews(cs []ops.ClusterInfo) []clusterView {
	views := make([]clusterView, 0, len(cs))
	for _, c := range cs {
		views = append(views, newClusterView(c))
	}
	return views
}

func newClusterView(info ops.ClusterInfo) clusterView {
	c, size := info.Cluster, info.Size
	spec := c.Spec
	v := clusterView{
		ClusterID: c.ID, Name: spec.Name, RegionID: spec.RegionID, State: string(c.State), ClusterType: spec.ClusterType,
		ClusterSpec: spec.ClusterSpec, Profile: cmpStr(spec.Profile, "Default"), CurrentVersion: spec.KubernetesVersion,
		InitVersion: spec.KubernetesVersion, Size: size, Created: fmtTime(c.Created), Updated: fmtTime(c.Updated),
		VPCID: spec.VPCID, VSwitchID: strings.Join(spec.VSwitchIDs, ","), VSwitchIDs: spec.VSwitchIDs,
		SecurityGroupID: "sg-" + c.ID[1:21], ContainerCIDR: spec.ContainerCIDR, ServiceCIDR: spec.ServiceCIDR,
		NetworkMode: "vpc", ProxyMode: "ipvs", DeletionProtection: spec.DeletionProtection,
		ResourceGroupID: "rg-default", WorkerRAMRoleName: "KubernetesWorkerRole-" + c.ID[1:13],
		Tags: nonNilTags(spec.Tags), MasterURL: "{}", Parameters: clusterParameters(c, size), MaintenanceWindow: spec.MaintenanceWindow,
	}
	meta := clusterMeta{KubernetesVersion: spec.KubernetesVersion, MultiAZ: len(spec.VSwitchIDs) > 1, SubClass: "default",
		EtcdVersion: "v3.5.4"}
	if spec.Runtime.Name == "docker" {
		meta.DockerVersion = spec.Runtime.Version
	}
	if c.APIServer != "" {
		ep := apiServerEndpoints{Public: c.APIServer, Intranet: c.APIServer}
		u, _ := json.Marshal(ep)
		v.MasterURL = string(u)
		meta.apiServerEndpoints = ep
	}
	m, _ := json.Marshal(meta)
	v.MetaData = string(m)
	return v
}

// apiServerEndpoints is master_url, and part of meta_data.
type apiServerEndpoints struct {
	Public   string `json:"api_server_endpoint,omitempty"`
	Intranet string `json:"intranet_api_server_endpoint,omitempty"`
}

// clusterMeta is meta_data: a JSON object in a string. Structs, not maps,
// throughout a cluster's view: encoding/json sorts a map's keys on every
// answer.
type clusterMeta struct {
	KubernetesVersion string `json:"KubernetesVersion"`
	MultiAZ           bool   `json:"MultiAZ"`
	SubClass          string `json:"SubClass"`
	EtcdVersion       string `json:"EtcdVersion"`
	DockerVersion     string `json:"DockerVersion"`
	apiServerEndpoints
}

// clusterParams is the creation parameters map ACK keeps for a cluster
// (strings throughout, as aliyungo's DescribeKubernetesCluster parses them).
type clusterParams struct {
	Runtime                  string `json:"Runtime"`
	RuntimeVersion           string `json:"RuntimeVersion"`
	KubernetesVersion        string `json:"KubernetesVersion"`
	ServiceCIDR              string `json:"ServiceCIDR"`
	ContainerCIDR            string `json:"ContainerCIDR"`
	VpcID                    string `json:"VpcId"`
	VSwitchID                string `json:"VSwitchId"`
	KeyPair                  string `json:"KeyPair"`
	NumOfNodes               string `json:"NumOfNodes"`
	WorkerSystemDiskCategory string `json:"WorkerSystemDiskCategory"`
	WorkerSystemDiskSize     string `json:"WorkerSystemDiskSize,omitempty"`
	WorkerImageID            string `json:"WorkerImageId"`
	WorkerInstanceType       string `json:"WorkerInstanceType,omitempty"`
	WorkerDataDisk           string `json:"WorkerDataDisk"`
	WorkerAutoRenew          string `json:"WorkerAutoRenew"`
	WorkerInstanceChargeType string `json:"WorkerInstanceChargeType"`
	MasterAutoRenew          string `json:"MasterAutoRenew"`
	PublicSLB                string `json:"PublicSLB"`
	ClusterType              string `json:"ClusterType"`
}

func clusterParameters(c ackscale.Cluster, size int) *clusterParams {
	spec := c.Spec
	p := &clusterParams{
		Runtime: spec.Runtime.Name, RuntimeVersion: spec.Runtime.Version, KubernetesVersion: spec.KubernetesVersion,
		ServiceCIDR: spec.ServiceCIDR, ContainerCIDR: spec.ContainerCIDR, VpcID: spec.VPCID,
		VSwitchID: strings.Join(spec.VSwitchIDs, ","), KeyPair: spec.KeyPair, NumOfNodes: strconv.Itoa(size),
		WorkerSystemDiskCategory: spec.WorkerSystemDiskCategory, WorkerImageID: spec.WorkerImageID,
		WorkerDataDisk: "false", WorkerAutoRenew: "false", WorkerInstanceChargeType: "PostPaid",
		MasterAutoRenew: "false", PublicSLB: "false", ClusterType: spec.ClusterType,
	}
	if spec.WorkerSystemDiskSizeGiB > 0 {
		p.WorkerSystemDiskSize = strconv.Itoa(spec.WorkerSystemDiskSizeGiB)
	}
	if len(spec.WorkerInstanceTypes) > 0 {
		p.WorkerInstanceType = spec.WorkerInstanceTypes[0]
	}
	return p
}

func nonNilTags(t []ackscale.Tag) []ackscale.Tag {
	if t == nil {
		return []ackscale.Tag{}
	}
	return t
}

func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// nodeView is a worker as DescribeClusterNodes lists it.
type nodeView struct {
	InstanceID         string   `json:"instance_id"`
	InstanceName       string   `json:"instance_name"`
	NodeName           string   `json:"node_name"`
	HostName           string   `json:"host_name"`
	IPAddress          []string `json:"ip_address"`
	InstanceRole       string   `json:"instance_role"`
	InstanceStatus     string   `json:"instance_status"`
	NodeStatus         string   `json:"node_status"`
	State              string   `json:"state"`
	NodepoolID         string   `json:"nodepool_id"`
	InstanceType       string   `json:"instance_type"`
	InstanceTypeFamily string   `json:"instance_type_family"`
	InstanceChargeType string   `json:"instance_charge_type"`
	ImageID            string   `json:"image_id"`
	CreationTime       string   `json:"creation_time"`
	ExpiredTime        string   `json:"expired_time"`
	ErrorMessage       string   `json:"error_message"`
	IsAliyunNode       bool     `json:"is_aliyun_node"`
	Source             string   `json:"source"`
	SpotStrategy       string   `json:"spot_strategy"`
	ZoneID             string   `json:"zone_id,omitempty"`
	VSwitchID          string   `json:"vswitch_id,omitempty"`
}

var instanceStatusOf = map[ackscale.NodeState]string{
	ackscale.NodeInitial: "Pending", ackscale.NodeStarting: "Starting", ackscale.NodeRunning: "Running",
	ackscale.NodeRemoving: "Stopping", ackscale.NodeFailed: "",
}

func newNodeView(w ackscale.Worker) nodeView {
	ips := []string{}
	if w.IP != "" {
		ips = append(ips, w.IP)
	}
	family := w.InstanceType
	if i := strings.LastIndex(family, "."); i > 0 {
		family = family[:i]
	}
	status := cmpStr(string(w.NodeStatus), string(ackscale.NodeUnknown))
	return nodeView{
		InstanceID: w.InstanceID, InstanceName: "worker-k8s-for-cs-" + w.ClusterID, NodeName: w.NodeName,
		HostName: w.Hostname, IPAddress: ips, InstanceRole: "Worker", InstanceStatus: instanceStatusOf[w.State],
		NodeStatus: status, State: string(w.State), NodepoolID: w.NodePoolID, InstanceType: w.InstanceType, InstanceTypeFamily: family,
		InstanceChargeType: cmpStr(chargeTypeOf(w.ChargeType), "PostPaid"), ImageID: w.ImageID,
		CreationTime: fmtTime(w.Created), ErrorMessage: w.ErrorMessage, IsAliyunNode: true, Source: "ess_attach",
		SpotStrategy: "NoSpot", ZoneID: w.ZoneID, VSwitchID: w.VSwitchID,
	}
}

// chargeTypeOf maps ENS charge types to PostPaid: they are pay-as-you-go.
func chargeTypeOf(ct string) string {
	if ct == "PrePaid" || ct == "PostPaid" || ct == "" {
		return ct
	}
	return "PostPaid"
}
