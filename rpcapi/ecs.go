package rpcapi

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// The tags ACK puts on every ECS instance of a cluster.
const (
	TagCluster  = "ack.aliyun.com"
	TagNodePool = "ack.alibabacloud.com/nodepool-id"
)

// ecsKinds are the instance kinds ECS's actions show: not ENS, which is
// its own product.
var ecsKinds = []string{catalog.KindECS, catalog.KindEBM}

// postPaidExpiry is the ExpiredTime ECS gives a pay-as-you-go instance.
const postPaidExpiry = "2099-12-31T15:59Z"

type ipList struct {
	IPAddress []string `json:"IpAddress"`
}

type vpcAttributes struct {
	VpcID            string `json:"VpcId"`
	VSwitchID        string `json:"VSwitchId"`
	NatIPAddress     string `json:"NatIpAddress"`
	PrivateIPAddress ipList `json:"PrivateIpAddress"`
}

// instanceItem is an instance as DescribeInstances shows it (services/ecs
// struct_instance.go).
type instanceItem struct {
	InstanceID          string        `json:"InstanceId"`
	InstanceName        string        `json:"InstanceName"`
	HostName            string        `json:"HostName"`
	Description         string        `json:"Description"`
	RegionID            string        `json:"RegionId"`
	ZoneID              string        `json:"ZoneId"`
	InstanceType        string        `json:"InstanceType"`
	InstanceTypeFamily  string        `json:"InstanceTypeFamily"`
	CPU                 int           `json:"Cpu"`
	Memory              int           `json:"Memory"` // MiB
	GPUAmount           int           `json:"GPUAmount"`
	GPUSpec             string        `json:"GPUSpec"`
	ImageID             string        `json:"ImageId"`
	OSName              string        `json:"OSName"`
	OSNameEn            string        `json:"OSNameEn"`
	OSType              string        `json:"OSType"`
	Status              string        `json:"Status"`
	CreationTime        string        `json:"CreationTime"`
	StartTime           string        `json:"StartTime"`
	ExpiredTime         string        `json:"ExpiredTime"`
	InstanceNetworkType string        `json:"InstanceNetworkType"`
	InstanceChargeType  string        `json:"InstanceChargeType"`
	InternetChargeType  string        `json:"InternetChargeType"`
	SpotStrategy        string        `json:"SpotStrategy"`
	StoppedMode         string        `json:"StoppedMode"`
	IoOptimized         bool          `json:"IoOptimized"`
	DeletionProtection  bool          `json:"DeletionProtection"`
	VpcAttributes       vpcAttributes `json:"VpcAttributes"`
	InnerIPAddress      ipList        `json:"InnerIpAddress"`
	PublicIPAddress     ipList        `json:"PublicIpAddress"`
	SecurityGroupIDs    struct {
		SecurityGroupID []string `json:"SecurityGroupId"`
	} `json:"SecurityGroupIds"`
	Tags           vpcTags `json:"Tags"`
	OperationLocks struct {
		LockReason []struct{} `json:"LockReason"`
	} `json:"OperationLocks"`
}

type describeInstancesResponse struct {
	RequestID  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	NextToken  string `json:"NextToken"`
	Instances  struct {
		Instance []instanceItem `json:"Instance"`
	} `json:"Instances"`
}

// instanceFilter is what DescribeInstances filters on.
type instanceFilter struct {
	region, vpc, vswitch, zone, status, instanceType, family, image, name string
	ids, ips                                                              []string
	inner                                                                 bool // InnerIpAddresses (classic network): no VPC instance has one
	tags                                                                  []tagFilter
}

func (c *call) instanceFilter(region string) (instanceFilter, error) {
	f := instanceFilter{
		region: region, vpc: c.get("VpcId"), vswitch: c.get("VSwitchId"), zone: c.get("ZoneId"), status: c.get("Status"),
		instanceType: c.get("InstanceType"), family: c.get("InstanceTypeFamily"), image: c.get("ImageId"),
		name: c.get("InstanceName"), tags: c.tags(),
	}
	var err error
	if f.ids, err = c.jsonList("InstanceIds", 100); err != nil {
		return f, err
	}
	if f.ips, err = c.jsonList("PrivateIpAddresses", 100); err != nil {
		return f, err
	}
	inner, err := c.jsonList("InnerIpAddresses", 100)
	f.inner = len(inner) > 0
	return f, err
}

// matches reports whether an instance passes every filter but the tags.
func (f instanceFilter) matches(in ackscale.Instance, vpcID, family string) bool {
	switch {
	case in.RegionID != f.region, !slices.Contains(ecsKinds, string(in.Kind)), f.inner,
		f.vpc != "" && f.vpc != vpcID, f.vswitch != "" && f.vswitch != in.IPPool, f.zone != "" && f.zone != in.ZoneID,
		f.status != "" && f.status != string(in.Status), f.instanceType != "" && f.instanceType != in.InstanceType,
		f.family != "" && f.family != family, f.image != "" && f.image != in.ImageID,
		len(f.ids) > 0 && !slices.Contains(f.ids, in.ID), len(f.ips) > 0 && !slices.Contains(f.ips, in.IP):
		return false
	}
	return true
}

// matchesTags reports whether tags hold every Tag.N filter.
func (f instanceFilter) matchesTags(tags []tag) bool {
	for _, want := range f.tags {
		if !slices.ContainsFunc(tags, func(t tag) bool { return t.Key == want.key && (want.value == "" || t.Value == want.value) }) {
			return false
		}
	}
	return true
}

// describeInstances lists the caller's live ECS instances in the region,
// oldest first: every instance a task created, with the ACK tags of the
// cluster and node pool that own it.
func (h *Handler) describeInstances(ctx context.Context, c *call) (any, error) {
	region, err := h.region(c)
	if err != nil {
		return nil, err
	}
	f, err := c.instanceFilter(region)
	if err != nil {
		return nil, err
	}
	tokenMode := c.get("MaxResults") != "" || c.get("NextToken") != ""
	p, err := c.pageParams(100)
	if err != nil {
		return nil, err
	}
	offset, size, err := c.tokenPage(10, 100)
	if err != nil {
		return nil, err
	}
	live, err := h.cfg.Cloud.InstanceList(ctx, ackscale.InstanceListParams{AccountID: c.account.ID, LiveOnly: true})
	if err != nil {
		return nil, err
	}
	var picked []ackscale.Instance
	for _, in := range live {
		vsw, _ := h.cfg.Catalog.VSwitch(in.IPPool)
		it, _ := h.cfg.Catalog.InstanceType(in.InstanceType)
		if f.matches(in, vsw.VPCID, it.Family) {
			picked = append(picked, in)
		}
	}
	owners, err := h.owners(ctx, c.account.ID, picked)
	if err != nil {
		return nil, err
	}
	var items []instanceItem
	for _, in := range picked {
		item := h.instanceItem(in, owners[in.ClientToken])
		if f.matchesTags(item.Tags.Tag) {
			items = append(items, item)
		}
	}
	resp := describeInstancesResponse{RequestID: c.id, TotalCount: len(items)}
	var lo, hi int
	if tokenMode {
		lo, hi = min(offset, len(items)), min(offset+size, len(items))
		resp.NextToken, resp.PageSize = nextToken(offset, size, len(items)), size
	} else {
		lo, hi = p.bounds(len(items))
		resp.PageNumber, resp.PageSize = p.number, p.size
	}
	resp.Instances.Instance = nonNil(items[lo:hi])
	return resp, nil
}

// owners looks up the cluster and pool of each instance.
func (h *Handler) owners(ctx context.Context, accountID string, ins []ackscale.Instance) (map[string]Owner, error) {
	if h.cfg.Owners == nil || len(ins) == 0 {
		return nil, nil
	}
	tokens := make([]string, len(ins))
	for i, in := range ins {
		tokens[i] = in.ClientToken
	}
	return h.cfg.Owners.InstanceOwners(ctx, accountID, tokens)
}

func (h *Handler) instanceItem(in ackscale.Instance, owner Owner) instanceItem {
	it, _ := h.cfg.Catalog.InstanceType(in.InstanceType)
	img, _ := h.cfg.Catalog.Image(in.ImageID)
	vsw, _ := h.cfg.Catalog.VSwitch(in.IPPool)
	item := instanceItem{
		InstanceID: in.ID, InstanceName: in.ID, HostName: owner.Hostname, RegionID: in.RegionID, ZoneID: in.ZoneID,
		InstanceType: in.InstanceType, InstanceTypeFamily: it.Family, CPU: in.VCPUs, Memory: int(it.MemoryGiB * 1024),
		GPUAmount: it.GPU, GPUSpec: it.GPUModel, ImageID: in.ImageID, OSName: img.OSName, OSNameEn: img.OSName,
		OSType: img.OSType, Status: string(in.Status), CreationTime: in.Created.UTC().Format(ecsTimeLayout),
		ExpiredTime: postPaidExpiry, InstanceNetworkType: "vpc", InstanceChargeType: "PostPaid",
		InternetChargeType: "PayByTraffic", SpotStrategy: "NoSpot", StoppedMode: "Not-applicable", IoOptimized: true,
		VpcAttributes:  vpcAttributes{VpcID: vsw.VPCID, VSwitchID: in.IPPool, PrivateIPAddress: ipList{IPAddress: []string{in.IP}}},
		InnerIPAddress: ipList{IPAddress: []string{}}, PublicIPAddress: ipList{IPAddress: []string{}},
		Tags: vpcTags{Tag: []tag{}},
	}
	if owner.Hostname != "" {
		item.InstanceName = owner.Hostname
	}
	if in.Status == ackscale.InstanceRunning {
		item.StartTime = in.ReadyAt.UTC().Format(ecsTimeLayout)
	}
	item.SecurityGroupIDs.SecurityGroupID = []string{}
	item.OperationLocks.LockReason = []struct{}{}
	if owner.ClusterID != "" {
		item.Tags.Tag = append(item.Tags.Tag, newTag(TagCluster, owner.ClusterID))
	}
	if owner.NodePoolID != "" {
		item.Tags.Tag = append(item.Tags.Tag, newTag(TagNodePool, owner.NodePoolID))
	}
	return item
}

// instanceTypeItem is an instance type as DescribeInstanceTypes shows it
// (services/ecs struct_instance_type.go).
type instanceTypeItem struct {
	InstanceTypeID      string  `json:"InstanceTypeId"`
	InstanceTypeFamily  string  `json:"InstanceTypeFamily"`
	InstanceCategory    string  `json:"InstanceCategory"`
	InstanceFamilyLevel string  `json:"InstanceFamilyLevel"`
	CPUCoreCount        int     `json:"CpuCoreCount"`
	MemorySize          float64 `json:"MemorySize"` // GiB
	CPUArchitecture     string  `json:"CpuArchitecture"`
	GPUAmount           int     `json:"GPUAmount"`
	GPUSpec             string  `json:"GPUSpec"`
	EniQuantity         int     `json:"EniQuantity"`
	LocalStorageAmount  int     `json:"LocalStorageAmount"`
}

type describeInstanceTypesResponse struct {
	RequestID     string `json:"RequestId"`
	NextToken     string `json:"NextToken"`
	InstanceTypes struct {
		InstanceType []instanceTypeItem `json:"InstanceType"`
	} `json:"InstanceTypes"`
}

// cpuArchitecture is ECS's name of a catalog architecture.
func cpuArchitecture(arch string) string {
	if arch == catalog.ArchARM {
		return "ARM"
	}
	return "X86"
}

// instanceTypeFilter is what DescribeInstanceTypes filters on.
type instanceTypeFilter struct {
	names, families, archs []string
	gpuSpec                string
	minCPU, maxCPU         float64
	minMem, maxMem         float64
	minGPU, maxGPU         float64
	has                    map[string]bool
}

func (c *call) instanceTypeFilter() (instanceTypeFilter, error) {
	f := instanceTypeFilter{
		names: c.repeated("InstanceTypes"), families: append(c.repeated("InstanceTypeFamilies"), c.commaList("InstanceTypeFamily")...),
		archs: append(c.repeated("CpuArchitectures"), c.commaList("CpuArchitecture")...), gpuSpec: c.get("GPUSpec"),
		has: map[string]bool{},
	}
	for name, dst := range map[string]*float64{
		"MinimumCpuCoreCount": &f.minCPU, "MaximumCpuCoreCount": &f.maxCPU, "MinimumMemorySize": &f.minMem,
		"MaximumMemorySize": &f.maxMem, "MinimumGPUAmount": &f.minGPU, "MaximumGPUAmount": &f.maxGPU,
	} {
		v, ok, err := c.floatParam(name)
		if err != nil {
			return f, err
		}
		*dst, f.has[name] = v, ok
	}
	return f, nil
}

func (f instanceTypeFilter) matches(it catalog.InstanceType) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	outside := func(v float64, lo, hi string, least, most float64) bool {
		return f.has[lo] && v < least || f.has[hi] && v > most
	}
	return slices.Contains(ecsKinds, it.Kind) && in(f.names, it.Name) && in(f.families, it.Family) &&
		in(f.archs, cpuArchitecture(it.Arch)) && (f.gpuSpec == "" || f.gpuSpec == it.GPUModel) &&
		!outside(float64(it.VCPU), "MinimumCpuCoreCount", "MaximumCpuCoreCount", f.minCPU, f.maxCPU) &&
		!outside(it.MemoryGiB, "MinimumMemorySize", "MaximumMemorySize", f.minMem, f.maxMem) &&
		!outside(float64(it.GPU), "MinimumGPUAmount", "MaximumGPUAmount", f.minGPU, f.maxGPU)
}

func (h *Handler) describeInstanceTypes(_ context.Context, c *call) (any, error) {
	f, err := c.instanceTypeFilter()
	if err != nil {
		return nil, err
	}
	offset, size, err := c.tokenPage(250, 1600)
	if err != nil {
		return nil, err
	}
	var items []instanceTypeItem
	for _, it := range h.cfg.Catalog.InstanceTypes() {
		if f.matches(it) {
			items = append(items, instanceTypeOf(it))
		}
	}
	resp := describeInstanceTypesResponse{RequestID: c.id, NextToken: nextToken(offset, size, len(items))}
	resp.InstanceTypes.InstanceType = nonNil(items[min(offset, len(items)):min(offset+size, len(items))])
	return resp, nil
}

func instanceTypeOf(it catalog.InstanceType) instanceTypeItem {
	category := "General-purpose"
	switch {
	case it.Kind == catalog.KindEBM:
		category = "ECS Bare Metal"
	case it.GPU > 0:
		category = "GPU-accelerated"
	}
	return instanceTypeItem{
		InstanceTypeID: it.Name, InstanceTypeFamily: it.Family, InstanceCategory: category,
		InstanceFamilyLevel: "EnterpriseLevel", CPUCoreCount: it.VCPU, MemorySize: it.MemoryGiB,
		CPUArchitecture: cpuArchitecture(it.Arch), GPUAmount: it.GPU, GPUSpec: it.GPUModel, EniQuantity: 2,
	}
}

// imageItem is an image as DescribeImages shows it (services/ecs
// struct_image.go).
type imageItem struct {
	ImageID              string  `json:"ImageId"`
	ImageName            string  `json:"ImageName"`
	ImageOwnerAlias      string  `json:"ImageOwnerAlias"`
	ImageFamily          string  `json:"ImageFamily"`
	Description          string  `json:"Description"`
	OSName               string  `json:"OSName"`
	OSNameEn             string  `json:"OSNameEn"`
	OSType               string  `json:"OSType"`
	Platform             string  `json:"Platform"`
	Architecture         string  `json:"Architecture"`
	Size                 int     `json:"Size"`
	Status               string  `json:"Status"`
	Progress             string  `json:"Progress"`
	Usage                string  `json:"Usage"`
	BootMode             string  `json:"BootMode"`
	CreationTime         string  `json:"CreationTime"`
	IsPublic             bool    `json:"IsPublic"`
	IsSupportIoOptimized bool    `json:"IsSupportIoOptimized"`
	IsSupportCloudinit   bool    `json:"IsSupportCloudinit"`
	IsSubscribed         bool    `json:"IsSubscribed"`
	IsCopied             bool    `json:"IsCopied"`
	Tags                 vpcTags `json:"Tags"`
}

type describeImagesResponse struct {
	RequestID  string `json:"RequestId"`
	RegionID   string `json:"RegionId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	Images     struct {
		Image []imageItem `json:"Image"`
	} `json:"Images"`
}

// imageFilter is what DescribeImages filters on.
type imageFilter struct {
	ids                               []string
	name, arch, osType, family, usage string
	owners, statuses                  []string
	public, hasPublic                 bool
	instanceType                      *catalog.InstanceType
	unknownType                       bool
}

func (h *Handler) imageFilter(c *call) (imageFilter, error) {
	f := imageFilter{
		ids: c.commaList("ImageId"), name: c.get("ImageName"), arch: c.get("Architecture"), osType: c.get("OSType"),
		family: c.get("ImageFamily"), usage: c.get("Usage"), owners: c.commaList("ImageOwnerAlias"),
		statuses: c.commaList("Status"),
	}
	if len(f.statuses) == 0 {
		f.statuses = []string{statusAvailable}
	}
	var err error
	if f.public, f.hasPublic, err = c.boolParam("IsPublic"); err != nil {
		return f, err
	}
	if name := c.get("InstanceType"); name != "" {
		it, ok := h.cfg.Catalog.InstanceType(name)
		f.instanceType, f.unknownType = &it, !ok
	}
	return f, nil
}

// matches reports whether a catalog image (a public system image,
// Available, used by instances) passes the filter.
func (f imageFilter) matches(img catalog.Image) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	fits := f.instanceType == nil || !f.unknownType && img.Supports(f.instanceType.Kind) && img.Arch == f.instanceType.Arch
	return slices.ContainsFunc(ecsKinds, img.Supports) && in(f.ids, img.ID) && (f.name == "" || f.name == img.ID) &&
		(f.arch == "" || f.arch == img.Arch) && (f.osType == "" || strings.EqualFold(f.osType, img.OSType)) &&
		f.family == "" && (f.usage == "" || f.usage == "instance") && in(f.owners, "system") &&
		in(f.statuses, statusAvailable) && (!f.hasPublic || f.public) && fits
}

func (h *Handler) describeImages(_ context.Context, c *call) (any, error) {
	region, err := h.region(c)
	if err != nil {
		return nil, err
	}
	p, err := c.pageParams(100)
	if err != nil {
		return nil, err
	}
	f, err := h.imageFilter(c)
	if err != nil {
		return nil, err
	}
	var items []imageItem
	for _, img := range h.cfg.Catalog.Images() {
		if f.matches(img) {
			items = append(items, imageOf(img))
		}
	}
	resp := describeImagesResponse{RequestID: c.id, RegionID: region, TotalCount: len(items), PageNumber: p.number, PageSize: p.size}
	lo, hi := p.bounds(len(items))
	resp.Images.Image = nonNil(items[lo:hi])
	return resp, nil
}

func imageOf(img catalog.Image) imageItem {
	return imageItem{
		ImageID: img.ID, ImageName: img.ID, ImageOwnerAlias: "system", OSName: img.OSName, OSNameEn: img.OSName,
		OSType: img.OSType, Platform: img.Platform, Architecture: img.Arch, Size: img.SizeGiB, Status: statusAvailable,
		Progress: "100%", Usage: "instance", BootMode: "BIOS", CreationTime: catalogCreated.Format(vpcTimeLayout),
		IsPublic: true, IsSupportIoOptimized: true, IsSupportCloudinit: true, Tags: vpcTags{Tag: []tag{}},
	}
}

// keyPairItem is a key pair as DescribeKeyPairs shows it.
type keyPairItem struct {
	KeyPairName        string  `json:"KeyPairName"`
	KeyPairFingerPrint string  `json:"KeyPairFingerPrint"`
	CreationTime       string  `json:"CreationTime"`
	ResourceGroupID    string  `json:"ResourceGroupId"`
	Tags               vpcTags `json:"Tags"`
}

type describeKeyPairsResponse struct {
	RequestID  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	KeyPairs   struct {
		KeyPair []keyPairItem `json:"KeyPair"`
	} `json:"KeyPairs"`
}

// describeKeyPairs lists the region's key pairs; KeyPairName may hold *
// wildcards, as ECS allows.
func (h *Handler) describeKeyPairs(_ context.Context, c *call) (any, error) {
	region, err := h.region(c)
	if err != nil {
		return nil, err
	}
	p, err := c.pageParams(vpcMaxPageSize)
	if err != nil {
		return nil, err
	}
	reg, _ := h.cfg.Catalog.Region(region)
	pattern, print := c.get("KeyPairName"), c.get("KeyPairFingerPrint")
	var items []keyPairItem
	for _, name := range reg.KeyPairs {
		fp := fingerprint(region, name)
		if matchName(pattern, name) && (print == "" || print == fp) {
			items = append(items, keyPairItem{KeyPairName: name, KeyPairFingerPrint: fp,
				CreationTime: catalogCreated.Format(vpcTimeLayout), Tags: vpcTags{Tag: []tag{}}})
		}
	}
	resp := describeKeyPairsResponse{RequestID: c.id, TotalCount: len(items), PageNumber: p.number, PageSize: p.size}
	lo, hi := p.bounds(len(items))
	resp.KeyPairs.KeyPair = nonNil(items[lo:hi])
	return resp, nil
}

// fingerprint is a stable made-up fingerprint of a catalog key pair, in
// the colon-separated MD5 form ECS shows.
func fingerprint(region, name string) string {
	sum := md5.Sum([]byte("ackscale key pair " + region + "/" + name))
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(sum))
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}
