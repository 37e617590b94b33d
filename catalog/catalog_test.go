package catalog

import (
	"bytes"
	"encoding/json"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefault(t *testing.T) {
	t.Parallel()

	var c *Catalog
	require.NotPanics(t, func() { c = Default() })
	require.NotNil(t, c)
	require.Same(t, c, Default(), "parsed once and shared")

	fresh, err := Load(bytes.NewReader(DefaultJSON()))
	require.NoError(t, err)
	require.Equal(t, c, fresh)
}

// TestDefaultSeedExamples checks that every id, type, image, vSwitch and key
// pair the seeds' example requests send exists in the default catalog.
func TestDefaultSeedExamples(t *testing.T) {
	t.Parallel()

	c := Default()
	tests := []struct {
		name string
		ok   func() bool
	}{
		{"seed 000 type ecs.sn1ne.large", func() bool { _, ok := c.InstanceType("ecs.sn1ne.large"); return ok }},
		{"seed 000 disk cloud_efficiency", func() bool { _, ok := c.DiskCategory("cloud_efficiency"); return ok }},
		{"seed 001 type ens.sn1.tiny", func() bool { _, ok := c.InstanceType("ens.sn1.tiny"); return ok }},
		{"seed 001 ENS region cn-beijing-telecom", func() bool { _, ok := c.ENSRegion("cn-beijing-telecom"); return ok }},
		{"seed 001 ENS region cn-beijing-cmcc-2", func() bool { _, ok := c.ENSRegion("cn-beijing-cmcc-2"); return ok }},
		{"seed 001 image m-2QVLO2T8NYgm8CNQVg****", func() bool { return ensImage(c, "m-2QVLO2T8NYgm8CNQVg****") }},
		{"seed 001 image centos_7_06_64_20G_alibase_2019****", func() bool { return ensImage(c, "centos_7_06_64_20G_alibase_2019****") }},
		{"seed 003 image m-2QVLO2T8NYgm8CNQVg15gF", func() bool { return ensImage(c, "m-2QVLO2T8NYgm8CNQVg15gF") }},
		{"seed 002 type ecs.c5.xlarge", func() bool { _, ok := c.InstanceType("ecs.c5.xlarge"); return ok }},
		{"seed 002 vSwitch vsw-2ze4jvvvade1yk899****", func() bool { return beijingVSwitch(c, "vsw-2ze4jvvvade1yk899****") }},
		{"seed 002 key pair secrity-key", func() bool { return c.KeyPair("cn-beijing", "secrity-key") }},
		{"seed 002 disk cloud_ssd", func() bool { _, ok := c.DiskCategory("cloud_ssd"); return ok }},
		{"seed 002 runtime docker 19.03.5", func() bool { return runtimeVersion(c, "docker", "19.03.5") }},
		{"seed 004 vSwitch vsw-2zes3rfz7bmk0nxxxxxxx", func() bool { return beijingVSwitch(c, "vsw-2zes3rfz7bmk0nxxxxxxx") }},
		{"seed 004 vSwitch vsw-2ze48rkq464rsdts1****", func() bool { return beijingVSwitch(c, "vsw-2ze48rkq464rsdts1****") }},
		{"seed 004 type ecs.ebmg5s.24xlarge", func() bool { return kindOf(c, "ecs.ebmg5s.24xlarge") == KindEBM }},
		{"seed 004 type ecs.ebmc5s.24xlarge", func() bool { return kindOf(c, "ecs.ebmc5s.24xlarge") == KindEBM }},
		{"seed 004 type ecs.ebmgn6i.24xlarge", func() bool { return kindOf(c, "ecs.ebmgn6i.24xlarge") == KindEBM }},
		{"seed 004 runtime Sandboxed-Container.runv", func() bool { _, ok := c.Runtime("Sandboxed-Container.runv"); return ok }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.True(t, tt.ok())
		})
	}
}

func ensImage(c *Catalog, id string) bool {
	img, ok := c.Image(id)
	return ok && img.Supports(KindENS) && img.SizeGiB == 20 // ruling 5: a 20 GiB disk fits
}

func beijingVSwitch(c *Catalog, id string) bool {
	vsw, ok := c.VSwitch(id)
	vpc, _ := c.DefaultVPC("cn-beijing")
	return ok && vsw.RegionID == "cn-beijing" && vsw.VPCID == vpc.ID
}

func kindOf(c *Catalog, name string) string {
	it, _ := c.InstanceType(name)
	return it.Kind
}

func runtimeVersion(c *Catalog, name, version string) bool {
	rt, ok := c.Runtime(name)
	return ok && strings.Contains(strings.Join(rt.Versions, ","), version)
}

func TestDefaultInstanceTypeFigures(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		vcpu int
		mem  float64
		gpu  int
		kind string
	}{
		{"ecs.sn1ne.large", 2, 4, 0, KindECS},
		{"ecs.c5.xlarge", 4, 8, 0, KindECS},
		{"ens.sn1.tiny", 1, 2, 0, KindENS},
		{"ecs.ebmg5s.24xlarge", 96, 384, 0, KindEBM},
		{"ecs.ebmc5s.24xlarge", 96, 192, 0, KindEBM},
		{"ecs.ebmgn6i.24xlarge", 96, 384, 4, KindEBM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			it, ok := Default().InstanceType(tt.name)
			require.True(t, ok)
			require.Equal(t, tt.vcpu, it.VCPU)
			require.InDelta(t, tt.mem, it.MemoryGiB, 0)
			require.Equal(t, tt.gpu, it.GPU)
			require.Equal(t, tt.kind, it.Kind)
		})
	}

	// Boot times: tens of seconds for ECS, minutes for bare metal and ENS.
	for _, it := range Default().InstanceTypes() {
		if it.Kind == KindECS {
			require.Less(t, it.BootSeconds, 120, it.Name)
		} else {
			require.GreaterOrEqual(t, it.BootSeconds, 120, it.Name)
		}
	}
}

func TestDefaultRegions(t *testing.T) {
	t.Parallel()

	for _, tt := range []struct {
		region   string
		minZones int
	}{
		{"cn-hangzhou", 3},
		{"cn-beijing", 3},
		{"cn-shanghai", 3},
	} {
		t.Run(tt.region, func(t *testing.T) {
			t.Parallel()
			c := Default()
			zones := c.Zones(tt.region)
			require.GreaterOrEqual(t, len(zones), tt.minZones)

			vpc, ok := c.DefaultVPC(tt.region)
			require.True(t, ok)
			require.True(t, vpc.Default)

			defaults := c.DefaultVSwitches(tt.region)
			require.Len(t, defaults, len(zones), "one default vSwitch per zone")
			for i, vsw := range defaults {
				require.Equal(t, zones[i], vsw.ZoneID)
				require.Equal(t, tt.region, vsw.RegionID)
				require.Equal(t, vpc.ID, vsw.VPCID)
				got, ok := c.VSwitch(vsw.ID)
				require.True(t, ok)
				require.Equal(t, vsw, got)
				region, ok := c.ZoneRegion(vsw.ZoneID)
				require.True(t, ok)
				require.Equal(t, tt.region, region)
			}
			require.True(t, c.KeyPair(tt.region, "secrity-key"))
		})
	}
}

// TestDefaultCIDRs checks every vSwitch CIDR: valid, inside its VPC, and
// not overlapping another vSwitch of the VPC.
func TestDefaultCIDRs(t *testing.T) {
	t.Parallel()

	for _, reg := range Default().Regions() {
		for _, vpc := range reg.VPCs {
			vpcCIDR := netip.MustParsePrefix(vpc.CIDR)
			var seen []netip.Prefix
			for _, vsw := range vpc.VSwitches {
				p, err := netip.ParsePrefix(vsw.CIDR)
				require.NoError(t, err, vsw.ID)
				require.Equal(t, p.Masked(), p, vsw.ID)
				require.True(t, vpcCIDR.Contains(p.Addr()) && p.Bits() >= vpcCIDR.Bits(), vsw.ID)
				for _, q := range seen {
					require.False(t, p.Overlaps(q), "%s overlaps %s", vsw.ID, q)
				}
				seen = append(seen, p)
			}
		}
	}
	for _, ens := range Default().ENSRegions() {
		_, err := netip.ParsePrefix(ens.CIDR)
		require.NoError(t, err, ens.ID)
	}
}

func TestDefaultImages(t *testing.T) {
	t.Parallel()

	c := Default()
	for _, id := range []string{"m-2QVLO2T8NYgm8CNQVg****", "m-2QVLO2T8NYgm8CNQVg15gF", "centos_7_06_64_20G_alibase_2019****"} {
		img, ok := c.Image(id)
		require.True(t, ok, id)
		require.Equal(t, 20, img.SizeGiB, id)
	}

	tests := []struct {
		kind, arch, want string
	}{
		{KindECS, ArchX86, "aliyun_3_x64_20G_alibase_20240819.vhd"},
		{KindEBM, ArchX86, "aliyun_3_x64_20G_alibase_20240819.vhd"},
		{KindENS, ArchX86, "aliyun_3_x64_20G_alibase_20240819.vhd"},
		{KindECS, ArchARM, "aliyun_3_arm64_20G_alibase_20240819.vhd"},
		{KindENS, ArchARM, ""},
	}
	for _, tt := range tests {
		img, ok := c.DefaultImage(tt.kind, tt.arch)
		require.Equal(t, tt.want != "", ok, "%s %s", tt.kind, tt.arch)
		require.Equal(t, tt.want, img.ID)
	}

	var big bool
	for _, img := range c.Images() {
		big = big || img.SizeGiB > 20
	}
	require.True(t, big, "one image is larger than 20 GiB")
}

func TestLookupsMiss(t *testing.T) {
	t.Parallel()

	c := Default()
	_, ok := c.Region("cn-nowhere")
	require.False(t, ok)
	require.Nil(t, c.Zones("cn-nowhere"))
	_, ok = c.ZoneRegion("cn-hangzhou-z")
	require.False(t, ok)
	_, ok = c.ENSRegion("cn-beijing")
	require.False(t, ok, "an ECS region is not an ENS region")
	_, ok = c.InstanceType("ecs.nope.large")
	require.False(t, ok)
	_, ok = c.Image("m-nope")
	require.False(t, ok)
	_, ok = c.VSwitch("vsw-2ze4jvvvade1yk899xxxx")
	require.False(t, ok)
	_, ok = c.VPC("vpc-nope")
	require.False(t, ok)
	_, ok = c.DefaultVPC("cn-nowhere")
	require.False(t, ok)
	require.Nil(t, c.DefaultVSwitches("cn-nowhere"))
	require.False(t, c.KeyPair("cn-hangzhou", "Secrity-key"), "names are case-sensitive")
	require.False(t, c.KeyPair("cn-nowhere", "secrity-key"))
	_, ok = c.DiskCategory("Cloud_SSD")
	require.False(t, ok, "categories are case-sensitive")
	_, ok = c.Runtime("Containerd")
	require.False(t, ok)
}

func TestStock(t *testing.T) {
	t.Parallel()

	doc := minimalDoc()
	doc.InstanceTypes = append(doc.InstanceTypes, InstanceType{
		Name: "ecs.g6.xlarge", Family: "ecs.g6", Kind: KindECS, Arch: ArchX86, VCPU: 4, MemoryGiB: 16, BootSeconds: 30,
	})
	doc.Stock = []StockLimit{
		{ZoneID: "cn-test-a", InstanceType: "ecs.g6.large", Count: 0},
		{ZoneID: "cn-test-b", Count: 3},
		{ZoneID: "cn-test-b", InstanceType: "ecs.g6.xlarge", Count: 7},
		{ZoneID: "cn-test-telecom", Count: 2},
	}
	c, err := New(doc)
	require.NoError(t, err)

	tests := []struct {
		zone, typ string
		n         int
		limited   bool
	}{
		{"cn-test-a", "ecs.g6.large", 0, true},
		{"cn-test-a", "ecs.g6.xlarge", math.MaxInt, false},
		{"cn-test-b", "ecs.g6.large", 3, true},
		{"cn-test-b", "ecs.g6.xlarge", 7, true},
		{"cn-test-telecom", "ens.sn1.tiny", 2, true},
		{"cn-unknown-a", "ecs.g6.large", math.MaxInt, false},
	}
	for _, tt := range tests {
		n, limited := c.Stock(tt.zone, tt.typ)
		require.Equal(t, tt.n, n, "%s %s", tt.zone, tt.typ)
		require.Equal(t, tt.limited, limited, "%s %s", tt.zone, tt.typ)
	}
	require.Equal(t, doc.Stock, c.StockLimits())

	n, limited := Default().Stock("cn-beijing-g", "ecs.ebmg5s.24xlarge")
	require.False(t, limited, "the seeds' examples have stock")
	require.Equal(t, math.MaxInt, n)
}

func TestQuotasAndKubernetes(t *testing.T) {
	t.Parallel()

	c := Default()
	require.Equal(t, Quotas{
		ECSInstancesPerRegion: DefaultECSInstancesPerRegion,
		ECSVCPUsPerRegion:     DefaultECSVCPUsPerRegion,
		ENSInstances:          DefaultENSInstances,
		WorkersPerCluster:     1000,
	}, c.Quotas())
	require.Equal(t, "1.34.4", c.DefaultKubernetesVersion())
	require.Contains(t, c.KubernetesVersions(), "1.34.4")
	require.GreaterOrEqual(t, len(c.KubernetesVersions()), 3)
	for _, name := range []string{"containerd", "docker", "Sandboxed-Container.runv"} {
		rt, ok := c.Runtime(name)
		require.True(t, ok, name)
		require.Contains(t, rt.Versions, rt.DefaultVersion)
	}
	require.Len(t, c.Runtimes(), 3)

	// Left-out quotas take the defaults.
	q, err := New(minimalDoc())
	require.NoError(t, err)
	require.Equal(t, c.Quotas(), q.Quotas())
}

func TestDiskCategories(t *testing.T) {
	t.Parallel()

	c := Default()
	for _, name := range []string{"cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd"} {
		d, ok := c.DiskCategory(name)
		require.True(t, ok, name)
		require.True(t, d.System.Contains(20), name)
		require.True(t, d.Data.Contains(200), name)
		require.False(t, d.System.Contains(10), name)
	}
	require.Len(t, c.DiskCategories(), 4)
	require.False(t, SizeRange{}.Contains(0))
}

// TestRoundTrip marshals the default catalog and loads it back.
func TestRoundTrip(t *testing.T) {
	t.Parallel()

	for _, indent := range []bool{false, true} {
		var b []byte
		var err error
		if indent {
			b, err = json.MarshalIndent(Default(), "", "  ")
		} else {
			b, err = json.Marshal(Default())
		}
		require.NoError(t, err)
		c, err := Load(bytes.NewReader(b))
		require.NoError(t, err)
		require.Equal(t, Default(), c)
	}

	c, err := New(Default().Document())
	require.NoError(t, err)
	require.Equal(t, Default(), c)
}

// TestReadOnly checks that what the methods return is a copy.
func TestReadOnly(t *testing.T) {
	t.Parallel()

	c, err := New(minimalDoc())
	require.NoError(t, err)

	reg, _ := c.Region("cn-test")
	reg.Zones[0] = "changed"
	reg.VPCs[0].VSwitches[0].CIDR = "changed"
	c.Zones("cn-test")[0] = "changed"
	c.DefaultVSwitches("cn-test")[0].ID = "changed"
	vpc, _ := c.DefaultVPC("cn-test")
	vpc.VSwitches[0].ID = "changed"
	img, _ := c.Image("img")
	img.Kinds[0] = "changed"
	c.KubernetesVersions()[0] = "changed"
	rt, _ := c.Runtime("containerd")
	rt.Versions[0] = "changed"
	doc := c.Document()
	doc.Regions[0].KeyPairs[0] = "changed"
	doc.Images[0].Kinds[0] = "changed"

	fresh, err := New(minimalDoc())
	require.NoError(t, err)
	require.Equal(t, fresh, c)

	// Nor does changing the document given to New change the catalog.
	in := minimalDoc()
	c2, err := New(in)
	require.NoError(t, err)
	in.Regions[0].Zones[0] = "changed"
	require.Equal(t, fresh, c2)
}

func TestConcurrentReads(t *testing.T) {
	t.Parallel()

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c := Default()
			for range 200 {
				_, _ = c.Region("cn-hangzhou")
				_ = c.DefaultVSwitches("cn-beijing")
				_, _ = c.VSwitch("vsw-2zes3rfz7bmk0nxxxxxxx")
				_, _ = c.InstanceType("ens.sn1.tiny")
				_, _ = c.Stock("cn-shanghai-l", "ecs.ebmgn6i.24xlarge")
				_ = c.KeyPair("cn-beijing", "secrity-key")
			}
		})
	}
	wg.Wait()
}

func TestLoadFile(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, DefaultJSON(), 0o600))
	c, err := LoadFile(good)
	require.NoError(t, err)
	require.Equal(t, Default(), c)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format": 2}`), 0o600))
	_, err = LoadFile(bad)
	require.ErrorContains(t, err, bad+": catalog: ")
	require.ErrorContains(t, err, "format: must be 1, got 2")

	_, err = LoadFile(filepath.Join(dir, "missing.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestDocs keeps docs/cloud.md honest: its example file loads, and it
// lists every region, zone, vSwitch, ENS region, instance type and image of
// the default catalog.
func TestDocs(t *testing.T) {
	t.Parallel()

	b, err := os.ReadFile(filepath.Join("..", "docs", "cloud.md"))
	require.NoError(t, err)
	doc := string(b)

	_, example, ok := strings.Cut(doc, "### A small example")
	require.True(t, ok)
	_, example, ok = strings.Cut(example, "```json\n")
	require.True(t, ok)
	example, _, ok = strings.Cut(example, "```")
	require.True(t, ok)
	_, err = Load(strings.NewReader(example))
	require.NoError(t, err)

	c := Default()
	var names []string
	for _, reg := range c.Regions() {
		names = append(names, reg.ID)
		for _, vpc := range reg.VPCs {
			names = append(names, vpc.ID, vpc.CIDR)
			for _, vsw := range vpc.VSwitches {
				names = append(names, vsw.ID, vsw.CIDR)
			}
		}
	}
	for _, ens := range c.ENSRegions() {
		names = append(names, ens.ID, ens.CIDR)
	}
	for _, it := range c.InstanceTypes() {
		names = append(names, "`"+it.Name+"`")
	}
	for _, img := range c.Images() {
		names = append(names, "`"+img.ID+"`")
	}
	for _, name := range names {
		require.Contains(t, doc, name)
	}
}
