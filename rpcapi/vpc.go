package rpcapi

import (
	"context"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// catalogCreated is the creation time of everything the catalog holds,
// which records none.
var catalogCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Time layouts of the two APIs: VPC gives seconds, ECS minutes.
const (
	vpcTimeLayout = "2006-01-02T15:04:05Z"
	ecsTimeLayout = "2006-01-02T15:04Z"
)

// statusAvailable is the status of every VPC and vSwitch of the catalog.
const statusAvailable = "Available"

// vpcMaxPageSize is the largest PageSize of VPC's list actions.
const vpcMaxPageSize = 50

type idList struct {
	VSwitchID []string `json:"VSwitchId"`
}

type natIDList struct {
	NatGatewayIDs []string `json:"NatGatewayIds"`
}

type vpcTags struct {
	Tag []tag `json:"Tag"`
}

// tag is a resource tag, under both spellings the SDK models have.
type tag struct {
	Key      string `json:"Key"`
	Value    string `json:"Value"`
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

func newTag(k, v string) tag { return tag{Key: k, Value: v, TagKey: k, TagValue: v} }

// vpcItem is a VPC as DescribeVpcs shows it (services/vpc struct_vpc.go).
type vpcItem struct {
	VpcID           string    `json:"VpcId"`
	RegionID        string    `json:"RegionId"`
	Status          string    `json:"Status"`
	VpcName         string    `json:"VpcName"`
	CidrBlock       string    `json:"CidrBlock"`
	IsDefault       bool      `json:"IsDefault"`
	CreationTime    string    `json:"CreationTime"`
	Description     string    `json:"Description"`
	VRouterID       string    `json:"VRouterId"`
	OwnerID         int64     `json:"OwnerId,omitempty"`
	ResourceGroupID string    `json:"ResourceGroupId"`
	VSwitchIDs      idList    `json:"VSwitchIds"`
	NatGatewayIDs   natIDList `json:"NatGatewayIds"`
	Tags            vpcTags   `json:"Tags"`
}

type describeVpcsResponse struct {
	RequestID  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	Vpcs       struct {
		Vpc []vpcItem `json:"Vpc"`
	} `json:"Vpcs"`
}

func (h *Handler) describeVpcs(_ context.Context, c *call) (any, error) {
	regionID, err := h.region(c)
	if err != nil {
		return nil, err
	}
	p, err := c.pageParams(vpcMaxPageSize)
	if err != nil {
		return nil, err
	}
	isDefault, hasDefault, err := c.boolParam("IsDefault")
	if err != nil {
		return nil, err
	}
	ids, name := c.commaList("VpcId"), c.get("VpcName")
	reg, _ := h.cfg.Catalog.Region(regionID)
	var items []vpcItem
	for _, v := range reg.VPCs {
		if len(ids) > 0 && !slices.Contains(ids, v.ID) || name != "" && name != v.Name || hasDefault && isDefault != v.Default {
			continue
		}
		items = append(items, h.vpcItem(c, regionID, v))
	}
	resp := describeVpcsResponse{RequestID: c.id, TotalCount: len(items), PageNumber: p.number, PageSize: p.size}
	lo, hi := p.bounds(len(items))
	resp.Vpcs.Vpc = nonNil(items[lo:hi])
	return resp, nil
}

func (h *Handler) vpcItem(c *call, regionID string, v catalog.VPC) vpcItem {
	item := vpcItem{
		VpcID: v.ID, RegionID: regionID, Status: statusAvailable, VpcName: v.Name, CidrBlock: v.CIDR, IsDefault: v.Default,
		CreationTime: catalogCreated.Format(vpcTimeLayout), VRouterID: "vrt-" + strings.TrimPrefix(v.ID, "vpc-"),
		OwnerID: ownerID(c.account), VSwitchIDs: idList{VSwitchID: []string{}},
		NatGatewayIDs: natIDList{NatGatewayIDs: []string{}}, Tags: vpcTags{Tag: []tag{}},
	}
	for _, vsw := range v.VSwitches {
		item.VSwitchIDs.VSwitchID = append(item.VSwitchIDs.VSwitchID, vsw.ID)
	}
	return item
}

// ownerID is the account id as the APIs' numeric OwnerId, 0 (left out)
// when it is not a number.
func ownerID(a ackscale.Account) int64 {
	n, _ := strconv.ParseInt(a.ID, 10, 64)
	return n
}

// vswitchItem is a vSwitch as DescribeVSwitches shows it (services/vpc
// struct_v_switch.go).
type vswitchItem struct {
	VSwitchID               string  `json:"VSwitchId"`
	VpcID                   string  `json:"VpcId"`
	ZoneID                  string  `json:"ZoneId"`
	CidrBlock               string  `json:"CidrBlock"`
	Status                  string  `json:"Status"`
	IsDefault               bool    `json:"IsDefault"`
	AvailableIPAddressCount int64   `json:"AvailableIpAddressCount"`
	VSwitchName             string  `json:"VSwitchName"`
	Description             string  `json:"Description"`
	CreationTime            string  `json:"CreationTime"`
	OwnerID                 int64   `json:"OwnerId,omitempty"`
	ResourceGroupID         string  `json:"ResourceGroupId"`
	ShareType               string  `json:"ShareType"`
	Tags                    vpcTags `json:"Tags"`
}

type describeVSwitchesResponse struct {
	RequestID  string `json:"RequestId"`
	TotalCount int    `json:"TotalCount"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	VSwitches  struct {
		VSwitch []vswitchItem `json:"VSwitch"`
	} `json:"VSwitches"`
}

func (h *Handler) describeVSwitches(ctx context.Context, c *call) (any, error) {
	if err := h.defaultRegionFromIDs(c); err != nil {
		return nil, err
	}
	regionID, err := h.region(c)
	if err != nil {
		return nil, err
	}
	p, err := c.pageParams(vpcMaxPageSize)
	if err != nil {
		return nil, err
	}
	isDefault, hasDefault, err := c.boolParam("IsDefault")
	if err != nil {
		return nil, err
	}
	used, err := h.usedIPs(ctx, c.account.ID)
	if err != nil {
		return nil, err
	}
	defaults := h.defaultVSwitches(regionID)
	vpcID, id, zone, name := c.get("VpcId"), c.get("VSwitchId"), c.get("ZoneId"), c.get("VSwitchName")
	reg, _ := h.cfg.Catalog.Region(regionID)
	var items []vswitchItem
	for _, v := range reg.VPCs {
		for _, vsw := range v.VSwitches {
			switch {
			case vpcID != "" && vpcID != v.ID, id != "" && id != vsw.ID, zone != "" && zone != vsw.ZoneID,
				name != "", // the catalog's vSwitches have no names
				hasDefault && isDefault != defaults[vsw.ID]:
				continue
			}
			vsw.VPCID = v.ID
			items = append(items, h.vswitchItem(c, vsw, defaults[vsw.ID], used[vsw.ID]))
		}
	}
	resp := describeVSwitchesResponse{RequestID: c.id, TotalCount: len(items), PageNumber: p.number, PageSize: p.size}
	lo, hi := p.bounds(len(items))
	resp.VSwitches.VSwitch = nonNil(items[lo:hi])
	return resp, nil
}

// defaultRegionFromIDs sets RegionId, when the request has none, from
// the VpcId or VSwitchId it names: VPC's list actions take either.
func (h *Handler) defaultRegionFromIDs(c *call) error {
	if c.get("RegionId") != "" {
		return nil
	}
	if vsw, ok := h.cfg.Catalog.VSwitch(c.get("VSwitchId")); ok {
		c.params.Set("RegionId", vsw.RegionID)
		return nil
	}
	if id := c.get("VpcId"); id != "" {
		for _, reg := range h.cfg.Catalog.Regions() {
			for _, v := range reg.VPCs {
				if v.ID == id {
					c.params.Set("RegionId", reg.ID)
					return nil
				}
			}
		}
		return notFound(CodeVpcNotFound, "VpcId", "The specified VpcId %q does not exist", id)
	}
	return nil
}

// defaultVSwitches returns the ids of the region's default vSwitches.
func (h *Handler) defaultVSwitches(regionID string) map[string]bool {
	ids := map[string]bool{}
	for _, v := range h.cfg.Catalog.DefaultVSwitches(regionID) {
		ids[v.ID] = true
	}
	return ids
}

func (h *Handler) vswitchItem(c *call, vsw catalog.VSwitch, isDefault bool, used int) vswitchItem {
	return vswitchItem{
		VSwitchID: vsw.ID, VpcID: vsw.VPCID, ZoneID: vsw.ZoneID, CidrBlock: vsw.CIDR, Status: statusAvailable,
		IsDefault: isDefault, AvailableIPAddressCount: availableIPs(vsw.CIDR, used),
		CreationTime: catalogCreated.Format(vpcTimeLayout), OwnerID: ownerID(c.account), Tags: vpcTags{Tag: []tag{}},
	}
}

// reservedIPs is how many addresses of a vSwitch no instance gets: the
// emulated cloud skips the first three and the last (cloud.freeIP), as
// VPC reserves four of every vSwitch.
const reservedIPs = 4

// availableIPs is a CIDR's size, less the reserved addresses and the used
// ones; 0 at least.
func availableIPs(cidr string, used int) int64 {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return 0
	}
	hostBits := min(p.Addr().BitLen()-p.Bits(), 62)
	return max(int64(1)<<hostBits-reservedIPs-int64(used), 0)
}

// usedIPs counts the account's live instances in each IP pool: each holds
// one address of its pool (ackscale.CloudStore.InstanceUsedIPs).
func (h *Handler) usedIPs(ctx context.Context, accountID string) (map[string]int, error) {
	live, err := h.cfg.Cloud.InstanceList(ctx, ackscale.InstanceListParams{AccountID: accountID, LiveOnly: true})
	if err != nil {
		return nil, err
	}
	used := map[string]int{}
	for _, in := range live {
		used[in.IPPool]++
	}
	return used, nil
}

// describeVSwitchAttributesResponse follows services/vpc
// describe_v_switch_attributes.go.
type describeVSwitchAttributesResponse struct {
	RequestID string `json:"RequestId"`
	vswitchItem
	CloudResources struct {
		CloudResourceSetType []cloudResource `json:"CloudResourceSetType"`
	} `json:"CloudResources"`
}

type cloudResource struct {
	ResourceType  string `json:"ResourceType"`
	ResourceCount int    `json:"ResourceCount"`
}

func (h *Handler) describeVSwitchAttributes(ctx context.Context, c *call) (any, error) {
	id := c.get("VSwitchId")
	if id == "" {
		return nil, ackscale.FieldErrorf(ackscale.CodeMissingParameter, "VSwitchId", "VSwitchId is mandatory for this action")
	}
	vsw, ok := h.cfg.Catalog.VSwitch(id)
	if region := c.get("RegionId"); !ok || region != "" && region != vsw.RegionID {
		return nil, notFound(CodeVSwitchNotFound, "VSwitchId", "The specified vSwitch %q does not exist in region %q", id, region)
	}
	used, err := h.usedIPs(ctx, c.account.ID)
	if err != nil {
		return nil, err
	}
	resp := describeVSwitchAttributesResponse{RequestID: c.id,
		vswitchItem: h.vswitchItem(c, vsw, h.defaultVSwitches(vsw.RegionID)[vsw.ID], used[vsw.ID])}
	resp.CloudResources.CloudResourceSetType = []cloudResource{}
	if n := used[vsw.ID]; n > 0 {
		resp.CloudResources.CloudResourceSetType = append(resp.CloudResources.CloudResourceSetType,
			cloudResource{ResourceType: "ECS", ResourceCount: n})
	}
	return resp, nil
}

type describeNatGatewaysResponse struct {
	RequestID   string `json:"RequestId"`
	TotalCount  int    `json:"TotalCount"`
	PageNumber  int    `json:"PageNumber"`
	PageSize    int    `json:"PageSize"`
	NatGateways struct {
		NatGateway []struct{} `json:"NatGateway"`
	} `json:"NatGateways"`
}

// describeNatGateways answers an empty list: the catalog has no NAT
// gateways. The parameters are still checked.
func (h *Handler) describeNatGateways(_ context.Context, c *call) (any, error) {
	if _, err := h.region(c); err != nil {
		return nil, err
	}
	p, err := c.pageParams(vpcMaxPageSize)
	if err != nil {
		return nil, err
	}
	resp := describeNatGatewaysResponse{RequestID: c.id, PageNumber: p.number, PageSize: p.size}
	resp.NatGateways.NatGateway = []struct{}{}
	return resp, nil
}

// nonNil returns s, or an empty slice for nil: the answers show [] rather
// than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
