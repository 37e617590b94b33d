package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// outsideDocument matches what a message must not cite: the seeds, the
// rulings of decisions.md, the spec and the other pages of ../shared. A
// message points to docs/api.md's further rulings instead (seeDocs).
var outsideDocument = regexp.MustCompile(`(?i)seed|ruling|decisions\.md|spec/|\.\./shared|api\.md §|clients\.md`)

// docsPointer is how a message cites: at its end, by further ruling.
var docsPointer = regexp.MustCompile(`\(see docs/api\.md, (R\d+(?:, R\d+)*)\)$`)

// requireCitesOnlyDocs: msg cites nothing outside the repository, and
// the further rulings it cites, if any, exist, in the pointer at its end.
func requireCitesOnlyDocs(t *testing.T, msg, where string) {
	t.Helper()
	require.NotRegexp(t, outsideDocument, msg, "%s: the message cites a document users cannot see", where)
	rest := msg
	if m := docsPointer.FindStringSubmatch(msg); m != nil {
		for _, id := range strings.Split(m[1], ", ") {
			require.True(t, slices.ContainsFunc(furtherRulings, func(r ruling) bool { return r.ID == id }), "%s: %q cites %s", where, msg, id)
		}
		rest = strings.TrimSuffix(msg, m[0])
	}
	require.NotContains(t, rest, "docs/api.md", "%s: %q points to docs/api.md other than at its end, as (see docs/api.md, R…)", where, msg)
	require.NotRegexp(t, `\bR\d+\b`, rest, "%s: %q cites a further ruling outside the pointer", where, msg)
}

// msgSuite is one table and a base body it accepts (as the bound suites
// have them), which the field mutations break.
type msgSuite struct {
	boundSuite
	tab *Table // set for a table outside tables (ModifyCluster)
}

// rowSuite is a suite of test rows: an operation on a profile, the base
// body and target of its rows.
type rowSuite struct {
	profile ackscale.Profile
	op      Op
	base    string
	target  func() Target
	rows    []row
	tab     *Table // set for a table outside tables (ModifyCluster)
}

func rowSuites(t *testing.T) []rowSuite {
	return []rowSuite{
		{ackscale.ProfileLegacy, OpScale, seed000, legacyTarget, legacyRows(), nil},
		{ackscale.ProfileLegacy, OpScaleOut, seed002, legacyTarget, legacyPOSTRows(), nil},
		{ackscale.ProfileLegacy, OpScaleOut, seed002, legacyTarget, standardRows(), nil}, // the same rules as on a standard cluster
		{ackscale.ProfileStandard, OpScaleOut, seed002, standardTarget, standardRows(), nil},
		{ackscale.ProfileEdge, OpScaleOut, seed001, edgeTarget, edgeRows(), nil},
		{ackscale.ProfileEdge, OpScaleOut, readFixture(t, aliyungoScaleOutFile), edgeCloudTarget, edgeCloudRows(), nil},
		{ackscale.ProfileEdge, OpScaleOut, seed002, edgeCloudTarget, standardRows(), nil}, // cloud workers: the standard rules (R37)
		{ackscale.ProfileSandbox, OpScaleOut, seed004, sandboxTarget, sandboxRows(), nil},
		{"", OpCreateCluster, createBase, noTarget, createRows(), nil},
		{"", OpDeleteNodes, `{"nodes":["cn-beijing.192.168.0.10"],"release_node":true,"drain_node":true}`, noTarget, deleteRows(), nil},
		{"", OpCreateNodePool, tfNodePool, poolTarget, nodePoolRows(), nil},
		{"", OpModifyNodePool, tfModify, noTarget, modifyPoolRows(), nil},
		{"", OpScaleNodePool, `{"count":2}`, noTarget, scalePoolRows(), nil},
		{"", OpRemoveNodePoolNodes, `{"instance_ids":["i-a"]}`, noTarget, removePoolRows(), nil},
	}
}

// messageRun validates bodies, checks the message of each error and
// records which field or check of which table made it.
type messageRun struct {
	t      *testing.T
	errors int
	fields map[*Table]map[string]bool // dotted names, without indices
	checks map[*Table]map[int]bool
}

var indices = regexp.MustCompile(`\[\d+\]`)

// try validates body on tab, or on the table of op on profile p that the
// body chooses when tab is nil.
func (m *messageRun) try(where string, tab *Table, p ackscale.Profile, op Op, tgt Target, body []byte, c Cloud) {
	t := m.t
	t.Helper()
	obj, err := Decode(body)
	require.NoError(t, err, where)
	failed, tabs := -1, []*Table{tab}
	if tab == nil {
		_, ok := lookup(p, op)
		require.True(t, ok, "%s: no table of %s on %q", where, op, p)
		// A selecting field of the wrong type is every variant's error.
		tabs = variants(p, op)
		if tab, err = choose(p, op, obj); err == nil {
			tabs = []*Table{tab}
		}
	}
	if err == nil {
		_, failed, err = tab.check(obj, tgt, c)
	}
	if err == nil {
		return
	}
	var e *ackscale.Error
	require.True(t, errors.As(err, &e), "%s: not an *ackscale.Error: %v", where, err)
	requireCitesOnlyDocs(t, e.Message, where)
	m.errors++
	for _, tab := range tabs {
		if failed >= 0 {
			if m.checks[tab] == nil {
				m.checks[tab] = map[int]bool{}
			}
			m.checks[tab][failed] = true
			continue
		}
		if m.fields[tab] == nil {
			m.fields[tab] = map[string]bool{}
		}
		m.fields[tab][indices.ReplaceAllString(e.Field, "")] = true
	}
}

// TestMessagesCiteNoOutsideDocument: no error message cites a document a
// user cannot see (the seeds, decisions.md, the spec): messages point to
// docs/api.md's further rulings only, as " (see docs/api.md, R24)". It
// makes an error for every field and every check of every table: each
// field of the wrong type, absent when required, and out of its range,
// enumeration, format, length, item count and uniqueness, with an unknown
// member when it is an object; each check by the test rows of its
// operation and checkRows; and the body errors.
func TestMessagesCiteNoOutsideDocument(t *testing.T) {
	t.Parallel()
	run := &messageRun{t: t, fields: map[*Table]map[string]bool{}, checks: map[*Table]map[int]bool{}}
	modify := modifyTable()
	suites := []msgSuite{{boundSuite: boundSuite{name: "modify_cluster", opID: OpModifyCluster, base: `{}`, target: noTarget}, tab: &modify}}
	for _, s := range boundSuites() {
		for _, tab := range variants(s.profile, s.opID) {
			if tab.Variant == s.variant {
				suites = append(suites, msgSuite{boundSuite: s, tab: tab})
			}
		}
	}
	require.Len(t, suites, len(tables)+1, "a suite for every table")

	for _, s := range suites {
		fixed := s.tab
		if s.tab != &modify {
			fixed = nil // the body chooses among variants, as the operation does
		}
		for _, c := range fieldCases(s.tab.Fields) {
			for _, mu := range mutations(s.tab, c) {
				body := decodeMap(t, s.base)
				tgt := s.target()
				tgt.PasswordMatches = func(string) bool { return true }
				cl := s.cloud(tgt)
				mu.apply(body)
				cl.learn(body)
				b, err := json.Marshal(body)
				require.NoError(t, err)
				where := fmt.Sprintf("%s: %s %s", s.name, c.path, mu.name)
				run.try(where, fixed, s.profile, s.opID, tgt, b, cl)
			}
		}
		for _, name := range s.tab.SDKEmpty {
			body := decodeMap(t, s.base)
			body[name] = "sent"
			b, err := json.Marshal(body)
			require.NoError(t, err)
			run.try(s.name+": "+name+" sent with a value", fixed, s.profile, s.opID, s.target(), b, s.cloud(s.target()))
		}
	}

	for _, rs := range append(rowSuites(t), checkRows(&modify)...) {
		for _, r := range rs.rows {
			tgt := rs.target()
			if r.target != nil {
				r.target(&tgt)
			}
			c := r.cloud
			if c == nil {
				c = fakeCloud{}
			}
			run.try(r.name, rs.tab, rs.profile, rs.op, tgt, r.body(t, rs.base), c)
		}
	}

	var missing []string
	for _, s := range suites {
		for _, f := range flatten(s.tab.Fields, "") {
			if !run.fields[s.tab][f.Name] {
				missing = append(missing, s.name+" field "+f.Name)
			}
		}
		for i, c := range s.tab.Checks {
			if !run.checks[s.tab][i] {
				missing = append(missing, s.name+" check "+c.Name)
			}
		}
	}
	require.Empty(t, missing, "no error made by these")

	for _, body := range [][]byte{
		[]byte(`{"count":1,}`), []byte(`[1]`), []byte(`{"a":1,"a":2}`), []byte("{\"a\":\"\xff\"}"), []byte(`{} {}`),
		[]byte(strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)),
		append(append([]byte(`{"a":"`), strings.Repeat("x", MaxBodyBytes)...), `"}`...),
	} {
		_, err := Decode(body)
		var e *ackscale.Error
		require.True(t, errors.As(err, &e), "%.40q accepted", body)
		requireCitesOnlyDocs(t, e.Message, fmt.Sprintf("body %.40q", body))
	}
	_, err := Scale(standardTarget(), []byte(seed000), fakeCloud{})
	var e *ackscale.Error
	require.True(t, errors.As(err, &e))
	requireCitesOnlyDocs(t, e.Message, "the legacy PUT on a managed cluster")
	t.Logf("%d messages checked", run.errors)
}

// fieldCases are a boundCase (without a bound) for every field of fs, at
// any depth, in the first item of lists of objects.
func fieldCases(fs []Field) []boundCase {
	return walkCases(fs, nil, "", "", func(f *Field, steps []step, path, name string) ([]boundCase, bool) {
		top := name
		if len(steps) > 0 {
			top = steps[0].f.Name
		}
		return []boundCase{{path: path, name: name, top: top, steps: steps, leaf: f.Name, bound: &Bounds{}}}, true
	})
}

// mutation is one change to a body that breaks a field.
type mutation struct {
	name  string
	apply func(body map[string]any)
}

// mutations break the field of c in every way its rules allow.
func mutations(tab *Table, c boundCase) []mutation {
	f := fieldAt(tab.Fields, c.name)
	set := func(name string, v any) mutation {
		return mutation{name, func(b map[string]any) { c.set(b, v) }}
	}
	wrong := any(true)
	if f.Type == Bool {
		wrong = "yes"
	}
	out := []mutation{set("of the wrong type", wrong)}
	if f.Required && f.Default == "" {
		out = append(out, mutation{"absent", func(b map[string]any) { delete(c.parent(b), c.leaf) }})
	}
	if f.Ignored {
		return out
	}
	str := func(s string) any {
		if f.Type == Strings {
			return []any{s}
		}
		return s
	}
	switch {
	case len(f.Enum) > 0 && f.Type == Int:
		out = append(out, set("not in its enumeration", 987654321))
	case len(f.Enum) > 0:
		out = append(out, set("not in its enumeration", str("zz-not-listed")))
	}
	if r := f.Range; r != nil && f.Type == Int {
		out = append(out, set("below its range", r.Min-1))
		if r.Max != NoMax {
			out = append(out, set("above its range", r.Max+1))
		}
	}
	if f.Format != "" {
		out = append(out, set("of the wrong format", str("-Not A Valid Value-")))
	}
	if l := f.Len; l != nil && f.Type == String && l.Min > 1 {
		out = append(out, set("too short", strings.Repeat("a", l.Min-1)))
	}
	for _, b := range fieldBounds(f, c.steps, c.path, c.name) {
		out = append(out, set("past its "+b.detail, b.over))
	}
	switch {
	case f.Unique && f.Type == Strings:
		out = append(out, set("with an item twice", []any{short(f, 0), short(f, 0)}))
	case len(f.UniqueBy) > 0:
		out = append(out, set("with an item twice", []any{validItem(f, 0), validItem(f, 0)}))
	}
	switch f.Type {
	case Object:
		o := validObj(f.Fields, 0)
		o["zz_unknown"] = 1
		out = append(out, set("with an unknown member", o))
		for _, name := range f.SDKEmpty {
			o := validObj(f.Fields, 0)
			o[name] = "sent"
			out = append(out, set("with "+name+" sent", o))
		}
	case Objects:
		o := validItem(f, 0)
		o["zz_unknown"] = 1
		out = append(out, set("with an unknown member", []any{o}))
	}
	return out
}

// fieldAt is the field of fs named by a dotted name without indices.
func fieldAt(fs []Field, name string) *Field {
	head, rest, nested := strings.Cut(name, ".")
	i := slices.IndexFunc(fs, func(f Field) bool { return f.Name == head })
	if !nested {
		return &fs[i]
	}
	return fieldAt(fs[i].Fields, rest)
}

// checkRows break the checks that no test row of their operation breaks.
func checkRows(modify *Table) []rowSuite {
	type kv = map[string]any
	bothVSwitchNames := row{name: "vswitch_ids and aliyungo's worker_vswitch_ids", set: kv{"worker_vswitch_ids": []string{"vsw-std-b"}}}
	prepaid := kv{"worker_instance_charge_type": "PrePaid", "worker_period": 1, "worker_period_unit": "Month", "worker_auto_renew": true}
	return []rowSuite{
		{ackscale.ProfileStandard, OpScaleOut, seed002, standardTarget, []row{bothVSwitchNames}, nil},
		{ackscale.ProfileLegacy, OpScaleOut, seed002, legacyTarget, []row{bothVSwitchNames}, nil},
		{ackscale.ProfileSandbox, OpScaleOut, seed004, sandboxTarget, []row{
			{name: "sandbox: PrePaid auto-renewal without its period", set: prepaid},
			{name: "sandbox: past the quota", target: func(t *Target) { t.MaxWorkers = ptr(0) }},
		}, nil},
		{"", OpCreateCluster, createBase, noTarget, []row{
			{name: "create: a runtime version the cloud does not offer", set: kv{"runtime": kv{"name": "containerd", "version": "0.0.1"}}},
		}, nil},
		{"", OpModifyCluster, `{}`, noTarget, []row{
			{name: "ModifyCluster: a field it cannot change", set: kv{"api_server_eip": true}},
			{name: "ModifyCluster: a window without its time", set: kv{"maintenance_window": kv{"enable": true}}},
		}, modify},
	}
}

// TestNotFoundListsValidValues: an instance type, image, vSwitch, key
// pair, region, ENS region or Kubernetes version the cloud does not have
// is refused with the valid ones of its context: the cluster's kind of
// instance types, the images for it, the vSwitches of the cluster's (or
// the request's) VPC, the key pairs of the region. At most maxListed are
// listed, then how many there are.
func TestNotFoundListsValidValues(t *testing.T) {
	t.Parallel()
	type kv = map[string]any
	ensNotTiny := func(t *Target) { t.Profile = ackscale.ProfileSandbox }
	for _, tc := range []struct {
		name   string
		op     func(Target, []byte, Cloud) (any, error)
		base   string
		target func() Target
		r      row
		code   string
		lists  string // what the message lists from fakeCloud
	}{
		{"unknown instance type", scaleOutOp, seed002, standardTarget,
			row{set: kv{"worker_instance_types": []string{"ecs.nope"}}, field: "worker_instance_types[0]"}, ackscale.CodeInstanceTypeNotFound,
			`instance type "ecs.nope" does not exist; this cluster takes ecs instance types: ecs.c5.xlarge, ecs.g6.large, ecs.sn1ne.large`},
		{"instance type of another kind", scaleOutOp, seed002, standardTarget,
			row{set: kv{"worker_instance_types": []string{"ens.sn1.tiny"}}, field: "worker_instance_types[0]"}, ackscale.CodeInstanceTypeNotFound,
			`"ens.sn1.tiny" is an ens instance type; this cluster takes ecs instance types: ecs.c5.xlarge, ecs.g6.large, ecs.sn1ne.large`},
		{"unknown ENS instance type", scaleOutOp, seed001, edgeTarget,
			row{set: kv{"worker_instance_type": "ens.nope"}, field: "worker_instance_type"}, ackscale.CodeInstanceTypeNotFound,
			"this cluster takes ens instance types: ens.sn1.small, ens.sn1.tiny"},
		{"unknown vSwitch", scaleOutOp, seed002, standardTarget,
			row{set: kv{"vswitch_ids": []string{"vsw-nope"}}, field: "vswitch_ids[0]"}, ackscale.CodeVSwitchNotFound,
			`vSwitch "vsw-nope" does not exist; vSwitches of VPC vpc-std in region cn-beijing: vsw-1, vsw-2ze4jvvvade1yk899****, vsw-bp1ackscaledefaultg01, vsw-std-b`},
		{"vSwitch of another VPC", scaleOutOp, seed002, standardTarget,
			row{set: kv{"vswitch_ids": []string{"vsw-other-vpc"}}, field: "vswitch_ids[0]"}, ackscale.CodeInvalidParameter,
			"vSwitches of VPC vpc-std in region cn-beijing: vsw-1, vsw-2ze4jvvvade1yk899****, vsw-bp1ackscaledefaultg01, vsw-std-b"},
		{"unknown image", scaleOutOp, seed002, standardTarget,
			row{set: kv{"image_id": "m-nope"}, field: "image_id"}, ackscale.CodeImageNotFound,
			`image "m-nope" does not exist; images for ecs instances: m-big, m-huge`},
		{"unknown ENS image", scaleOutOp, seed001, edgeTarget,
			row{set: kv{"worker_image_id": "m-nope"}, field: "worker_image_id"}, ackscale.CodeImageNotFound,
			"images for ens instances: m-2QVLO2T8NYgm8CNQVg****, m-2QVLO2T8NYgm8CNQVg15gF"},
		{"unknown key pair", scaleOutOp, seed002, standardTarget,
			row{set: kv{"key_pair": "nope"}, field: "key_pair"}, ackscale.CodeKeyPairNotFound,
			`key pair "nope" does not exist in region cn-beijing; its key pairs: secrity-key`},
		{"unknown key pair of an edge worker", scaleOutOp, seed001, edgeTarget,
			row{set: kv{"key_pair": "nope"}, del: []string{"login_password"}, field: "key_pair"}, ackscale.CodeKeyPairNotFound,
			`key pair "nope" does not exist in region cn-beijing or ENS region cn-beijing-telecom; its key pairs: secrity-key, edge-key`},
		{"unknown ENS region", scaleOutOp, seed001, edgeTarget,
			row{set: kv{"ens_region_id": "cn-nowhere-telecom"}, field: "ens_region_id"}, ackscale.CodeENSRegionNotFound,
			`ENS region "cn-nowhere-telecom" does not exist; ENS regions: cn-beijing-telecom, cn-beijing-cmcc-2`},
		{"unknown region", createOp, createBase, noTarget,
			row{set: kv{"region_id": "cn-nowhere"}, field: "region_id"}, ackscale.CodeRegionNotFound,
			`region "cn-nowhere" does not exist; regions: cn-beijing, cn-hangzhou`},
		{"unknown Kubernetes version", createOp, createBase, noTarget,
			row{set: kv{"kubernetes_version": "1.20.4"}, field: "kubernetes_version"}, ackscale.CodeNotInEnum,
			`"1.20.4" is not offered; valid versions: 1.34.4, 1.33.1; leave it out for the default (1.34.4)`},
		{"unknown vSwitch of a new cluster", createOp, createBase, noTarget,
			row{set: kv{"vswitch_ids": []string{"vsw-nope"}}, field: "vswitch_ids[0]"}, ackscale.CodeVSwitchNotFound,
			"vSwitches of region cn-beijing: vsw-1, vsw-2ze4jvvvade1yk899****, vsw-2zes3rfz7bmk0nxxxxxxx, vsw-bp1ackscaledefaultg01, vsw-other-vpc, vsw-std-b"},
		{"a new cluster's vSwitch in another region", createOp, createBase, noTarget,
			row{set: kv{"vswitch_ids": []string{"vsw-hangzhou"}}, field: "vswitch_ids[0]"}, ackscale.CodeInvalidParameter,
			`vSwitch "vsw-hangzhou" is in region cn-hangzhou, not cn-beijing; vSwitches of region cn-beijing: vsw-1`},
		{"unknown instance type of a pool", nodePoolOp, tfNodePool, poolTarget,
			row{set: kv{"scaling_group.instance_types": []string{"ecs.nope"}}, field: "scaling_group.instance_types[0]"}, ackscale.CodeInstanceTypeNotFound,
			"this cluster takes ecs instance types: ecs.c5.xlarge, ecs.g6.large, ecs.sn1ne.large"},
		{"a sandbox pool's instance type", nodePoolOp, tfNodePool, poolTarget,
			row{set: kv{"scaling_group.instance_types": []string{"ecs.g6.large"}}, target: ensNotTiny, field: "scaling_group.instance_types[0]"},
			ackscale.CodeInstanceTypeNotFound, "this cluster takes ebm instance types: ecs.ebmc5s.24xlarge, ecs.ebmg5s.24xlarge, ecs.ebmgn6i.24xlarge"},
		{"unknown key pair of a pool", nodePoolOp, tfNodePool, poolTarget,
			row{set: kv{"scaling_group.key_pair": "nope"}, del: []string{"scaling_group.login_password"}, field: "scaling_group.key_pair"},
			ackscale.CodeKeyPairNotFound, `key pair "nope" does not exist in region cn-beijing; its key pairs: secrity-key`},
		{"unknown image of a pool", nodePoolOp, tfNodePool, poolTarget,
			row{set: kv{"scaling_group.image_id": "m-nope"}, field: "scaling_group.image_id"}, ackscale.CodeImageNotFound,
			"images for ecs instances: m-big, m-huge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []Cloud{fakeCloud{}, crowdedCloud{}} {
				tgt := tc.target()
				if tc.r.target != nil {
					tc.r.target(&tgt)
				}
				_, err := tc.op(tgt, tc.r.body(t, tc.base), c)
				var e *ackscale.Error
				require.True(t, errors.As(err, &e), "accepted: %v", err)
				require.Equal(t, tc.code, e.Code, e.Message)
				require.Equal(t, tc.r.field, e.Field, e.Message)
				requireCitesOnlyDocs(t, e.Message, tc.name)
				if _, crowded := c.(crowdedCloud); !crowded {
					require.Contains(t, e.Message, tc.lists)
					continue
				}
				require.Contains(t, e.Message, ", … (25 in all)", "at most %d listed", maxListed)
				listed := e.Message[strings.LastIndex(e.Message, ": ")+2 : strings.Index(e.Message, ", … (25 in all)")]
				require.Len(t, strings.Split(listed, ", "), maxListed, e.Message)
			}
		})
	}
}

// crowdedCloud is fakeCloud whose lists are 25 names long.
type crowdedCloud struct{ fakeCloud }

func crowd(prefix string) []string {
	out := make([]string, 25)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}

func (crowdedCloud) InstanceTypeNames(k ackscale.InstanceKind) []string {
	return crowd(string(k) + ".t")
}
func (crowdedCloud) ImageIDs(ackscale.InstanceKind) []string { return crowd("m-") }
func (crowdedCloud) VSwitchIDs(string, string) []string      { return crowd("vsw-") }
func (crowdedCloud) KeyPairNames(string) []string            { return crowd("kp-") }
func (crowdedCloud) RegionIDs() []string                     { return crowd("cn-r") }
func (crowdedCloud) ENSRegionIDs() []string                  { return crowd("cn-e") }
func (crowdedCloud) KubernetesVersions() []string            { return crowd("1.") }
