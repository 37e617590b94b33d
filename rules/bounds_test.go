package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// openCloud is fakeCloud that also has every name in known: instance types
// of kind, 20 GiB images, key pairs, regions, ENS regions, Kubernetes
// versions and versions of every runtime. Every vSwitch it has lies in
// region and vpc. The bound tests use it so that the field's own rules
// decide, not the catalog.
type openCloud struct {
	fakeCloud
	known       map[string]bool
	kind        ackscale.InstanceKind
	region, vpc string
}

func (o *openCloud) InstanceTypeKind(name string) (ackscale.InstanceKind, bool) {
	if o.known[name] {
		return o.kind, true
	}
	return o.fakeCloud.InstanceTypeKind(name)
}

func (o *openCloud) ImageSizeGiB(id string) (int, bool) {
	if o.known[id] {
		return 20, true
	}
	return o.fakeCloud.ImageSizeGiB(id)
}

func (o *openCloud) VSwitchVPC(id string) (string, string, bool) {
	if _, _, ok := o.fakeCloud.VSwitchVPC(id); ok || o.known[id] {
		return o.region, o.vpc, true
	}
	return "", "", false
}

func (o *openCloud) KeyPairExists(region, name string) bool {
	return o.known[name] || o.fakeCloud.KeyPairExists("cn-beijing", name) || o.fakeCloud.KeyPairExists(region, name)
}

func (o *openCloud) ENSRegionExists(id string) bool {
	return o.known[id] || o.fakeCloud.ENSRegionExists(id)
}

func (o *openCloud) RegionExists(id string) bool { return o.known[id] || o.fakeCloud.RegionExists(id) }

func (o *openCloud) KubernetesVersionExists(v string) bool {
	return o.known[v] || o.fakeCloud.KubernetesVersionExists(v)
}

func (o *openCloud) RuntimeVersions(name string) ([]string, bool) {
	versions, ok := o.fakeCloud.RuntimeVersions(name)
	for v := range o.known {
		versions = append(versions, v)
	}
	return versions, ok
}

// learn adds every string in v to the cloud's names.
func (o *openCloud) learn(v any) {
	switch x := v.(type) {
	case string:
		o.known[x] = true
	case []any:
		for _, it := range x {
			o.learn(it)
		}
	case map[string]any:
		for _, it := range x {
			o.learn(it)
		}
	}
}

// boundSuite is one table with a valid base body, for the bound tests.
type boundSuite struct {
	name    string
	profile ackscale.Profile
	opID    Op
	base    string
	target  func() Target
	op      func(Target, []byte, Cloud) (any, error)
	kind    ackscale.InstanceKind
	variant string // Table.Variant
}

func boundSuites() []boundSuite {
	return []boundSuite{
		{"legacy/scale", ackscale.ProfileLegacy, OpScale, seed000, legacyTarget, scaleOp, ackscale.KindECS, ""},
		{"legacy/scale_out", ackscale.ProfileLegacy, OpScaleOut, seed002, legacyTarget, scaleOutOp, ackscale.KindECS, ""},
		{"standard/scale_out", ackscale.ProfileStandard, OpScaleOut, seed002, standardTarget, scaleOutOp, ackscale.KindECS, ""},
		{"edge/scale_out", ackscale.ProfileEdge, OpScaleOut, seed001, edgeTarget, scaleOutOp, ackscale.KindENS, ""},
		{"edge/scale_out/cloud", ackscale.ProfileEdge, OpScaleOut, seed002, edgeCloudTarget, scaleOutOp, ackscale.KindECS, VariantCloud},
		{"sandbox/scale_out", ackscale.ProfileSandbox, OpScaleOut, seed004, sandboxTarget, scaleOutOp, ackscale.KindEBM, ""},
		{"create_cluster", "", OpCreateCluster, createBase, noTarget, createOp, ackscale.KindECS, ""},
		{"delete_nodes", "", OpDeleteNodes, `{"nodes":["cn-beijing.192.168.0.10"]}`, noTarget, deleteOp, "", ""},
		{"create_node_pool", "", OpCreateNodePool, tfNodePool, poolTarget, nodePoolOp, ackscale.KindECS, ""},
		{"modify_node_pool", "", OpModifyNodePool, tfModify, noTarget, modifyPoolOp, "", ""},
		{"scale_node_pool", "", OpScaleNodePool, `{"count":2}`, noTarget, scalePoolOp, "", ""},
		{"remove_node_pool_nodes", "", OpRemoveNodePoolNodes, `{"instance_ids":["i-a"]}`, noTarget, removePoolOp, "", ""},
	}
}

func noTarget() Target { return Target{} }

// exclusive are fields that a base's field must make way for, by dotted
// name: the other credential (ruling 4, R29), and the legacy aliases of
// create (R17). The field made way for is a sibling.
var exclusive = map[string]string{
	"key_pair": "login_password", "login_password": "key_pair",
	sgKeyPair: sgPassword, sgPassword: sgKeyPair,
}

func init() {
	for _, a := range legacyVSwitches {
		exclusive[a] = "vswitch_ids"
	}
	for _, a := range legacyTypes {
		exclusive[a] = "worker_instance_types"
	}
	exclusive["worker_vswitch_ids"] = "vswitch_ids" // aliyungo's name of it (R36)
}

// step is one field on the way from the body to a bounded field: an
// object, or the first item of a list of objects.
type step struct{ f *Field }

// boundCase is one bound of one field: the value at the bound and the
// value one past it, set at the field's place in the body.
type boundCase struct {
	path   string // as errors name it: runtime.version, tags[0].key
	name   string // dotted, without indices: tags.key
	top    string // the top-level field
	steps  []step // the objects the field sits in, outermost first
	leaf   string // its own name
	at     any    // the field's value at the bound
	over   any    // … and one past it
	code   string // of over
	field  string // that over's error names
	bound  *Bounds
	detail string // length or items
}

// boundCases returns a case for each bounded string, list and list item
// of fields, top-level or inside objects at any depth (in the first item
// of lists of objects).
func boundCases(fs []Field) []boundCase {
	return walkCases(fs, nil, "", "", func(f *Field, steps []step, path, name string) ([]boundCase, bool) {
		if f.Ignored {
			return nil, false
		}
		return fieldBounds(f, steps, path, name), true
	})
}

// walkCases collects the cases visit makes of each field of fs and, when
// it says so, of the fields inside it, at any depth: path is a field's
// path in a body (items as [0]), name its dotted name, steps the fields
// on the way to it.
func walkCases(fs []Field, steps []step, path, name string,
	visit func(f *Field, steps []step, path, name string) ([]boundCase, bool)) []boundCase {
	var out []boundCase
	for i := range fs {
		f := &fs[i]
		p, n := path+f.Name, name+f.Name
		cases, inside := visit(f, steps, p, n)
		out = append(out, cases...)
		if !inside {
			continue
		}
		inner := append(slices.Clone(steps), step{f})
		switch f.Type {
		case Object:
			out = append(out, walkCases(f.Fields, inner, p+".", n+".", visit)...)
		case Objects:
			out = append(out, walkCases(f.Fields, inner, p+"[0].", n+".", visit)...)
		}
	}
	return out
}

// fieldBounds are the cases of one field's own bounds.
func fieldBounds(f *Field, steps []step, path, name string) []boundCase {
	top := name
	if len(steps) > 0 {
		top = steps[0].f.Name
	}
	c := boundCase{path: path, name: name, top: top, steps: steps, leaf: f.Name}
	var out []boundCase
	if l := f.Len; l != nil && l.Max != NoMax {
		c.bound, c.field = l, path
		switch f.Type {
		case String:
			c.at, c.detail, c.code = longest(f, l.Max, 0), "length", ackscale.CodeInvalidFormat
			c.over = c.at.(string) + "x"
			out = append(out, c)
		case Strings:
			c.at, c.over, c.detail, c.code = items(f, l.Max), items(f, l.Max+1), "items", ackscale.CodeOutOfRange
			out = append(out, c)
		case Objects:
			objs := func(n int) []any {
				out := make([]any, n)
				for i := range out {
					out[i] = validItem(f, i)
				}
				return out
			}
			c.at, c.over, c.detail, c.code = objs(l.Max), objs(l.Max+1), "items", ackscale.CodeOutOfRange
			out = append(out, c)
		}
	}
	if l := f.ItemLen; l != nil {
		at := longest(f, l.Max, 0)
		c.path, c.field, c.bound = path+"[0]", path+"[0]", l
		c.at, c.over, c.detail, c.code = []any{at}, []any{at + "x"}, "item length", ackscale.CodeInvalidFormat
		out = append(out, c)
	}
	return out
}

// items are n distinct valid items of a Strings field.
func items(f *Field, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = short(f, i)
	}
	return out
}

// validObj has each required sub-field, valid and distinct by i.
func validObj(fs []Field, i int) map[string]any {
	m := map[string]any{}
	for j := range fs {
		if f := &fs[j]; f.Required {
			m[f.Name] = short(f, i)
		}
	}
	return m
}

// validItem is the i-th item of a list of objects: validObj, and the
// fields that make items distinct.
func validItem(f *Field, i int) map[string]any {
	m := validObj(f.Fields, i)
	for _, name := range f.UniqueBy {
		for j := range f.Fields {
			if sf := &f.Fields[j]; sf.Name == name && sf.Type == String {
				m[name] = short(sf, i)
			}
		}
	}
	return m
}

// short is the i-th of distinct short valid strings for f (an item of f
// for Strings).
func short(f *Field, i int) string {
	if len(f.Enum) > 0 {
		return f.Enum[i%len(f.Enum)]
	}
	switch f.Format {
	case FormatPassword:
		return "Hello1234"
	case FormatCIDR:
		return "10.0.0.0/16"
	case FormatLabelKey, FormatTagKey:
		return fmt.Sprint("k", i)
	case FormatLabelValue:
		return fmt.Sprint("v", i)
	case FormatBase64:
		return "aGk="
	case FormatInteger:
		return strconv.Itoa(f.Range.Min)
	case FormatNodeName:
		return fmt.Sprintf("cn-beijing.192.168.%d.%d", i/200, 10+i%200)
	case FormatClusterName:
		return fmt.Sprint("c", i)
	case FormatPoolName:
		return fmt.Sprint("p", i)
	case FormatECSTagKey:
		return fmt.Sprint("k", i)
	case FormatECSTagValue:
		return fmt.Sprint("v", i)
	case FormatNodeNameMode:
		return fmt.Sprintf("customized,n%d,ip,", i)
	}
	return fmt.Sprint("bound-", i)
}

// longest is a valid string for f (an item of f for Strings) exactly n
// characters long, distinct by i.
func longest(f *Field, n, i int) string {
	pad := func(s, c string, n int) string { return s + strings.Repeat(c, n-len(s)) }
	switch f.Format {
	case FormatPassword:
		return pad("Aa1", "x", n)
	case FormatCIDR:
		if n != len("192.168.255.255/32") {
			panic(fmt.Sprintf("no CIDR block of %d characters", n))
		}
		return "192.168.255.255/32"
	case FormatLabelKey, FormatTagKey:
		if n <= 63 {
			return pad(fmt.Sprint("k", i), "k", n)
		}
		return strings.Repeat("p", n-64) + "/" + pad(fmt.Sprint("k", i), "k", 63)
	case FormatLabelValue:
		return pad(fmt.Sprint("v", i), "v", n)
	case FormatBase64:
		if n%4 != 0 {
			panic(fmt.Sprintf("no padded Base64 of %d characters", n))
		}
		return strings.Repeat("QUJD", n/4)
	case FormatInteger:
		return fmt.Sprintf("%0*d", n, f.Range.Min)
	case FormatNodeName:
		return pad(fmt.Sprint("n", i), "n", n)
	case FormatClusterName:
		return pad(fmt.Sprint("c", i), "n", n)
	case FormatPoolName:
		return pad(fmt.Sprint("p", i), "p", n)
	case FormatECSTagKey:
		return pad(fmt.Sprint("k", i), "k", n)
	case FormatECSTagValue:
		return pad(fmt.Sprint("v", i), "v", n)
	case FormatNodeNameMode:
		return "customized," + pad(fmt.Sprint("n", i), "n", n-len("customized,,ip,")) + ",ip,"
	}
	return pad(fmt.Sprint("bound-", i, "-"), "x", n)
}

// TestBounds: for every table and every bounded string, list and list
// item, including those inside objects, the value at the bound is
// accepted and one past it is refused with the bound's code (R21), naming
// the field and the bound and citing the bound's source (R24).
func TestBounds(t *testing.T) {
	t.Parallel()
	suites := boundSuites()
	for _, tab := range Tables() {
		require.True(t, slices.ContainsFunc(suites, func(s boundSuite) bool {
			return s.profile == tab.Profile && s.opID == tab.Op && s.variant == tab.Variant
		}), "no bound suite for %s/%s %s", tab.Profile, tab.Op, tab.Variant)
	}
	for _, s := range suites {
		tab, ok := LookupVariant(s.profile, s.opID, s.variant)
		require.True(t, ok, s.name)
		cases := boundCases(tab.Fields)
		require.Equal(t, hasStringOrList(tab.Fields), len(cases) > 0, "%s: a bound case for each bounded string and list", s.name)
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.path+"/"+c.detail, func(t *testing.T) {
					t.Parallel()
					require.NoError(t, s.run(t, c, c.at), "the value at the bound %d", c.bound.Max)
					err := s.run(t, c, c.over)
					var e *ackscale.Error
					require.True(t, errors.As(err, &e), "one past the bound %d: %v", c.bound.Max, err)
					require.Equal(t, c.code, e.Code, e.Message)
					require.Equal(t, c.field, e.Field, e.Message)
					require.Contains(t, e.Message, c.field+":", "names the field")
					require.Contains(t, e.Message, strconv.Itoa(c.bound.Max), "names the bound")
					if c.bound.Source != "" {
						require.True(t, strings.HasSuffix(e.Message, seeDocs(c.bound.Source)), "cites the bound's source: %s", e.Message)
					}
				})
			}
		})
	}
}

// hasStringOrList reports whether fs has a string or a list that is not
// ignored, at any depth.
func hasStringOrList(fs []Field) bool {
	return slices.ContainsFunc(flatten(fs, ""), func(f Field) bool {
		return !f.Ignored && (f.Type == String || f.Type == Strings || f.Type == Objects)
	})
}

// run validates the base with the field of c set to v (and the objects
// on its way added when the base lacks them), on a cloud that has every
// name sent.
func (s boundSuite) run(t *testing.T, c boundCase, v any) error {
	body := decodeMap(t, s.base)
	c.set(body, v)
	tgt := s.target()
	tgt.PasswordMatches = func(string) bool { return true } // any password is the cluster's (ruling 3)
	cl := s.cloud(tgt)
	cl.learn(body[c.top])
	switch c.top {
	case "region_id":
		cl.region = v.(string)
	case "vpcid":
		cl.vpc = v.(string)
	case "key_pair":
		tgt.Defaults.KeyPair = v.(string) // the legacy PUT's key pair is the cluster's (R10)
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	_, err = s.op(tgt, b, cl)
	return err
}

// set puts v at c's place in body, and removes the sibling that must make
// way for it.
func (c boundCase) set(body map[string]any, v any) {
	m := c.parent(body)
	m[c.leaf] = v
	if other, ok := exclusive[c.name]; ok {
		delete(m, other[strings.LastIndex(other, ".")+1:])
	}
}

// parent returns the object of body that holds c's field, adding the
// objects on the way when the body lacks them.
func (c boundCase) parent(body map[string]any) map[string]any {
	m := body
	for _, st := range c.steps {
		f := st.f
		if f.Type == Object {
			o, ok := m[f.Name].(map[string]any)
			if !ok {
				o = validObj(f.Fields, 0)
				m[f.Name] = o
			}
			m = o
			continue
		}
		list, _ := m[f.Name].([]any)
		if len(list) == 0 {
			list = []any{validItem(f, 0)}
			m[f.Name] = list
		}
		o, ok := list[0].(map[string]any)
		if !ok {
			o = validItem(f, 0)
			list[0] = o
		}
		m = o
	}
	return m
}

func (s boundSuite) cloud(tgt Target) *openCloud {
	return &openCloud{known: map[string]bool{}, kind: s.kind, region: or(tgt.RegionID, "cn-beijing"), vpc: or(tgt.VPCID, "vpc-std")}
}

func decodeMap(t *testing.T, s string) map[string]any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

// TestEveryStringAndListBounded: every string, list and list item a table
// keeps has a finite bound, or an enumeration (R24). Ignored fields are
// bounded by the body alone: nothing keeps them.
func TestEveryStringAndListBounded(t *testing.T) {
	t.Parallel()
	finite := func(b *Bounds) bool { return b != nil && b.Max != NoMax }
	everyField(func(where string, f Field) {
		if f.Ignored {
			return
		}
		switch f.Type {
		case String:
			require.True(t, finite(f.Len) || len(f.Enum) > 0, "%s: a string without a maximum length", where)
		case Strings:
			require.True(t, finite(f.Len), "%s: a list without a maximum item count", where)
			require.True(t, finite(f.ItemLen) || len(f.Enum) > 0, "%s: list items without a maximum length", where)
		case Objects:
			require.True(t, finite(f.Len), "%s: a list without a maximum item count", where)
		}
	})
}

// maxScaleOutBody is what the largest valid ScaleOutCluster body must stay
// under: far below the 1 MiB a body may have (R16), so that the bounds,
// not the body limit, keep requests small (R24).
const maxScaleOutBody = 128 << 10

// largest is the largest valid value of f: every string at its maximum
// length (or the longest enumerated value), every list at its maximum item
// count with every item at its longest, distinct by i.
func largest(f *Field, i int, t Target) any {
	switch f.Type {
	case Int:
		switch {
		case f.Name == "count":
			return t.maxWorkers() - t.Workers
		case len(f.Enum) > 0:
			return json.Number(slices.MaxFunc(f.Enum, func(a, b string) int { return len(a) - len(b) }))
		}
		return f.Range.Max
	case Bool:
		return true
	case String:
		if len(f.Enum) > 0 {
			return slices.MaxFunc(f.Enum, func(a, b string) int { return len(a) - len(b) })
		}
		return longest(f, f.Len.Max, i)
	case Strings:
		out := make([]any, f.Len.Max)
		for j := range out {
			out[j] = longest(f, f.ItemLen.Max, j)
		}
		return out
	case Object:
		return largestObject(f.Fields, i, t)
	case Objects:
		out := make([]any, f.Len.Max)
		for j := range out {
			out[j] = largestObject(f.Fields, j, t)
		}
		return out
	}
	panic("no largest value of " + f.Name)
}

// largestObject has every sub-field but the ignored ones at its largest.
func largestObject(fs []Field, i int, t Target) map[string]any {
	m := map[string]any{}
	for j := range fs {
		if f := &fs[j]; !f.Ignored {
			m[f.Name] = largest(f, i, t)
		}
	}
	return m
}

// shape describes a body: each string's length, each list's item count
// and its longest item (for lists of objects, per sub-field).
func shape(v any) any {
	switch x := v.(type) {
	case string:
		return map[string]int{"chars": len(x)}
	case []any:
		out := map[string]any{"items": len(x)}
		if len(x) > 0 {
			out["each"] = shape(x[0])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, it := range x {
			out[k] = shape(it)
		}
		return out
	}
	return v
}

// TestLargestValidScaleOutIsBounded builds the largest body a standard
// cluster's ScaleOutCluster accepts, every field at its bounds (key_pair,
// the longer credential, instead of login_password; vswitch_ids, not its
// alias worker_vswitch_ids; ignored fields left out), and requires it to be accepted and smaller than maxScaleOutBody
// (R24). Its shape is logged for database-growth tests.
func TestLargestValidScaleOutIsBounded(t *testing.T) {
	t.Parallel()
	tgt := standardTarget()
	body := map[string]any{}
	for _, f := range Fields(ackscale.ProfileStandard, OpScaleOut) {
		if f.Name != "login_password" && f.Name != "worker_vswitch_ids" && !f.Ignored {
			body[f.Name] = largest(&f, 0, tgt)
		}
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	cl := &openCloud{known: map[string]bool{}, kind: ackscale.KindECS, region: tgt.RegionID, vpc: tgt.VPCID}
	cl.learn(body)
	so, err := ScaleOut(tgt, b, cl)
	require.NoError(t, err)
	require.Len(t, so.Taints, taintItems)
	require.Len(t, so.Tags, 20)

	perWorker, err := json.Marshal(map[string]any{"tags": body["tags"], "taints": body["taints"], "runtime": body["runtime"]})
	require.NoError(t, err)
	sh, err := json.Marshal(shape(body))
	require.NoError(t, err)
	t.Logf("largest valid standard ScaleOutCluster body: %d bytes (%.1f KiB); its tags, taints and runtime (copied onto each worker) %d bytes",
		len(b), float64(len(b))/1024, len(perWorker))
	t.Logf("shape: %s", sh)
	require.Less(t, len(b), maxScaleOutBody, "the bounds let a ScaleOutCluster body grow past %d bytes", maxScaleOutBody)
	require.Less(t, maxScaleOutBody, MaxBodyBytes)
}

// TestUserDataNewlineRefused: user_data is standard Base64 on one line (R9):
// a line break anywhere, which Go's decoder would skip, is
// InvalidParameter.Format, as are the other characters outside the
// standard alphabet and padding.
func TestUserDataNewlineRefused(t *testing.T) {
	t.Parallel()
	const ok = "ZWNobyBoZWxsbw==" // "echo hello"
	for name, tc := range map[string]struct {
		userData string
		refused  bool
	}{
		"one line":              {ok, false},
		"LF inside":             {ok[:8] + "\n" + ok[8:], true},
		"CRLF inside":           {ok[:8] + "\r\n" + ok[8:], true},
		"CR inside":             {ok[:8] + "\r" + ok[8:], true},
		"trailing LF":           {ok + "\n", true},
		"leading LF":            {"\n" + ok, true},
		"wrapped at 76 (MIME)":  {strings.Repeat("QUJD", 19) + "\n" + "QUJD", true},
		"space":                 {ok[:8] + " " + ok[8:], true},
		"tab":                   {ok[:8] + "\t" + ok[8:], true},
		"URL-safe alphabet":     {"-_-_", true},
		"no padding":            {"ZWNobyBoZWxsbw", true},
		"non-zero padding bits": {"aGl=", true},
		"padding in the middle": {"aGk=aGk=", true},
		"at 32768 characters":   {strings.Repeat("QUJD", 8192), false},
		"past 32768 characters": {strings.Repeat("QUJD", 8192) + "QUJD", true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			body := decodeMap(t, seed002)
			body["user_data"] = tc.userData
			b, err := json.Marshal(body)
			require.NoError(t, err)
			so, err := ScaleOut(standardTarget(), b, fakeCloud{})
			if !tc.refused {
				require.NoError(t, err)
				require.Equal(t, tc.userData, so.UserData)
				return
			}
			var e *ackscale.Error
			require.True(t, errors.As(err, &e), "%q accepted", tc.userData)
			require.Equal(t, ackscale.CodeInvalidFormat, e.Code, e.Message)
			require.Equal(t, "user_data", e.Field, e.Message)
			require.Contains(t, e.Message, "user_data:")
			if strings.ContainsAny(tc.userData, "\r\n") {
				require.Contains(t, e.Message, "line break")
			}
		})
	}
}

// TestRuntimeCheckedAgainstCatalog: runtime.name must be a runtime the
// cloud offers and runtime.version one of its versions (R25), on every
// table with a runtime; the messages list the valid values, at most
// maxListed of them.
func TestRuntimeCheckedAgainstCatalog(t *testing.T) {
	t.Parallel()
	type kv = map[string]any
	for _, s := range boundSuites() {
		tab, _ := LookupVariant(s.profile, s.opID, s.variant)
		if !hasField(tab.Fields, "runtime") {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			run := func(rt kv, c Cloud) error {
				body := decodeMap(t, s.base)
				body["runtime"] = rt
				if rt["name"] == ackscale.RuntimeSandboxed {
					body["worker_instance_types"] = sandboxTypes[:1] // its workers are bare metal (R19)
				}
				b, err := json.Marshal(body)
				require.NoError(t, err)
				_, err = s.op(s.target(), b, c)
				return err
			}
			refused := func(err error, field string, says ...string) {
				t.Helper()
				var e *ackscale.Error
				require.True(t, errors.As(err, &e), "accepted")
				require.Equal(t, ackscale.CodeNotInEnum, e.Code, e.Message)
				require.Equal(t, field, e.Field, e.Message)
				for _, s := range says {
					require.Contains(t, e.Message, s)
				}
				require.NotContains(t, e.Message, "ruling", "cites only what users can read")
			}
			names := tab.Fields[slices.IndexFunc(tab.Fields, func(f Field) bool { return f.Name == "runtime" })].Fields[0].Enum
			for _, name := range names {
				versions, ok := fakeRuntimes[name]
				require.True(t, ok, name)
				for _, v := range versions {
					require.NoError(t, run(kv{"name": name, "version": v}, fakeCloud{}), "%s %s", name, v)
				}
				require.NoError(t, run(kv{"name": name}, fakeCloud{}), "%s without a version", name)
			}
			refused(run(kv{"name": "docker", "version": "24.0.7"}, fakeCloud{}), "runtime.version", `"24.0.7"`, "19.03.15, 19.03.5")
			refused(run(kv{"name": "containerd", "version": "19.03.5"}, fakeCloud{}), "runtime.version", "1.6.38, 1.6.36, 1.6.28")
			refused(run(kv{"name": "containerd", "version": "v1.6.38"}, fakeCloud{}), "runtime.version")
			refused(run(kv{"name": "docker"}, withoutDocker{}), "runtime.name", `"docker"`, "it offers containerd")
			many := manyVersions{}
			refused(run(kv{"name": "containerd", "version": "0.0.0"}, many), "runtime.version", "1.0.9, … (40 in all)")
		})
	}
}

// withoutDocker is a cloud whose catalog has no docker.
type withoutDocker struct{ fakeCloud }

func (withoutDocker) RuntimeVersions(name string) ([]string, bool) {
	if name == "docker" {
		return nil, false
	}
	return fakeCloud{}.RuntimeVersions(name)
}

// manyVersions offers 40 versions of containerd.
type manyVersions struct{ fakeCloud }

func (manyVersions) RuntimeVersions(name string) ([]string, bool) {
	var out []string
	for i := range 40 {
		out = append(out, fmt.Sprintf("1.%d.%d", i/10, i%10))
	}
	return out, true
}
