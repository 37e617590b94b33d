package cloud_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/rules"
)

// The cloud answers what validation asks.
var _ rules.Cloud = (*cloud.Cloud)(nil)

// TestLookupListsAgreeWithLookups: every name a list answers is one the
// matching lookup knows, in the right region, VPC or kind, and the lists
// hold the default catalog's names.
func TestLookupListsAgreeWithLookups(t *testing.T) {
	t.Parallel()
	c := setup(t, 0).cloud

	for _, kind := range []ackscale.InstanceKind{ackscale.KindECS, ackscale.KindEBM, ackscale.KindENS} {
		names := c.InstanceTypeNames(kind)
		require.NotEmpty(t, names, kind)
		for _, name := range names {
			got, ok := c.InstanceTypeKind(name)
			require.True(t, ok, name)
			require.Equal(t, kind, got, name)
		}
		for _, id := range c.ImageIDs(kind) {
			_, ok := c.ImageSizeGiB(id)
			require.True(t, ok, id)
		}
	}
	require.Contains(t, c.InstanceTypeNames(ackscale.KindECS), "ecs.g6.large")
	require.NotContains(t, c.InstanceTypeNames(ackscale.KindECS), "ens.sn1.tiny")
	require.Contains(t, c.ImageIDs(ackscale.KindENS), "m-2QVLO2T8NYgm8CNQVg****")
	require.NotContains(t, c.ImageIDs(ackscale.KindECS), "m-2QVLO2T8NYgm8CNQVg****", "an ENS-only image")

	regions := c.RegionIDs()
	require.Equal(t, []string{"cn-hangzhou", "cn-beijing", "cn-shanghai"}, regions)
	for _, region := range regions {
		require.True(t, c.RegionExists(region))
		vpc, defaults := c.DefaultVSwitches(region)
		all, inVPC := c.VSwitchIDs(region, ""), c.VSwitchIDs(region, vpc)
		require.Subset(t, inVPC, defaults, region)
		require.Subset(t, all, inVPC, region)
		for _, id := range all {
			r, _, ok := c.VSwitchVPC(id)
			require.True(t, ok, id)
			require.Equal(t, region, r, id)
		}
		for _, id := range inVPC {
			_, v, _ := c.VSwitchVPC(id)
			require.Equal(t, vpc, v, id)
		}
		for _, kp := range c.KeyPairNames(region) {
			require.True(t, c.KeyPairExists(region, kp), kp)
		}
	}
	require.Greater(t, len(c.VSwitchIDs("cn-hangzhou", "")), len(c.VSwitchIDs("cn-hangzhou", "vpc-bp1ackscaledefault001")), "two VPCs")
	require.Empty(t, c.VSwitchIDs("cn-nowhere", ""))
	require.Empty(t, c.KeyPairNames("cn-nowhere"))

	ens := c.ENSRegionIDs()
	require.Contains(t, ens, "cn-beijing-telecom")
	for _, id := range ens {
		require.True(t, c.ENSRegionExists(id), id)
		for _, kp := range c.KeyPairNames(id) {
			require.True(t, c.KeyPairExists(id, kp), kp)
		}
	}
	require.Equal(t, []string{"secrity-key"}, c.KeyPairNames("cn-beijing-telecom"))
}
