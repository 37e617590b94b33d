package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// minimalDoc returns a small valid document; each test changes one thing.
func minimalDoc() Document {
	return Document{
		Format: FormatVersion,
		Regions: []Region{{
			ID:    "cn-test",
			Zones: []string{"cn-test-a", "cn-test-b"},
			VPCs: []VPC{{
				ID: "vpc-t", CIDR: "10.0.0.0/16", Default: true,
				VSwitches: []VSwitch{
					{ID: "vsw-a", ZoneID: "cn-test-a", CIDR: "10.0.0.0/24"},
					{ID: "vsw-b", ZoneID: "cn-test-b", CIDR: "10.0.1.0/24"},
				},
			}},
			KeyPairs: []string{"secrity-key"},
		}},
		ENSRegions: []ENSRegion{{ID: "cn-test-telecom", CIDR: "10.1.0.0/24"}},
		InstanceTypes: []InstanceType{
			{Name: "ecs.g6.large", Family: "ecs.g6", Kind: KindECS, Arch: ArchX86, VCPU: 2, MemoryGiB: 8, BootSeconds: 30},
			{Name: "ens.sn1.tiny", Family: "ens.sn1", Kind: KindENS, Arch: ArchX86, VCPU: 1, MemoryGiB: 2, BootSeconds: 150},
		},
		Images: []Image{{
			ID: "img", OSName: "Alibaba Cloud Linux 3", OSType: OSLinux, Platform: "Aliyun", Arch: ArchX86,
			SizeGiB: 20, Kinds: []string{KindECS, KindENS}, Default: true,
		}},
		DiskCategories: []DiskCategory{{Name: "cloud_essd", System: SizeRange{20, 500}}},
		Kubernetes: Kubernetes{
			Versions: []string{"1.34.4"}, DefaultVersion: "1.34.4",
			Runtimes: []Runtime{{Name: "containerd", Versions: []string{"1.6.38"}, DefaultVersion: "1.6.38"}},
		},
	}
}

func TestMinimalDocLoads(t *testing.T) {
	t.Parallel()

	b, err := json.Marshal(minimalDoc())
	require.NoError(t, err)
	c, err := Load(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, []string{"cn-test-a", "cn-test-b"}, c.Zones("cn-test"))
}

// TestLoadValidation has one row per rule of validate: each breaks one
// thing in a valid document and expects an error that names its path.
func TestLoadValidation(t *testing.T) {
	t.Parallel()

	vsw := func(d *Document, i int) *VSwitch { return &d.Regions[0].VPCs[0].VSwitches[i] }
	secondVPC := VPC{ID: "vpc-u", CIDR: "10.2.0.0/16", VSwitches: []VSwitch{{ID: "vsw-u", ZoneID: "cn-test-a", CIDR: "10.2.0.0/24"}}}
	tests := []struct {
		name   string
		change func(d *Document)
		want   string
	}{
		{"format", func(d *Document) { d.Format = 2 }, `format: must be 1, got 2`},
		{"no regions", func(d *Document) { d.Regions = nil }, `regions: at least one region is required`},
		{"region id shape", func(d *Document) { d.Regions[0].ID = "CN Test" }, `regions[0].id: "CN Test" must be lower-case letters, digits, "-" and "_" (like cn-hangzhou)`},
		{"region id twice", func(d *Document) { d.Regions = append(d.Regions, d.Regions[0]) }, `regions[1].id: "cn-test" is already used by regions[0]`},
		{"no zones", func(d *Document) { d.Regions[0].Zones = nil }, `regions[0].zones: at least one zone is required`},
		{"zone outside region", func(d *Document) { d.Regions[0].Zones[1] = "cn-other-b" }, `regions[0].zones[1]: "cn-other-b" does not start with the region id "cn-test" and "-"`},
		{"zone twice", func(d *Document) { d.Regions[0].Zones[1] = "cn-test-a" }, `regions[0].zones[1]: "cn-test-a" is already used by regions[0].zones[0]`},
		{"ENS id is a zone", func(d *Document) { d.ENSRegions[0].ID = "cn-test-a" }, `ens_regions[0].id: "cn-test-a" is already used by regions[0].zones[0]`},
		{"ENS id shape", func(d *Document) { d.ENSRegions[0].ID = "" }, `ens_regions[0].id: "" must be lower-case letters, digits, "-" and "_" (like cn-hangzhou)`},
		{"ENS CIDR", func(d *Document) { d.ENSRegions[0].CIDR = "10.1.0.0" }, `ens_regions[0].cidr: "10.1.0.0" is not a CIDR`},
		{"ENS key pair twice", func(d *Document) { d.ENSRegions[0].KeyPairs = []string{"k", "k"} }, `ens_regions[0].key_pairs[1]: "k" is already used by ens_regions[0].key_pairs[0]`},
		{"no VPCs", func(d *Document) { d.Regions[0].VPCs = nil }, `regions[0].vpcs: at least one VPC is required`},
		{"no default VPC", func(d *Document) { d.Regions[0].VPCs[0].Default = false }, `regions[0].vpcs: no VPC is marked default; exactly one must be`},
		{"two default VPCs", func(d *Document) {
			v := secondVPC
			v.Default = true
			d.Regions[0].VPCs = append(d.Regions[0].VPCs, v)
		}, `regions[0].vpcs[1].default: regions[0].vpcs[0] is already the default VPC`},
		{"VPC id twice", func(d *Document) {
			v := secondVPC
			v.ID = "vpc-t"
			d.Regions[0].VPCs = append(d.Regions[0].VPCs, v)
		}, `regions[0].vpcs[1].id: "vpc-t" is already used by regions[0].vpcs[0]`},
		{"VPC id empty", func(d *Document) { d.Regions[0].VPCs[0].ID = "" }, `regions[0].vpcs[0].id: is required`},
		{"VPC id with a space", func(d *Document) { d.Regions[0].VPCs[0].ID = "vpc t" }, `regions[0].vpcs[0].id: "vpc t" must not contain spaces or control characters`},
		{"VPC id too long", func(d *Document) { d.Regions[0].VPCs[0].ID = strings.Repeat("v", 129) }, `regions[0].vpcs[0].id: is longer than 128 characters`},
		{"VPC CIDR", func(d *Document) { d.Regions[0].VPCs[0].CIDR = "10.0.0.0/33" }, `regions[0].vpcs[0].cidr: "10.0.0.0/33" is not a CIDR`},
		{"VPC CIDR too small", func(d *Document) { d.Regions[0].VPCs[0].CIDR = "10.0.0.0/29" }, `regions[0].vpcs[0].cidr: "10.0.0.0/29": the prefix length must be between /8 and /28`},
		{"VPC without vSwitches", func(d *Document) {
			v := secondVPC
			v.VSwitches = nil
			d.Regions[0].VPCs = append(d.Regions[0].VPCs, v)
		}, `regions[0].vpcs[1].vswitches: at least one vSwitch is required`},
		{"vSwitch CIDR", func(d *Document) { vsw(d, 1).CIDR = "10.0.0.0/33" }, `regions[0].vpcs[0].vswitches[1].cidr: "10.0.0.0/33" is not a CIDR`},
		{"vSwitch CIDR IPv6", func(d *Document) { vsw(d, 1).CIDR = "fd00::/64" }, `regions[0].vpcs[0].vswitches[1].cidr: "fd00::/64" is not an IPv4 CIDR`},
		{"vSwitch CIDR host bits", func(d *Document) { vsw(d, 1).CIDR = "10.0.1.5/24" }, `regions[0].vpcs[0].vswitches[1].cidr: "10.0.1.5/24" is not a network address (did you mean 10.0.1.0/24?)`},
		{"vSwitch CIDR too small", func(d *Document) { vsw(d, 1).CIDR = "10.0.1.0/30" }, `regions[0].vpcs[0].vswitches[1].cidr: "10.0.1.0/30": the prefix length must be between /8 and /29`},
		{"vSwitch outside VPC", func(d *Document) { vsw(d, 1).CIDR = "10.9.0.0/24" }, `regions[0].vpcs[0].vswitches[1].cidr: 10.9.0.0/24 is not inside the VPC's 10.0.0.0/16`},
		{"vSwitch larger than VPC", func(d *Document) { vsw(d, 1).CIDR = "10.0.0.0/8" }, `regions[0].vpcs[0].vswitches[1].cidr: 10.0.0.0/8 is not inside the VPC's 10.0.0.0/16`},
		{"vSwitches overlap", func(d *Document) { vsw(d, 1).CIDR = "10.0.0.128/25" }, `regions[0].vpcs[0].vswitches[1].cidr: 10.0.0.128/25 overlaps vswitches[0] (10.0.0.0/24)`},
		{"vSwitches overlap, later one first", func(d *Document) {
			vsw(d, 0).CIDR = "10.0.1.0/25"
		}, `regions[0].vpcs[0].vswitches[1].cidr: 10.0.1.0/24 overlaps vswitches[0] (10.0.1.0/25)`},
		{"vSwitch zone", func(d *Document) { vsw(d, 1).ZoneID = "cn-test-z" }, `regions[0].vpcs[0].vswitches[1].zone_id: "cn-test-z" is not a zone of cn-test`},
		{"vSwitch id twice", func(d *Document) { vsw(d, 1).ID = "vsw-a" }, `regions[0].vpcs[0].vswitches[1].id: "vsw-a" is already used by regions[0].vpcs[0].vswitches[0]`},
		{"default vSwitch outside default VPC", func(d *Document) {
			v := secondVPC
			v.VSwitches = []VSwitch{{ID: "vsw-u", ZoneID: "cn-test-a", CIDR: "10.2.0.0/24", Default: true}}
			d.Regions[0].VPCs = append(d.Regions[0].VPCs, v)
		}, `regions[0].vpcs[1].vswitches[0].default: only vSwitches of the region's default VPC can be default`},
		{"two default vSwitches in a zone", func(d *Document) {
			vsw(d, 0).Default = true
			vsw(d, 1).Default = true
			vsw(d, 1).ZoneID = "cn-test-a"
		}, `regions[0].vpcs[0].vswitches[1].default: regions[0].vpcs[0].vswitches[0] is already the default vSwitch of cn-test-a`},
		{"key pair twice", func(d *Document) { d.Regions[0].KeyPairs = []string{"a", "a"} }, `regions[0].key_pairs[1]: "a" is already used by regions[0].key_pairs[0]`},
		{"key pair control character", func(d *Document) { d.Regions[0].KeyPairs = []string{"a\x00"} }, `regions[0].key_pairs[0]: "a\x00" must not contain spaces or control characters`},
		{"no instance types", func(d *Document) { d.InstanceTypes = nil }, `instance_types: at least one instance type is required`},
		{"instance type twice", func(d *Document) { d.InstanceTypes[1] = d.InstanceTypes[0] }, `instance_types[1].name: "ecs.g6.large" is already used by instance_types[0]`},
		{"family missing", func(d *Document) { d.InstanceTypes[0].Family = "" }, `instance_types[0].family: is required`},
		{"family mismatch", func(d *Document) { d.InstanceTypes[0].Family = "ecs.g7" }, `instance_types[0].family: "ecs.g7" is not the start of the name "ecs.g6.large" (up to a "." or "-")`},
		{"kind", func(d *Document) { d.InstanceTypes[0].Kind = "ECS" }, `instance_types[0].kind: "ECS" is not one of ecs, ebm, ens`},
		{"kind of an ens type", func(d *Document) { d.InstanceTypes[1].Kind = KindECS }, `instance_types[1].kind: an instance type of kind "ecs" is named ecs.…, not "ens.sn1.tiny"`},
		{"arch", func(d *Document) { d.InstanceTypes[0].Arch = "amd64" }, `instance_types[0].arch: "amd64" is not one of x86_64, arm64`},
		{"vcpu", func(d *Document) { d.InstanceTypes[0].VCPU = 0 }, `instance_types[0].vcpu: must be greater than 0, got 0`},
		{"memory", func(d *Document) { d.InstanceTypes[0].MemoryGiB = -1 }, `instance_types[0].memory_gib: must be a number greater than 0, got -1`},
		{"gpu", func(d *Document) { d.InstanceTypes[0].GPU = -1 }, `instance_types[0].gpu: must not be negative, got -1`},
		{"gpu model without gpu", func(d *Document) { d.InstanceTypes[0].GPUModel = "NVIDIA T4" }, `instance_types[0].gpu_model: is set but gpu is 0`},
		{"boot seconds", func(d *Document) { d.InstanceTypes[0].BootSeconds = 0 }, `instance_types[0].boot_seconds: must be between 1 and 86400, got 0`},
		{"no images", func(d *Document) { d.Images = nil }, `images: at least one image is required`},
		{"image twice", func(d *Document) { d.Images = append(d.Images, d.Images[0]) }, `images[1].id: "img" is already used by images[0]`},
		{"image os name", func(d *Document) { d.Images[0].OSName = " " }, `images[0].os_name: is required`},
		{"image os type", func(d *Document) { d.Images[0].OSType = "Linux" }, `images[0].os_type: "Linux" is not one of linux, windows`},
		{"image platform", func(d *Document) { d.Images[0].Platform = "" }, `images[0].platform: is required`},
		{"image arch", func(d *Document) { d.Images[0].Arch = "" }, `images[0].arch: "" is not one of x86_64, arm64`},
		{"image size", func(d *Document) { d.Images[0].SizeGiB = 0 }, `images[0].size_gib: must be greater than 0, got 0`},
		{"image kinds", func(d *Document) { d.Images[0].Kinds = nil }, `images[0].kinds: at least one of ecs, ebm, ens is required`},
		{"image kind", func(d *Document) { d.Images[0].Kinds = []string{"vm"} }, `images[0].kinds[0]: "vm" is not one of ecs, ebm, ens`},
		{"image kind twice", func(d *Document) { d.Images[0].Kinds = []string{"ens", "ens"} }, `images[0].kinds[1]: "ens" is listed twice`},
		{"two default images", func(d *Document) {
			img := d.Images[0]
			img.ID = "img2"
			d.Images = append(d.Images, img)
		}, `images[1].default: images[0] is already the default Aliyun x86_64 image`},
		{"no disk categories", func(d *Document) { d.DiskCategories = nil }, `disk_categories: at least one disk category is required`},
		{"disk category twice", func(d *Document) {
			d.DiskCategories = append(d.DiskCategories, d.DiskCategories[0])
		}, `disk_categories[1].name: "cloud_essd" is already used by disk_categories[0]`},
		{"disk category unusable", func(d *Document) { d.DiskCategories[0].System = SizeRange{} }, `disk_categories[0]: neither system nor data is set, so the category cannot be used`},
		{"disk min", func(d *Document) { d.DiskCategories[0].Data = SizeRange{0, 100} }, `disk_categories[0].data.min_gib: must be greater than 0, got 0`},
		{"disk max", func(d *Document) { d.DiskCategories[0].System = SizeRange{20, 10} }, `disk_categories[0].system.max_gib: must be at least min_gib (20), got 10`},
		{"stock zone", func(d *Document) { d.Stock = []StockLimit{{ZoneID: "cn-test", Count: 1}} }, `stock[0].zone_id: "cn-test" is neither a zone nor an ENS region of the catalog`},
		{"stock type", func(d *Document) {
			d.Stock = []StockLimit{{ZoneID: "cn-test-a", InstanceType: "ecs.g9.large"}}
		}, `stock[0].instance_type: "ecs.g9.large" is not an instance type of the catalog`},
		{"stock count", func(d *Document) { d.Stock = []StockLimit{{ZoneID: "cn-test-telecom", Count: -1}} }, `stock[0].count: must not be negative, got -1`},
		{"stock twice", func(d *Document) {
			d.Stock = []StockLimit{{ZoneID: "cn-test-a", Count: 1}, {ZoneID: "cn-test-a", Count: 2}}
		}, `stock[1]: stock[0] already limits this zone and instance type`},
		{"quota", func(d *Document) { d.Quotas.WorkersPerCluster = -5 }, `quotas.workers_per_cluster: must not be negative, got -5 (leave it out for the default)`},
		{"no Kubernetes versions", func(d *Document) { d.Kubernetes.Versions = nil }, `kubernetes.versions: at least one version is required`},
		{"Kubernetes version shape", func(d *Document) { d.Kubernetes.Versions = []string{"v1.34.4"} }, `kubernetes.versions[0]: "v1.34.4" is not a version like 1.34.4`},
		{"Kubernetes version twice", func(d *Document) {
			d.Kubernetes.Versions = []string{"1.34.4", "1.34.4"}
		}, `kubernetes.versions[1]: "1.34.4" is listed twice`},
		{"default Kubernetes version", func(d *Document) { d.Kubernetes.DefaultVersion = "1.35.0" }, `kubernetes.default_version: "1.35.0" is not one of kubernetes.versions`},
		{"no runtimes", func(d *Document) { d.Kubernetes.Runtimes = nil }, `kubernetes.runtimes: at least one container runtime is required`},
		{"runtime twice", func(d *Document) {
			d.Kubernetes.Runtimes = append(d.Kubernetes.Runtimes, d.Kubernetes.Runtimes[0])
		}, `kubernetes.runtimes[1].name: "containerd" is already used by kubernetes.runtimes[0]`},
		{"runtime version", func(d *Document) {
			d.Kubernetes.Runtimes[0].Versions = []string{"latest"}
		}, `kubernetes.runtimes[0].versions[0]: "latest" is not a version like 1.34.4`},
		{"runtime default version", func(d *Document) {
			d.Kubernetes.Runtimes[0].DefaultVersion = ""
		}, `kubernetes.runtimes[0].default_version: "" is not one of kubernetes.runtimes[0].versions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := minimalDoc()
			tt.change(&doc)
			b, err := json.Marshal(doc)
			require.NoError(t, err)

			_, err = Load(bytes.NewReader(b))
			var verr *ValidationError
			require.True(t, errors.As(err, &verr), "%v", err)
			require.Equal(t, tt.want, verr.Problems[0].String())
			require.ErrorContains(t, err, tt.want)

			_, err2 := New(doc)
			require.Equal(t, err, err2, "New checks as Load does")
		})
	}
}

func TestValidationErrorListsAll(t *testing.T) {
	t.Parallel()

	doc := minimalDoc()
	doc.Format = 0
	doc.Regions[0].VPCs[0].VSwitches[1].CIDR = "bad"
	doc.Images[0].SizeGiB = -1
	_, err := New(doc)
	require.EqualError(t, err, `catalog: 3 problems: format: must be 1, got 0; `+
		`regions[0].vpcs[0].vswitches[1].cidr: "bad" is not a CIDR; images[0].size_gib: must be greater than 0, got -1`)

	doc = minimalDoc()
	for range 12 {
		doc.Regions[0].KeyPairs = append(doc.Regions[0].KeyPairs, "secrity-key")
	}
	_, err = New(doc)
	require.ErrorContains(t, err, "catalog: 12 problems: ")
	require.ErrorContains(t, err, "; and 2 more")
}

func TestLoadDecodeErrors(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "catalog: empty input, expected a JSON object"},
		{"unknown field", "{\n  \"format\": 1,\n  \"bogus\": true\n}", `catalog: line 3, column 3: unknown field "bogus"`},
		{"unknown nested field", "{\"regions\": [\n  {\"id\": \"cn-x\"},\n  {\"id\": \"cn-y\", \"vpc_id\": \"v\"}]}", `catalog: line 3, column 18: regions[1]: unknown field "vpc_id"`},
		{"wrong type", "{\n\"format\": \"1\"}", `catalog: line 2, column 11: format: expected an integer, got a string`},
		{"fraction for an integer", `{"images": [{"size_gib": 20.5}]}`, `catalog: line 1, column 26: images[0].size_gib: expected an integer, got the number 20.5`},
		{"object for a list", `{"regions": [{"zones": {}}]}`, `catalog: line 1, column 24: regions[0].zones: expected an array, got an object`},
		{"syntax", "{\n\n  \"format\": 1,,\n}", "catalog: line 3, column 15: invalid character ',' looking for beginning of object key string"},
		{"truncated", `{"format": 1`, "catalog: line 1, column 13: unexpected end of input"},
		{"trailing data", `{"format": 1} {}`, "catalog: line 1, column 15: unexpected data after the catalog object"},
		{"not an object", ` []`, "catalog: line 1, column 2: expected an object, got an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(strings.NewReader(tt.in))
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestLoadTooLarge(t *testing.T) {
	t.Parallel()

	_, err := Load(bytes.NewReader(make([]byte, MaxFileSize+1)))
	require.ErrorContains(t, err, "catalog: larger than")
}
