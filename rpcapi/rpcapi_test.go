package rpcapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

func TestDescribeVpcs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.vpcClient(t, akA, skA)

	req := vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	resp, err := c.DescribeVpcs(req)
	require.NoError(t, err)
	require.NotEmpty(t, resp.RequestId)
	require.Equal(t, 2, resp.TotalCount)
	require.Equal(t, 1, resp.PageNumber)
	require.Equal(t, 10, resp.PageSize)
	require.Len(t, resp.Vpcs.Vpc, 2)
	def := resp.Vpcs.Vpc[0]
	require.Equal(t, defaultVPC, def.VpcId)
	require.True(t, def.IsDefault)
	require.Equal(t, "192.168.0.0/16", def.CidrBlock)
	require.Equal(t, hangzhou, def.RegionId)
	require.Equal(t, "Available", def.Status)
	require.Equal(t, int64(5000000000000001), def.OwnerId)
	require.Len(t, def.VSwitchIds.VSwitchId, 5)
	require.Contains(t, def.VSwitchIds.VSwitchId, defVSwG)

	req = vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	req.IsDefault = requests.NewBoolean(false)
	resp, err = c.DescribeVpcs(req)
	require.NoError(t, err)
	require.Equal(t, 1, resp.TotalCount)
	require.Equal(t, prodVPC, resp.Vpcs.Vpc[0].VpcId)

	req = vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	req.PageSize, req.PageNumber = requests.NewInteger(1), requests.NewInteger(2)
	resp, err = c.DescribeVpcs(req)
	require.NoError(t, err)
	require.Equal(t, 2, resp.TotalCount)
	require.Equal(t, []string{prodVPC}, []string{resp.Vpcs.Vpc[0].VpcId})

	req = vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	req.VpcId = prodVPC + "," + defaultVPC
	req.RegionId = "cn-beijing"
	resp, err = c.DescribeVpcs(req)
	require.NoError(t, err)
	require.Zero(t, resp.TotalCount, "the ids are cn-hangzhou's")
	require.NotNil(t, resp.Vpcs.Vpc)
}

// TestVSwitchFreeIPs checks AvailableIpAddressCount against the instances
// the cloud created: an account's own, live ones only.
func TestVSwitchFreeIPs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ins []ackscale.Instance
	for range 3 {
		ins = append(ins, b.run(t, accountA, zoneG, prodVSwG, "ecs.g6.large", worker{cluster: "c1", pool: "np1"}))
	}
	b.run(t, accountB, zoneG, prodVSwG, "ecs.g6.large", worker{})

	attrs := func(ak, sk, id string) (*vpc.DescribeVSwitchAttributesResponse, error) {
		req := vpc.CreateDescribeVSwitchAttributesRequest()
		b.point(req.RpcRequest)
		req.VSwitchId = id
		return b.vpcClient(t, ak, sk).DescribeVSwitchAttributes(req)
	}
	resp, err := attrs(akA, skA, prodVSwG)
	require.NoError(t, err)
	require.Equal(t, prodVSwG, resp.VSwitchId)
	require.Equal(t, prodVPC, resp.VpcId)
	require.Equal(t, zoneG, resp.ZoneId)
	require.Equal(t, "10.0.0.0/24", resp.CidrBlock)
	require.Equal(t, "Available", resp.Status)
	require.False(t, resp.IsDefault)
	require.Equal(t, int64(256-4-3), resp.AvailableIpAddressCount)
	require.Equal(t, []vpc.CloudResourceSetType{{ResourceType: "ECS", ResourceCount: 3}}, resp.CloudResources.CloudResourceSetType)

	resp, err = attrs(akB, skB, prodVSwG)
	require.NoError(t, err)
	require.Equal(t, int64(256-4-1), resp.AvailableIpAddressCount, "account B's own copy of the vSwitch")

	require.NoError(t, b.cloud.ReleaseInstance(context.Background(), ins[0].ID))
	resp, err = attrs(akA, skA, prodVSwG)
	require.NoError(t, err)
	require.Equal(t, int64(256-4-2), resp.AvailableIpAddressCount, "a released instance frees its IP")

	resp, err = attrs(akA, skA, defVSwG)
	require.NoError(t, err)
	require.True(t, resp.IsDefault)
	require.Equal(t, int64(4096-4), resp.AvailableIpAddressCount)
	require.Empty(t, resp.CloudResources.CloudResourceSetType)

	// DescribeVSwitches shows the same counts.
	req := vpc.CreateDescribeVSwitchesRequest()
	b.point(req.RpcRequest)
	req.VpcId = prodVPC
	list, err := b.vpcClient(t, akA, skA).DescribeVSwitches(req)
	require.NoError(t, err)
	require.Equal(t, 2, list.TotalCount)
	got := map[string]int64{}
	for _, v := range list.VSwitches.VSwitch {
		got[v.VSwitchId] = v.AvailableIpAddressCount
		require.Equal(t, prodVPC, v.VpcId)
	}
	require.Equal(t, map[string]int64{prodVSwG: 250, prodVSwH: 252}, got)

	req = vpc.CreateDescribeVSwitchesRequest()
	b.point(req.RpcRequest)
	req.ZoneId, req.IsDefault = zoneH, requests.NewBoolean(true)
	list, err = b.vpcClient(t, akA, skA).DescribeVSwitches(req)
	require.NoError(t, err)
	require.Equal(t, 1, list.TotalCount)
	require.Equal(t, "vsw-bp1ackscaledefaulth01", list.VSwitches.VSwitch[0].VSwitchId)

	_, err = attrs(akA, skA, "vsw-nope")
	requireServerError(t, err, http.StatusNotFound, CodeVSwitchNotFound)
}

// requireServerError checks the error envelope as the old Go SDK reads it.
func requireServerError(t *testing.T, err error, status int, code string) *sdkerrors.ServerError {
	t.Helper()
	var se *sdkerrors.ServerError
	require.ErrorAs(t, err, &se)
	require.Equal(t, status, se.HttpStatus(), se.Error())
	require.Equal(t, code, se.ErrorCode(), se.Error())
	require.NotEmpty(t, se.RequestId())
	require.NotEmpty(t, se.HostId())
	require.NotEmpty(t, se.Message())
	require.NotEmpty(t, se.Recommend())
	return se
}

func TestDescribeNatGateways(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := vpc.CreateDescribeNatGatewaysRequest()
	b.point(req.RpcRequest)
	req.VpcId = defaultVPC
	resp, err := b.vpcClient(t, akA, skA).DescribeNatGateways(req)
	require.NoError(t, err)
	require.Zero(t, resp.TotalCount)
	require.NotNil(t, resp.NatGateways.NatGateway, "Terraform reads NatGateways.NatGateway")
	require.Empty(t, resp.NatGateways.NatGateway)
}

func TestDescribeInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	before := time.Now().UTC().Truncate(time.Minute)
	running := b.boot(t, b.run(t, accountA, zoneG, prodVSwG, "ecs.g6.large", worker{cluster: "c1", pool: "np1", hostname: "node-1"}).ID)
	pending := b.run(t, accountA, zoneH, prodVSwH, "ecs.c6.xlarge", worker{cluster: "c1", pool: "np2"})
	other := b.run(t, accountA, zoneG, defVSwG, "ecs.g6.large", worker{cluster: "c2", pool: "np3"})
	detached := b.run(t, accountA, zoneG, prodVSwG, "ecs.g6.large", worker{})
	released := b.run(t, accountA, zoneG, prodVSwG, "ecs.g6.large", worker{cluster: "c1", pool: "np1"})
	require.NoError(t, b.cloud.ReleaseInstance(context.Background(), released.ID))
	b.run(t, accountB, zoneG, prodVSwG, "ecs.g6.large", worker{cluster: "cB", pool: "npB"})
	b.run(t, accountA, "cn-beijing-telecom", "", "ens.sn1.tiny", worker{cluster: "edge", pool: "npE"})
	c := b.ecsClient(t, akA, skA, hangzhou)

	list := func(f func(r *ecs.DescribeInstancesRequest)) *ecs.DescribeInstancesResponse {
		t.Helper()
		req := ecs.CreateDescribeInstancesRequest()
		b.point(req.RpcRequest)
		f(req)
		resp, err := c.DescribeInstances(req)
		require.NoError(t, err)
		return resp
	}
	ids := func(resp *ecs.DescribeInstancesResponse) []string {
		var out []string
		for _, in := range resp.Instances.Instance {
			out = append(out, in.InstanceId)
		}
		return out
	}

	all := list(func(*ecs.DescribeInstancesRequest) {})
	require.Equal(t, 4, all.TotalCount, "live ECS instances of the account: no ENS, released or other account's")
	require.Equal(t, []string{running.ID, pending.ID, other.ID, detached.ID}, ids(all))

	got := all.Instances.Instance[0]
	require.Equal(t, "Running", got.Status)
	require.Equal(t, "ecs.g6.large", got.InstanceType)
	require.Equal(t, "ecs.g6", got.InstanceTypeFamily)
	require.Equal(t, zoneG, got.ZoneId)
	require.Equal(t, hangzhou, got.RegionId)
	require.Equal(t, prodVSwG, got.VpcAttributes.VSwitchId)
	require.Equal(t, prodVPC, got.VpcAttributes.VpcId)
	require.Equal(t, []string{running.IP}, got.VpcAttributes.PrivateIpAddress.IpAddress)
	require.Equal(t, "10.0.0.3", running.IP, "the first free address of 10.0.0.0/24")
	require.Equal(t, running.ImageID, got.ImageId)
	require.NotEmpty(t, got.ImageId)
	require.Equal(t, "node-1", got.HostName)
	require.Equal(t, "node-1", got.InstanceName)
	require.Equal(t, "vpc", got.InstanceNetworkType)
	it, _ := b.cat.InstanceType("ecs.g6.large")
	require.Equal(t, it.VCPU, got.Cpu)
	require.Equal(t, int(it.MemoryGiB*1024), got.Memory)
	created, err := time.Parse("2006-01-02T15:04Z", got.CreationTime)
	require.NoError(t, err)
	require.False(t, created.Before(before))
	require.Equal(t, running.Created.UTC().Format("2006-01-02T15:04Z"), got.CreationTime)
	require.ElementsMatch(t, []ecs.Tag{
		{Key: TagCluster, Value: "c1", TagKey: TagCluster, TagValue: "c1"},
		{Key: TagNodePool, Value: "np1", TagKey: TagNodePool, TagValue: "np1"},
	}, got.Tags.Tag)
	require.Equal(t, "Pending", all.Instances.Instance[1].Status)
	require.Empty(t, all.Instances.Instance[3].Tags.Tag, "an instance that left its cluster has no ACK tags")

	byTag := list(func(r *ecs.DescribeInstancesRequest) {
		r.Tag = &[]ecs.DescribeInstancesTag{{Key: TagCluster, Value: "c1"}}
	})
	require.Equal(t, []string{running.ID, pending.ID}, ids(byTag))
	byPool := list(func(r *ecs.DescribeInstancesRequest) {
		r.Tag = &[]ecs.DescribeInstancesTag{{Key: TagCluster, Value: "c1"}, {Key: TagNodePool, Value: "np2"}}
	})
	require.Equal(t, []string{pending.ID}, ids(byPool))
	anyCluster := list(func(r *ecs.DescribeInstancesRequest) { r.Tag = &[]ecs.DescribeInstancesTag{{Key: TagCluster}} })
	require.Equal(t, []string{running.ID, pending.ID, other.ID}, ids(anyCluster))

	require.Equal(t, []string{running.ID, other.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) {
		r.InstanceIds = `["` + other.ID + `","` + running.ID + `","` + released.ID + `"]`
	})), "oldest first, whatever the order asked")
	require.Equal(t, []string{running.ID, detached.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) { r.VSwitchId = prodVSwG })))
	require.Equal(t, []string{other.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) { r.VpcId = defaultVPC })))
	require.Equal(t, []string{pending.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) { r.ZoneId = zoneH })))
	require.Equal(t, []string{running.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) { r.Status = "Running" })))
	require.Equal(t, []string{pending.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) { r.InstanceTypeFamily = "ecs.c6" })))
	require.Equal(t, []string{detached.ID}, ids(list(func(r *ecs.DescribeInstancesRequest) {
		r.PrivateIpAddresses = `["` + detached.IP + `"]`
		r.VSwitchId = prodVSwG
	})))

	page := list(func(r *ecs.DescribeInstancesRequest) {
		r.PageSize, r.PageNumber = requests.NewInteger(3), requests.NewInteger(2)
	})
	require.Equal(t, 4, page.TotalCount)
	require.Equal(t, 2, page.PageNumber)
	require.Equal(t, []string{detached.ID}, ids(page))

	first := list(func(r *ecs.DescribeInstancesRequest) { r.MaxResults = requests.NewInteger(3) })
	require.Equal(t, []string{running.ID, pending.ID, other.ID}, ids(first))
	require.NotEmpty(t, first.NextToken)
	rest := list(func(r *ecs.DescribeInstancesRequest) {
		r.MaxResults, r.NextToken = requests.NewInteger(3), first.NextToken
	})
	require.Equal(t, []string{detached.ID}, ids(rest))
	require.Empty(t, rest.NextToken)

	beijing := b.ecsClient(t, akA, skA, "cn-beijing")
	req := ecs.CreateDescribeInstancesRequest()
	b.point(req.RpcRequest)
	resp, err := beijing.DescribeInstances(req)
	require.NoError(t, err)
	require.Zero(t, resp.TotalCount, "the instances are cn-hangzhou's")

	req = ecs.CreateDescribeInstancesRequest()
	b.point(req.RpcRequest)
	req.InstanceIds = "i-1,i-2"
	_, err = c.DescribeInstances(req)
	require.Contains(t, requireServerError(t, err, http.StatusBadRequest, ackscale.CodeInvalidParameter).Message(), "InstanceIds")
}

func TestDescribeInstanceTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.ecsClient(t, akA, skA, hangzhou)
	describe := func(f func(r *ecs.DescribeInstanceTypesRequest)) []ecs.InstanceType {
		t.Helper()
		req := ecs.CreateDescribeInstanceTypesRequest()
		b.point(req.RpcRequest)
		f(req)
		resp, err := c.DescribeInstanceTypes(req)
		require.NoError(t, err)
		return resp.InstanceTypes.InstanceType
	}
	var want []string
	for _, it := range b.cat.InstanceTypes() {
		if it.Kind != catalog.KindENS {
			want = append(want, it.Name)
		}
	}
	all := describe(func(*ecs.DescribeInstanceTypesRequest) {})
	var got []string
	for _, it := range all {
		got = append(got, it.InstanceTypeId)
		cat, ok := b.cat.InstanceType(it.InstanceTypeId)
		require.True(t, ok)
		require.Equal(t, cat.VCPU, it.CpuCoreCount)
		require.Equal(t, cat.MemoryGiB, it.MemorySize)
		require.Equal(t, cat.Family, it.InstanceTypeFamily)
		require.Equal(t, cat.GPU, it.GPUAmount)
	}
	require.Equal(t, want, got, "every ECS and bare-metal type, in catalog order")

	g6 := describe(func(r *ecs.DescribeInstanceTypesRequest) { r.InstanceTypeFamily = "ecs.g6" })
	require.Len(t, g6, 3)
	named := describe(func(r *ecs.DescribeInstanceTypesRequest) {
		r.InstanceTypes = &[]string{"ecs.g6.large", "ecs.c5.large", "nope"}
	})
	require.Len(t, named, 2)
	arm := describe(func(r *ecs.DescribeInstanceTypesRequest) { r.CpuArchitecture = "ARM" })
	require.Len(t, arm, 2)
	for _, it := range arm {
		require.Equal(t, "ARM", it.CpuArchitecture)
	}
	mid := describe(func(r *ecs.DescribeInstanceTypesRequest) {
		r.MinimumCpuCoreCount, r.MaximumMemorySize = requests.NewInteger(8), requests.NewFloat(32)
	})
	require.NotEmpty(t, mid)
	for _, it := range mid {
		require.GreaterOrEqual(t, it.CpuCoreCount, 8)
		require.LessOrEqual(t, it.MemorySize, 32.0)
	}
	paged := describe(func(r *ecs.DescribeInstanceTypesRequest) { r.MaxResults = requests.NewInteger(2) })
	require.Len(t, paged, 2)
}

// TestStock checks DescribeZones and DescribeAvailableResource against the
// stock the cloud enforces: the catalog's limits, the admin overrides and
// the live instances of every account.
func TestStock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	const typ = "ecs.g6.large"

	zones := func(region string) map[string]ecs.Zone {
		t.Helper()
		req := ecs.CreateDescribeZonesRequest()
		b.point(req.RpcRequest)
		resp, err := b.ecsClient(t, akA, skA, region).DescribeZones(req)
		require.NoError(t, err)
		out := map[string]ecs.Zone{}
		for _, z := range resp.Zones.Zone {
			out[z.ZoneId] = z
		}
		return out
	}
	available := func(region, zone, dest, instanceType string) *ecs.DescribeAvailableResourceResponse {
		t.Helper()
		req := ecs.CreateDescribeAvailableResourceRequest()
		b.point(req.RpcRequest)
		req.DestinationResource, req.ZoneId, req.InstanceType = dest, zone, instanceType
		resp, err := b.ecsClient(t, akA, skA, region).DescribeAvailableResource(req)
		require.NoError(t, err)
		return resp
	}
	typeStatus := func(zone string) (string, string) {
		t.Helper()
		resp := available(hangzhou, zone, "InstanceType", typ)
		require.Len(t, resp.AvailableZones.AvailableZone, 1)
		az := resp.AvailableZones.AvailableZone[0]
		res := az.AvailableResources.AvailableResource[0].SupportedResources.SupportedResource
		require.Len(t, res, 1)
		require.Equal(t, typ, res[0].Value)
		require.Equal(t, az.Status, res[0].Status)
		return res[0].Status, res[0].StatusCategory
	}

	hz := zones(hangzhou)
	require.Len(t, hz, 5)
	z := hz[zoneG]
	require.Equal(t, "China (Hangzhou) Zone G", z.LocalName)
	require.Contains(t, z.AvailableResourceCreation.ResourceTypes, "Instance")
	require.Contains(t, z.AvailableInstanceTypes.InstanceTypes, typ)
	require.NotContains(t, z.AvailableInstanceTypes.InstanceTypes, "ens.sn1.tiny")
	require.Len(t, z.AvailableResources.ResourcesInfo, 1)
	require.Equal(t, z.AvailableInstanceTypes.InstanceTypes, z.AvailableResources.ResourcesInfo[0].InstanceTypes.SupportedInstanceType)
	require.Contains(t, z.AvailableResources.ResourcesInfo[0].SystemDiskCategories.SupportedSystemDiskCategory, "cloud_essd")

	// The catalog sells no ecs.ebmgn6i.24xlarge in cn-shanghai-l.
	sh := zones("cn-shanghai")
	require.NotContains(t, sh["cn-shanghai-l"].AvailableInstanceTypes.InstanceTypes, "ecs.ebmgn6i.24xlarge")
	require.Contains(t, sh["cn-shanghai-e"].AvailableInstanceTypes.InstanceTypes, "ecs.ebmgn6i.24xlarge")
	resp := available("cn-shanghai", "cn-shanghai-l", "InstanceType", "ecs.ebmgn6i.24xlarge")
	require.Equal(t, "SoldOut", resp.AvailableZones.AvailableZone[0].Status)
	require.Equal(t, "WithoutStock", resp.AvailableZones.AvailableZone[0].StatusCategory)

	// An override of one: available until an instance takes it.
	require.NoError(t, b.cloud.SetStock(ctx, ackscale.StockOverride{ZoneID: zoneG, InstanceType: typ, Capacity: 1}))
	st, cat := typeStatus(zoneG)
	require.Equal(t, []string{"Available", "WithStock"}, []string{st, cat})
	in := b.run(t, accountB, zoneG, prodVSwG, typ, worker{})
	st, cat = typeStatus(zoneG)
	require.Equal(t, []string{"SoldOut", "WithoutStock"}, []string{st, cat}, "stock is global: another account's instance counts")
	require.NotContains(t, zones(hangzhou)[zoneG].AvailableInstanceTypes.InstanceTypes, typ)
	st, _ = typeStatus(zoneH)
	require.Equal(t, "Available", st, "the override is zoneG's only")
	require.NoError(t, b.cloud.ReleaseInstance(ctx, in.ID))
	st, _ = typeStatus(zoneG)
	require.Equal(t, "Available", st)

	// Every zone, by zone, and the disks.
	all := available(hangzhou, "", "Zone", "")
	require.Len(t, all.AvailableZones.AvailableZone, 5)
	for _, az := range all.AvailableZones.AvailableZone {
		r := az.AvailableResources.AvailableResource[0]
		require.Equal(t, "Zone", r.Type)
		require.Equal(t, az.ZoneId, r.SupportedResources.SupportedResource[0].Value)
	}
	disks := available(hangzhou, zoneG, "SystemDisk", typ)
	for _, d := range disks.AvailableZones.AvailableZone[0].AvailableResources.AvailableResource[0].SupportedResources.SupportedResource {
		cat, ok := b.cat.DiskCategory(d.Value)
		require.True(t, ok)
		require.Equal(t, cat.System.MinGiB, d.Min)
		require.Equal(t, cat.System.MaxGiB, d.Max)
		require.Equal(t, "GiB", d.Unit)
	}
	require.Empty(t, available(hangzhou, "", "InstanceType", "ecs.nope").AvailableZones.AvailableZone)

	req := ecs.CreateDescribeAvailableResourceRequest()
	b.point(req.RpcRequest)
	req.DestinationResource = "Disks"
	_, err := b.ecsClient(t, akA, skA, hangzhou).DescribeAvailableResource(req)
	requireServerError(t, err, http.StatusBadRequest, ackscale.CodeNotInEnum)
}

func TestDescribeImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.ecsClient(t, akA, skA, hangzhou)
	describe := func(f func(r *ecs.DescribeImagesRequest)) *ecs.DescribeImagesResponse {
		t.Helper()
		req := ecs.CreateDescribeImagesRequest()
		b.point(req.RpcRequest)
		req.PageSize = requests.NewInteger(100)
		f(req)
		resp, err := c.DescribeImages(req)
		require.NoError(t, err)
		return resp
	}
	var want []string
	for _, img := range b.cat.Images() {
		if img.Supports(catalog.KindECS) || img.Supports(catalog.KindEBM) {
			want = append(want, img.ID)
		}
	}
	all := describe(func(*ecs.DescribeImagesRequest) {})
	require.Equal(t, len(want), all.TotalCount)
	require.Equal(t, hangzhou, all.RegionId)
	var got []string
	for _, img := range all.Images.Image {
		got = append(got, img.ImageId)
		cat, _ := b.cat.Image(img.ImageId)
		require.Equal(t, cat.Arch, img.Architecture)
		require.Equal(t, cat.OSName, img.OSName)
		require.Equal(t, cat.SizeGiB, img.Size)
		require.Equal(t, "system", img.ImageOwnerAlias)
		require.Equal(t, "Available", img.Status)
	}
	require.Equal(t, want, got)

	arm := describe(func(r *ecs.DescribeImagesRequest) { r.Architecture = "arm64" })
	require.Equal(t, 2, arm.TotalCount)
	for _, img := range arm.Images.Image {
		require.Equal(t, "arm64", img.Architecture)
	}
	forARM := describe(func(r *ecs.DescribeImagesRequest) { r.InstanceType = "ecs.g8y.large" })
	require.Equal(t, arm.Images.Image, forARM.Images.Image, "the images an ARM type boots")
	require.Zero(t, describe(func(r *ecs.DescribeImagesRequest) { r.InstanceType = "ecs.nope" }).TotalCount)
	one := describe(func(r *ecs.DescribeImagesRequest) { r.ImageId = want[0] })
	require.Equal(t, 1, one.TotalCount)
	require.Zero(t, describe(func(r *ecs.DescribeImagesRequest) { r.ImageOwnerAlias = "self" }).TotalCount)
	page := describe(func(r *ecs.DescribeImagesRequest) {
		r.PageSize, r.PageNumber = requests.NewInteger(2), requests.NewInteger(1)
	})
	require.Len(t, page.Images.Image, 2)
	require.Equal(t, len(want), page.TotalCount)
}

func TestDescribeKeyPairs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	describe := func(name string) *ecs.DescribeKeyPairsResponse {
		t.Helper()
		req := ecs.CreateDescribeKeyPairsRequest()
		b.point(req.RpcRequest)
		req.KeyPairName = name
		resp, err := b.ecsClient(t, akA, skA, hangzhou).DescribeKeyPairs(req)
		require.NoError(t, err)
		return resp
	}
	all := describe("")
	reg, _ := b.cat.Region(hangzhou)
	require.Equal(t, len(reg.KeyPairs), all.TotalCount)
	var names []string
	for _, kp := range all.KeyPairs.KeyPair {
		names = append(names, kp.KeyPairName)
		require.Regexp(t, `^([0-9a-f]{2}:){15}[0-9a-f]{2}$`, kp.KeyPairFingerPrint)
	}
	require.Equal(t, reg.KeyPairs, names)
	require.Equal(t, all.KeyPairs.KeyPair[0].KeyPairFingerPrint, describe("").KeyPairs.KeyPair[0].KeyPairFingerPrint, "stable")
	require.Equal(t, 1, describe("ack*").TotalCount)
	require.Equal(t, "ackscale", describe("*sca*").KeyPairs.KeyPair[0].KeyPairName)
	require.Zero(t, describe("nope").TotalCount)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := map[string]string{"Action": "DescribeVpcs", "Version": VPCVersion, "Format": "JSON", "RegionId": hangzhou}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name   string
		params map[string]string
		sk     string
		status int
		code   string
	}{
		{"ok", base, skA, http.StatusOK, ""},
		{"wrong secret", base, "nope", http.StatusBadRequest, ackscale.CodeSignatureMismatch},
		{"no region", with("RegionId", ""), skA, http.StatusBadRequest, ackscale.CodeMissingParameter},
		{"unknown region", with("RegionId", "mars-1"), skA, http.StatusBadRequest, ackscale.CodeRegionNotFound},
		{"write action", with("Action", "CreateVpc"), skA, http.StatusNotFound, ackscale.CodeRouteNotFound},
		{"ECS action at the VPC version", with("Action", "DescribeInstances"), skA, http.StatusNotFound, ackscale.CodeRouteNotFound},
		{"CS version", with("Version", "2015-12-15"), skA, http.StatusBadRequest, CodeInvalidVersion},
		{"XML", with("Format", "XML"), skA, http.StatusBadRequest, ackscale.CodeInvalidParameter},
		{"page size", with("PageSize", "51"), skA, http.StatusBadRequest, ackscale.CodeInvalidParameter},
		{"page number", with("PageNumber", "0"), skA, http.StatusBadRequest, ackscale.CodeInvalidParameter},
		{"bool", with("IsDefault", "yes"), skA, http.StatusBadRequest, ackscale.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, body := b.rpcGet(t, akA, tt.sk, tt.params)
			require.Equal(t, tt.status, status, "%v", body)
			require.NotEmpty(t, body["RequestId"])
			if tt.code == "" {
				return
			}
			require.Equal(t, tt.code, body["Code"])
			require.NotEmpty(t, body["Message"])
			require.Equal(t, strings.ToLower(b.host+":"+b.port), body["HostId"])
			require.Contains(t, body["Recommend"], tt.code)
		})
	}

	status, body := b.rpcGet(t, "AKIDnobody", skA, base)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, ackscale.CodeAccessKeyNotFound, body["Code"])

	resp, err := http.Get(b.srv.URL + "/?Action=DescribeVpcs&Version=2016-04-28&RegionId=cn-hangzhou")
	require.NoError(t, err)
	status, body = decode(t, resp)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, ackscale.CodeMissingAuthorization, body["Code"])
}

func TestThrottle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.mu.Lock()
	b.throttle = func(account string) (bool, time.Duration) { return account != accountA, 1500 * time.Millisecond }
	b.mu.Unlock()
	req := vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	_, err := b.vpcClient(t, akA, skA).DescribeVpcs(req)
	requireServerError(t, err, http.StatusBadRequest, ackscale.CodeThrottling)
	req = vpc.CreateDescribeVpcsRequest()
	b.point(req.RpcRequest)
	_, err = b.vpcClient(t, akB, skB).DescribeVpcs(req)
	require.NoError(t, err, "the bucket is the account's")

	status, _ := b.rpcGet(t, akA, skA, map[string]string{"Action": "DescribeVpcs", "Version": VPCVersion, "RegionId": hangzhou})
	require.Equal(t, http.StatusBadRequest, status)
}

// TestACS3 calls the VPC API signed with ACS3, as darabonba's default RPC
// path signs it, and reads the answer with the Go SDK's model.
func TestACS3(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.run(t, accountA, zoneG, prodVSwG, "ecs.g6.large", worker{cluster: "c1", pool: "np1"})
	status, body := b.acs3Request(t, akA, skA, "DescribeVSwitchAttributes", VPCVersion,
		url.Values{"RegionId": {hangzhou}, "VSwitchId": {prodVSwG}})
	require.Equal(t, http.StatusOK, status, string(body))
	var resp vpc.DescribeVSwitchAttributesResponse
	require.NoError(t, json.Unmarshal(body, &resp))
	require.Equal(t, prodVSwG, resp.VSwitchId)
	require.Equal(t, int64(256-4-1), resp.AvailableIpAddressCount)

	status, body = b.acs3Request(t, akA, skA, "DescribeInstances", ECSVersion, url.Values{"RegionId": {hangzhou}})
	require.Equal(t, http.StatusOK, status, string(body))
	var instances ecs.DescribeInstancesResponse
	require.NoError(t, json.Unmarshal(body, &instances))
	require.Equal(t, 1, instances.TotalCount)

	status, body = b.acs3Request(t, akA, skA, "DescribeVpcs", VPCVersion,
		url.Values{"RegionId": {hangzhou}, "Action": {"DescribeVSwitches"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, string(body), "differ")
}

func TestIsRPC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		target string
		header map[string]string
		want   bool
	}{
		{"old SDK RPC", http.MethodPost, "/?Action=DescribeVpcs&Version=2016-04-28&Signature=x", map[string]string{
			"x-acs-action": "DescribeVpcs", "x-acs-version": "2016-04-28", "Content-Type": "application/x-www-form-urlencoded"}, true},
		{"RPC GET", http.MethodGet, "/?Action=DescribeInstances&Version=2014-05-26", nil, true},
		{"RPC at an unknown version", http.MethodGet, "/?Action=DescribeRegions&Version=2099-01-01", nil, true},
		{"ACS3 RPC", http.MethodPost, "/?RegionId=cn-hangzhou", map[string]string{"x-acs-action": "DescribeVSwitchAttributes", "x-acs-version": "2016-04-28"}, true},
		{"ACS3 ECS", http.MethodGet, "/?RegionId=cn-hangzhou", map[string]string{"x-acs-version": "2014-05-26"}, true},
		{"form POST to /", http.MethodPost, "/", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, true},
		{"CS ACS3", http.MethodGet, "/clusters/c1", map[string]string{"x-acs-action": "DescribeClusterDetail", "x-acs-version": "2015-12-15"}, false},
		{"CS ROA old SDK", http.MethodPost, "/api/v2/clusters/c1", map[string]string{"x-acs-version": "2015-12-15", "Content-Type": "application/json"}, false},
		{"CS form body", http.MethodPost, "/clusters/c1/nodes", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, false},
		{"CS without headers", http.MethodGet, "/clusters?name=x", nil, false},
		{"root", http.MethodGet, "/", nil, false},
		{"Action alone", http.MethodGet, "/?Action=x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			require.Equal(t, tt.want, IsRPC(r))
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	require.Error(t, err)
}
