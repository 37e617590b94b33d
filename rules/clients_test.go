package rules

// The bodies of the pinned clients (R36) and the edge cluster's choice of
// rules by is_edge_worker (R37).

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/internal/memstore"
)

// The bodies Terraform's provider 1.289.0 sends through aliyungo (2022,
// e3c8bf5ad947) for alicloud_cs_edge_kubernetes: testdata/clients holds
// ../shared/spec/fixtures/tf-edge-create.json and
// aliyungo2022-scale-out.json byte for byte (clients.md). Their ids were
// captured against ackscale's default catalog and are kept: region
// cn-hangzhou, VPC vpc-bp1ackscaledefault001, vSwitch
// vsw-bp1ackscaledefaultg01 and key pair secrity-key all exist in
// catalog/default.json, so no id is changed. fakeCloud also knows the
// vSwitch, in cn-beijing's vpc-std, where edgeCloudTarget lives.
const (
	tfEdgeCreateFile      = "testdata/clients/tf-edge-create.json"
	aliyungoScaleOutFile  = "testdata/clients/aliyungo2022-scale-out.json"
	sharedFixtures        = "../../shared/spec/fixtures"
	fixtureVSwitch        = "vsw-bp1ackscaledefaultg01"
	fixtureVPC            = "vpc-bp1ackscaledefault001"
	fixtureRegion         = "cn-hangzhou"
	fixtureKeyPair        = "secrity-key"
	fixtureInstanceType   = "ecs.g6.large"
	fixtureWorkerDiskSize = 40
)

func readFixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestFixturesAreTheSharedOnes: the copies are the shared fixtures, byte
// for byte, where the shared spec is checked out beside the repository.
func TestFixturesAreTheSharedOnes(t *testing.T) {
	t.Parallel()
	for _, name := range []string{tfEdgeCreateFile, aliyungoScaleOutFile} {
		shared, err := os.ReadFile(filepath.Join(sharedFixtures, filepath.Base(name)))
		if os.IsNotExist(err) {
			t.Skipf("%s is not checked out beside the repository", sharedFixtures)
		}
		require.NoError(t, err)
		require.Equal(t, string(shared), readFixture(t, name), "%s is the shared fixture verbatim", name)
	}
}

// catalogCloud is the cloud of catalog/default.json, as ackscale serves it.
func catalogCloud(t *testing.T) Cloud {
	t.Helper()
	c, err := cloud.New(cloud.Config{Store: memstore.New(), Catalog: catalog.Default()})
	require.NoError(t, err)
	return c
}

// fixtureEdgeCluster is the edge cluster tf-edge-create.json makes, as the
// store has it when the scale-out arrives.
func fixtureEdgeCluster(spec ackscale.ClusterSpec) Target {
	return Target{Profile: ackscale.ProfileEdge, RegionID: spec.RegionID, VPCID: spec.VPCID, VSwitchIDs: spec.VSwitchIDs,
		Workers: spec.NumOfNodes, Defaults: spec}
}

// TestFixtureEdgeCreateVerbatim: Terraform's edge cluster body, with every
// aliyungo field and its zero values, is accepted as sent, on the default
// catalog (R36).
func TestFixtureEdgeCreateVerbatim(t *testing.T) {
	t.Parallel()
	c := catalogCloud(t)
	spec, err := CreateCluster([]byte(readFixture(t, tfEdgeCreateFile)), c)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterSpec{
		Name: "tf-edge-peel", RegionID: fixtureRegion, ClusterType: ackscale.ClusterTypeManaged, ClusterSpec: "ack.standard",
		Profile: "Edge", KubernetesVersion: c.DefaultKubernetesVersion(), VPCID: fixtureVPC, VSwitchIDs: []string{fixtureVSwitch},
		ContainerCIDR: "172.20.0.0/16", ServiceCIDR: "172.21.0.0/20",
		// runtime {"name":"","version":"","exist":false} is no runtime, and
		// timeout_mins 0 is absent: their defaults apply.
		Runtime: ackscale.Runtime{Name: "containerd"}, KeyPair: fixtureKeyPair, TimeoutMins: 60,
		WorkerInstanceTypes: []string{fixtureInstanceType}, WorkerSystemDiskCategory: "cloud_efficiency",
		WorkerSystemDiskSizeGiB: fixtureWorkerDiskSize, NumOfNodes: 1,
	}, spec)
	require.Equal(t, ackscale.ProfileEdge, ackscale.ProfileOf(spec.ClusterType, spec.Profile, spec.Runtime.Name))
}

// TestFixtureAliyungoScaleOutVerbatim: aliyungo's ScaleOutKubernetesCluster
// body, on the edge cluster the create fixture makes, adds one ECS cloud
// worker (R36, R37); seed 002's rules take it on standard and dedicated
// clusters too.
func TestFixtureAliyungoScaleOutVerbatim(t *testing.T) {
	t.Parallel()
	c := catalogCloud(t)
	spec, err := CreateCluster([]byte(readFixture(t, tfEdgeCreateFile)), c)
	require.NoError(t, err)
	body := []byte(readFixture(t, aliyungoScaleOutFile))
	want := ackscale.ScaleOut{
		Count: 1, InstanceTypes: []string{fixtureInstanceType}, VSwitchIDs: []string{fixtureVSwitch}, KeyPair: fixtureKeyPair,
		SystemDiskCategory: "cloud_efficiency", SystemDiskSizeGiB: fixtureWorkerDiskSize, ChargeType: "PostPaid", CPUPolicy: "none",
		DisableRollback: true, TimeoutMins: 60,
	}
	so, err := ScaleOut(fixtureEdgeCluster(spec), body, c)
	require.NoError(t, err)
	require.Equal(t, want, so, "ECS cloud workers, not ENS: EdgeWorker false, no ENS region")

	for _, p := range []ackscale.Profile{ackscale.ProfileStandard, ackscale.ProfileLegacy} {
		tgt := fixtureEdgeCluster(spec)
		tgt.Profile = p
		so, err := ScaleOut(tgt, body, c)
		require.NoError(t, err, p)
		require.Equal(t, want, so, p)
	}
}

// edgeCloudTarget is an edge cluster in cn-beijing's vpc-std, created with
// ECS worker settings, and one worker.
func edgeCloudTarget() Target {
	return Target{
		Profile: ackscale.ProfileEdge, RegionID: "cn-beijing", VPCID: "vpc-std",
		VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"}, Workers: 1,
		Defaults: ackscale.ClusterSpec{Profile: "Edge", WorkerInstanceTypes: []string{"ecs.g6.large"}, WorkerSystemDiskCategory: "cloud_efficiency",
			WorkerSystemDiskSizeGiB: 40},
	}
}

// TestScaleOutEdgeCloud: rows on the cloud workers' table of an edge
// cluster, from the aliyungo fixture verbatim (R37).
func TestScaleOutEdgeCloud(t *testing.T) {
	t.Parallel()
	suite{base: readFixture(t, aliyungoScaleOutFile), target: edgeCloudTarget, op: scaleOutOp, rows: edgeCloudRows()}.run(t)
}

func edgeCloudRows() []row {
	type kv = map[string]any
	return []row{
		{name: "aliyungo 2022 scale-out verbatim: one ECS cloud worker (R36, R37)", want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
			require.Equal(t, ackscale.ScaleOut{
				Count: 1, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-bp1ackscaledefaultg01"}, KeyPair: "secrity-key",
				SystemDiskCategory: "cloud_efficiency", SystemDiskSizeGiB: 40, ChargeType: "PostPaid", CPUPolicy: "none",
				DisableRollback: true, TimeoutMins: 60,
			}, so)
		})},
		{name: "is_edge_worker false: cloud workers (seed 002, R37)", set: kv{"is_edge_worker": false},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.False(t, so.EdgeWorker) })},
		{name: "is_edge_worker null: cloud workers (R3, R37)", set: kv{"is_edge_worker": nil},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.False(t, so.EdgeWorker) })},
		{name: "minimal cloud-worker body takes the cluster's vSwitches and worker settings (seed 002, R5, R37)",
			base: `{"count":2,"key_pair":"secrity-key"}`, want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, []string{"ecs.g6.large"}, so.InstanceTypes)
				require.Nil(t, so.VSwitchIDs, "ops places them in the cluster's vSwitches")
				require.Equal(t, "cloud_efficiency", so.SystemDiskCategory)
				require.Equal(t, 40, so.SystemDiskSizeGiB)
				require.Empty(t, so.ENSRegionID)
				require.False(t, so.EdgeWorker)
			})},
		{name: "vswitch_ids instead of aliyungo's worker_vswitch_ids (seed 002, R36)", del: []string{"worker_vswitch_ids"},
			set:  kv{"vswitch_ids": []string{"vsw-std-b"}},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, []string{"vsw-std-b"}, so.VSwitchIDs) })},
		{name: "worker_vswitch_ids is a real field: another vSwitch accepted (R36)", set: kv{"worker_vswitch_ids": []string{"vsw-std-b", "vsw-2ze4jvvvade1yk899****"}},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, []string{"vsw-std-b", "vsw-2ze4jvvvade1yk899****"}, so.VSwitchIDs)
			})},
		{name: "PrePaid cloud workers take seed 002's billing (seed 002, R37)",
			set: kv{"worker_instance_charge_type": "PrePaid", "worker_period": 3, "worker_period_unit": "Month"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, "PrePaid", so.ChargeType)
				require.Equal(t, 3, so.Period)
			})},

		{name: "worker_vswitch_ids and vswitch_ids together (R36)", set: kv{"vswitch_ids": []string{"vsw-std-b"}},
			code: ackscale.CodeConflict, field: "worker_vswitch_ids"},
		{name: "worker_vswitch_ids outside the cluster's VPC (ruling 16, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-other-vpc"}},
			code: ackscale.CodeInvalidParameter, field: "worker_vswitch_ids[0]"},
		{name: "worker_vswitch_ids that does not exist (ruling 16, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-nope"}},
			code: ackscale.CodeVSwitchNotFound, field: "worker_vswitch_ids[0]"},
		{name: "worker_vswitch_ids listed twice (R21, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-std-b", "vsw-std-b"}},
			code: ackscale.CodeInvalidParameter, field: "worker_vswitch_ids[1]"},
		{name: "an ENS instance type for cloud workers (ruling 16, R19, R37)", set: kv{"worker_instance_types": []string{"ens.sn1.tiny"}},
			code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "ens_region_id belongs to ENS workers (ruling 14, R37)", set: kv{"ens_region_id": "cn-beijing-telecom"},
			code: ackscale.CodeUnknownField, field: "ens_region_id"},
		{name: "worker_system_disk_performance_level with a value is refused by name (ruling 14, R36)",
			set: kv{"worker_system_disk_performance_level": "PL1"}, code: ackscale.CodeUnknownField, field: "worker_system_disk_performance_level"},
		{name: "worker_system_disk_snapshot_policy_id with a value is refused by name (ruling 14, R36)",
			set: kv{"worker_system_disk_snapshot_policy_id": "sp-1"}, code: ackscale.CodeUnknownField, field: "worker_system_disk_snapshot_policy_id"},
		{name: "runtime.exist true is refused by name (ruling 14, R36)", set: kv{"runtime": kv{"name": "containerd", "exist": true}},
			code: ackscale.CodeUnknownField, field: "runtime.exist"},
		{name: "runtime.exist false beside a name is ignored (ruling 14, R36)", set: kv{"runtime": kv{"name": "containerd", "version": "", "exist": false}},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, &ackscale.Runtime{Name: "containerd"}, so.Runtime)
			})},
		{name: "a runtime with a version and an empty name (R15, R36)", set: kv{"runtime": kv{"name": "", "version": "1.6.38", "exist": false}},
			code: ackscale.CodeMissingParameter, field: "runtime.name"},
		{name: "an empty member no model has is still unknown (ruling 14, R36)", set: kv{"runtime": kv{"name": "", "flavour": ""}},
			code: ackscale.CodeUnknownField, field: "runtime.flavour"},
		{name: "count 0 is still out of range (ruling 9, R36)", set: kv{"count": 0}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "worker_data_disk false with disks still contradicts (R8, R36)", set: kv{"worker_data_disks": []any{kv{"size": "40"}}},
			code: ackscale.CodeConflict, field: "worker_data_disk"},
		{name: "cloud workers count against the quota (ruling 9, R37)", target: func(t *Target) { t.MaxWorkers = ptr(1) },
			code: ackscale.CodeQuotaExceeded, field: "count"},
		{name: "key pair of the cluster's region (ruling 4, R37)", set: kv{"key_pair": "edge-key"}, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "no instance types and no cluster default (R5, R37)", del: []string{"worker_instance_types"},
			target: func(t *Target) { t.Defaults.WorkerInstanceTypes = nil }, code: ackscale.CodeMissingParameter, field: "worker_instance_types"},
	}
}

// TestEdgeChoosesByIsEdgeWorker: on an edge cluster, is_edge_worker true
// takes seeds 001/003's rules and adds ENS workers; anything else (absent,
// null, false) seed 002's and ECS workers (R37). The unknown-field message
// says which choice takes a field.
func TestEdgeChoosesByIsEdgeWorker(t *testing.T) {
	t.Parallel()
	ens, err := ScaleOut(edgeCloudTarget(), []byte(seed001), fakeCloud{})
	require.NoError(t, err)
	require.True(t, ens.EdgeWorker)
	require.Equal(t, "cn-beijing-telecom", ens.ENSRegionID)
	require.Nil(t, ens.VSwitchIDs)

	for _, flag := range []string{``, `,"is_edge_worker":false`, `,"is_edge_worker":null`} {
		so, err := ScaleOut(edgeCloudTarget(), []byte(`{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.c5.xlarge"]`+flag+`}`), fakeCloud{})
		require.NoError(t, err, flag)
		require.False(t, so.EdgeWorker, flag)
		require.Empty(t, so.ENSRegionID, flag)
		require.Equal(t, []string{"ecs.c5.xlarge"}, so.InstanceTypes, flag)
	}

	_, err = ScaleOut(edgeCloudTarget(), []byte(strings.Replace(seed001, `"is_edge_worker": true`, `"is_edge_worker": false`, 1)), fakeCloud{})
	requireRefusal(t, err, ackscale.CodeUnknownField, "ens_internet_charge_type", "with is_edge_worker true (see docs/api.md, R37)")
	_, err = ScaleOut(edgeCloudTarget(), []byte(`{"count":1,"key_pair":"secrity-key","is_edge_worker":true,"worker_instance_types":["ecs.c5.xlarge"]}`), fakeCloud{})
	requireRefusal(t, err, ackscale.CodeUnknownField, "worker_instance_types", "ignored only when sent empty; it is a field of the scale-out without is_edge_worker true (see docs/api.md, R36, R37)")
	_, err = ScaleOut(edgeCloudTarget(), []byte(`{"count":1,"is_edge_worker":"false"}`), fakeCloud{})
	requireRefusal(t, err, ackscale.CodeInvalidType, "is_edge_worker", "R37")

	ensTab, ok := Lookup(ackscale.ProfileEdge, OpScaleOut)
	require.True(t, ok)
	require.Equal(t, "", ensTab.Variant, "Lookup returns the ENS table")
	require.True(t, hasField(ensTab.Fields, "ens_region_id"))
	cloudTab, ok := LookupVariant(ackscale.ProfileEdge, OpScaleOut, VariantCloud)
	require.True(t, ok)
	require.True(t, hasField(cloudTab.Fields, "worker_vswitch_ids"))
	require.False(t, hasField(cloudTab.Fields, "ens_region_id"))
	_, ok = LookupVariant(ackscale.ProfileStandard, OpScaleOut, VariantCloud)
	require.False(t, ok)
}

func requireRefusal(t *testing.T, err error, code, field string, says ...string) {
	t.Helper()
	var e *ackscale.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, code, e.Code, e.Message)
	require.Equal(t, field, e.Field, e.Message)
	for _, s := range says {
		require.Contains(t, e.Message, s)
	}
}

// zeroOf is the zero value aliyungo sends for a field of type typ, as the
// fixtures show it: "", 0, false, null for lists and structs' pointers, and
// a struct of zero members for an object.
func zeroOf(typ Type) []any {
	switch typ {
	case String:
		return []any{""}
	case Int, IntOrString:
		return []any{0}
	case Bool:
		return []any{false}
	case Strings, Objects:
		return []any{nil, []any{}}
	case Object:
		return []any{nil, map[string]any{}}
	}
	return []any{nil}
}

// TestEveryClientZeroIsAbsent: on every ScaleOutCluster table and on
// CreateCluster, each field of a client's model (the SDK's and
// aliyungo's) that a minimal valid body leaves out, sent with its zero
// value, changes nothing: the answer is the minimal body's (ruling 14,
// R36). The exceptions are the zero values with a rule of their own. The
// create body is Terraform's, which already sends every aliyungo field.
func TestEveryClientZeroIsAbsent(t *testing.T) {
	t.Parallel()
	type tc struct {
		name    string
		tab     Table
		minimal string
		target  Target
		op      func(Target, []byte, Cloud) (any, error)
		models  []string
		cloud   Cloud
	}
	cloudTab, _ := LookupVariant(ackscale.ProfileEdge, OpScaleOut, VariantCloud)
	std, _ := Lookup(ackscale.ProfileStandard, OpScaleOut)
	legacy, _ := Lookup(ackscale.ProfileLegacy, OpScaleOut)
	ens, _ := Lookup(ackscale.ProfileEdge, OpScaleOut)
	sandbox, _ := Lookup(ackscale.ProfileSandbox, OpScaleOut)
	create, _ := Lookup("", OpCreateCluster)
	cases := []tc{
		{"standard", std, `{"count":1,"key_pair":"secrity-key"}`, standardTarget(), scaleOutOp, scaleOutModels, fakeCloud{}},
		{"legacy", legacy, `{"count":1,"key_pair":"secrity-key"}`, legacyTarget(), scaleOutOp, scaleOutModels, fakeCloud{}},
		{"edge cloud workers", cloudTab, `{"count":1,"key_pair":"secrity-key"}`, edgeCloudTarget(), scaleOutOp, scaleOutModels, fakeCloud{}},
		{"edge ENS workers", ens, seed001, edgeTarget(), scaleOutOp, scaleOutModels, fakeCloud{}},
		{"sandbox", sandbox, seed004, sandboxTarget(), scaleOutOp, scaleOutModels, fakeCloud{}},
		{"create", create, readFixture(t, tfEdgeCreateFile), Target{}, createOp, createModels, catalogCloud(t)},
	}
	// keep are the fields whose zero value has a rule of its own (R36).
	keep := map[string]string{
		"count":            "ruling 9: at least 1",
		"worker_data_disk": "seed 004: a sandbox worker needs its data disk",
		"cluster_type":     "required",
		"name":             "required",
		"region_id":        "required",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base := decodeMap(t, c.minimal)
			want, err := c.op(c.target, []byte(c.minimal), c.cloud)
			require.NoError(t, err, "the minimal body")
			for _, name := range c.models {
				i := slices.IndexFunc(c.tab.Fields, func(f Field) bool { return f.Name == name })
				typ := String
				if i >= 0 {
					typ = c.tab.Fields[i].Type
				} else if name == "runtime" {
					typ = Object
				}
				if why, ok := keep[name]; ok && (name != "worker_data_disk" || c.name == "sandbox") {
					t.Logf("%s: zero value not absent (%s)", name, why)
					continue
				}
				if _, sent := base[name]; sent {
					continue // the minimal body's own value
				}
				for _, zero := range zeroOf(typ) {
					body := map[string]any{name: zero}
					for k, v := range base {
						body[k] = v
					}
					b, err := json.Marshal(body)
					require.NoError(t, err)
					got, err := c.op(c.target, b, c.cloud)
					require.NoError(t, err, "%s: %s", name, b)
					require.Equal(t, want, got, "%s sent as %s changes the answer", name, fmt.Sprint(zero))
				}
			}
		})
	}
}

// TestAliyungoRuntimeZero: aliyungo's unset runtime is no runtime, in
// CreateCluster (the default applies) and in ScaleOutCluster (the
// cluster's), at any depth of emptiness (R36).
func TestAliyungoRuntimeZero(t *testing.T) {
	t.Parallel()
	type kv = map[string]any
	for _, rt := range []any{nil, kv{}, kv{"exist": false}, kv{"name": "", "version": "", "exist": false}, kv{"name": nil, "version": ""}} {
		b, err := json.Marshal(kv{"count": 1, "key_pair": "secrity-key", "runtime": rt})
		require.NoError(t, err)
		so, err := ScaleOut(standardTarget(), b, fakeCloud{})
		require.NoError(t, err, "%s", b)
		require.Nil(t, so.Runtime, "%s", b)

		body := decodeMap(t, createBase)
		body["runtime"] = rt
		b, err = json.Marshal(body)
		require.NoError(t, err)
		spec, err := CreateCluster(b, fakeCloud{})
		require.NoError(t, err, "%s", b)
		require.Equal(t, ackscale.Runtime{Name: "containerd"}, spec.Runtime, "%s", b)
	}
}

// TestClientModelsKnown: every field of the client models is a field of
// CreateCluster, accepted by its prefix, or ignored when empty; and the
// ScaleOutCluster tables say which model each ignored field comes from.
func TestClientModelsKnown(t *testing.T) {
	t.Parallel()
	create, _ := Lookup("", OpCreateCluster)
	for _, name := range createModels {
		ok := hasField(create.Fields, name) || slices.Contains(create.SDKEmpty, name) ||
			slices.ContainsFunc(create.LoosePrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
		require.True(t, ok, "CreateCluster does not know %s", name)
	}
	for _, tab := range Tables() {
		if tab.Op != OpScaleOut {
			continue
		}
		for _, name := range scaleOutModels {
			require.True(t, hasField(tab.Fields, name) || slices.Contains(tab.SDKEmpty, name), "%s/%s: %s", tab.Profile, tab.Variant, name)
		}
		require.Contains(t, tab.SDKEmptySource, "aliyungo 2022")
	}
}

// TestCreateWorkerVSwitches: CreateCluster's worker_vswitch_ids (the
// SDK's and aliyungo's) are the vSwitches the cluster keeps for its
// workers (R36).
func TestCreateWorkerVSwitches(t *testing.T) {
	t.Parallel()
	type kv = map[string]any
	vswitches := func(want ...string) func(*testing.T, any) {
		return wantSpec(func(t *testing.T, s ackscale.ClusterSpec) {
			require.Equal(t, want, s.VSwitchIDs)
			require.Equal(t, "vpc-std", s.VPCID)
		})
	}
	suite{base: createBase, op: createOp, rows: []row{
		{name: "worker_vswitch_ids are the workers' vSwitches, kept by the cluster (R36)", set: kv{"worker_vswitch_ids": []string{"vsw-std-b"}},
			want: vswitches("vsw-std-b")},
		{name: "worker_vswitch_ids without vswitch_ids (R36)", del: []string{"vswitch_ids"}, set: kv{"worker_vswitch_ids": []string{"vsw-std-b"}},
			want: vswitches("vsw-std-b")},
		{name: "worker_vswitch_ids sent empty is absent (ruling 14, R36)", set: kv{"worker_vswitch_ids": []string{}},
			want: vswitches("vsw-2ze4jvvvade1yk899****")},
		{name: "worker_vswitch_ids and vpcid without vswitch_ids (R36, R17)", del: []string{"vswitch_ids"},
			set: kv{"vpcid": "vpc-std", "worker_vswitch_ids": []string{"vsw-std-b"}}, want: vswitches("vsw-std-b")},
		{name: "worker_vswitch_ids in another VPC than vswitch_ids (ruling 16, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-other-vpc"}},
			code: ackscale.CodeInvalidParameter, field: "worker_vswitch_ids[0]"},
		{name: "worker_vswitch_ids in another region (ruling 16, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-hangzhou"}},
			code: ackscale.CodeInvalidParameter, field: "worker_vswitch_ids[0]"},
		{name: "worker_vswitch_ids that does not exist (ruling 16, R36)", set: kv{"worker_vswitch_ids": []string{"vsw-nope"}},
			code: ackscale.CodeVSwitchNotFound, field: "worker_vswitch_ids[0]"},
		{name: "worker_vswitch_ids as a string (ruling 13, R36)", set: kv{"worker_vswitch_ids": "vsw-std-b"},
			code: ackscale.CodeInvalidType, field: "worker_vswitch_ids"},
		{name: "an aliyungo worker field with a value is accepted by its prefix (R17, R36)", set: kv{"worker_hpc_cluster_id": "hpc-1"}},
		{name: "an aliyungo cluster field with a value is type-checked and ignored (R17, R36)", set: kv{"node_cidr_mask": "25"}},
		{name: "a zero value of no client's model is still unknown (ruling 14, R36)", set: kv{"ens_region_id": ""},
			code: ackscale.CodeUnknownField, field: "ens_region_id"},
	}}.run(t)
}
