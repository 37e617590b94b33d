package rules

import (
	"math"
	"slices"

	"github.com/ackscale/ackscale"
)

// Op is an operation whose body this package validates.
type Op string

// The operations.
const (
	OpScaleOut      Op = "scale_out"      // POST /api/v2/clusters/{id} (ScaleOutCluster)
	OpScale         Op = "scale"          // PUT /clusters/{id} (ScaleCluster, legacy)
	OpCreateCluster Op = "create_cluster" // POST /clusters (CreateCluster)
	OpDeleteNodes   Op = "delete_nodes"   // POST /clusters/{id}/nodes and …/nodes/remove

	OpCreateNodePool      Op = "create_node_pool"       // POST /clusters/{id}/nodepools (CreateClusterNodePool)
	OpModifyNodePool      Op = "modify_node_pool"       // PUT /clusters/{id}/nodepools/{np} (ModifyClusterNodePool)
	OpScaleNodePool       Op = "scale_node_pool"        // POST /clusters/{id}/nodepools/{np} (ScaleClusterNodePool)
	OpRemoveNodePoolNodes Op = "remove_node_pool_nodes" // DELETE /clusters/{id}/nodepools/{np}/nodes (RemoveNodePoolNodes)
)

// profileFree reports whether the rules of op do not depend on the
// cluster's profile: one table serves every profile, and its checks read
// the profile from the Target where they need it.
func profileFree(op Op) bool {
	switch op {
	case OpScaleOut, OpScale:
		return false
	}
	return true
}

// Type is the JSON type a field must have (ruling 13).
type Type string

// The field types.
const (
	Int         Type = "int"        // a JSON integer: digits, no fraction or exponent (R2)
	String      Type = "string"     // a JSON string
	Bool        Type = "bool"       // true or false
	Strings     Type = "[]string"   // an array of strings
	Object      Type = "object"     // an object with the sub-fields in Field.Fields
	Objects     Type = "[]object"   // an array of such objects
	IntOrString Type = "int|string" // a JSON integer or a string of digits (ruling 6 only)
	Number      Type = "number"     // any JSON number, fractions included; no value rules apply
)

// Format names a check on the content of a string.
type Format string

// The string formats.
const (
	FormatPassword     Format = "password"       // ruling 3: 8–30 characters, ≥ 3 of 4 classes
	FormatCIDR         Format = "cidr"           // a canonical private IPv4 CIDR block
	FormatClusterName  Format = "cluster-name"   // letters, digits, Chinese characters, - and _
	FormatLabelKey     Format = "label-key"      // a Kubernetes label key
	FormatTagKey       Format = "tag-key"        // a label key that does not start with aliyun, acs:, http(s)://
	FormatLabelValue   Format = "label-value"    // a Kubernetes label value (may be empty)
	FormatBase64       Format = "base64"         // standard Base64
	FormatInteger      Format = "integer"        // a string of decimal digits; Field.Range bounds its value
	FormatNodeName     Format = "node-name"      // a Kubernetes node name (a DNS subdomain)
	FormatPoolName     Format = "pool-name"      // letters, digits, Chinese characters and -, not starting with - (R26)
	FormatECSTagKey    Format = "ecs-tag-key"    // an ECS tag key: not starting with aliyun or acs:, no http:// or https:// (R33)
	FormatECSTagValue  Format = "ecs-tag-value"  // an ECS tag value: the same rule as a key, and may be empty (R33)
	FormatNodeNameMode Format = "node-name-mode" // customized,PREFIX,ip,SUFFIX (R34)
)

// NoMax is the Bounds.Max of a range with no upper bound.
const NoMax = math.MaxInt

// Bounds is an inclusive range.
type Bounds struct {
	Min, Max int
	// Source, when set, cites where a length or item-count bound comes from
	// when the field's Source does not set it: OwnBound for the bounds
	// ackscale chose itself (R24), or the further ruling that states it.
	// Errors about the bound cite its further rulings alone (seeDocs).
	Source string
}

// OwnBound is the Bounds.Source of a bound no document sets: a generous
// one ackscale chose so that every string and list it keeps is bounded
// (R24).
const OwnBound = "ackscale bound, R24"

// Field is one rule-table row: a body field and everything checked about it
// on its own. Rules between fields are Checks.
type Field struct {
	// Name is the JSON key.
	Name string
	// Type is the JSON type it must have (ruling 13).
	Type Type
	// Required: an absent field (or null, or "" / [] for strings and
	// arrays) is CodeMissingParameter, unless it has a Default (ruling 8).
	Required bool
	// Default is the JSON text of the value used when the field is absent;
	// "" when there is none.
	Default string
	// DefaultNote describes a default that depends on the cluster or the
	// cloud, in words; Default is then "".
	DefaultNote string
	// Range bounds the value of Int and IntOrString fields, and of String
	// fields of FormatInteger (CodeOutOfRange).
	Range *Bounds
	// MultipleOf, when not 0, is the step the value must be a multiple of.
	MultipleOf int
	// ZeroOK allows 0 besides Range and MultipleOf (edge data disk).
	ZeroOK bool
	// Enum lists the allowed values, compared exactly (ruling 15). Int and
	// Bool values are written as JSON ("12", "true"). For Strings it applies
	// to each item.
	Enum []string
	// Unsupported lists values ACK accepts that ackscale does not: they are
	// CodeNotInEnum too, with a message saying so.
	Unsupported []string
	// Len bounds the length of a String in characters (CodeInvalidFormat)
	// or the number of items of an array (CodeOutOfRange) (R21).
	Len *Bounds
	// ItemLen bounds the length in characters of each item of a Strings
	// field (CodeInvalidFormat, R21).
	ItemLen *Bounds
	// Format checks the content of a String, or of each item of Strings.
	Format Format
	// Unique: no item of a Strings field may appear twice.
	Unique bool
	// UniqueBy: no two items of an Objects field may have equal values of
	// all these sub-fields.
	UniqueBy []string
	// Fields are the sub-fields of Object and Objects fields.
	Fields []Field
	// SDKEmpty are members of an Object or Objects field that an official
	// client's model holds but ackscale does not know: ignored when sent
	// empty, else CodeUnknownField (ruling 14, R36).
	SDKEmpty []string
	// EmptyIsAbsent: "", 0, false, [] and {} count as absent, and so does an
	// object each of whose members counts as absent (R36). Used where an
	// official client's model sends the field even when the caller did not
	// set it.
	EmptyIsAbsent bool
	// Ignored fields are type-checked but their value is not used (nor
	// kept: node pools drop them from their configuration, R27).
	Ignored bool
	// Inert fields are checked like any other and kept in the node pool's
	// configuration, which Describe answers with, but ackscale does not
	// act on them (R27).
	Inert bool
	// Secret values never appear in messages.
	Secret bool
	// Source cites the seeds, rulings (decisions.md) or further rulings
	// (R1…, docs/api.md) the row comes from. Its errors cite only the
	// further rulings, which users can read in docs/api.md (seeDocs).
	Source string
	// Note is extra text for the reference.
	Note string
}

// Check is a rule about several fields, or about the cluster or the cloud.
// Checks run after every field passed, in table order.
type Check struct {
	// Name is short and unique within the table, e.g. "credentials".
	Name string
	// Rule says what is checked, in words.
	Rule string
	// Fields are the fields the rule is about.
	Fields []string
	// Codes are the error codes it returns.
	Codes []string
	// Cloud marks a rule answered by the emulated cloud (ruling 16).
	Cloud bool
	// Source cites where the rule comes from; its errors cite only the
	// further rulings it names (seeDocs).
	Source string

	fn func(*state) error
}

// Table is the rule table of one operation on one profile.
type Table struct {
	Profile ackscale.Profile // "" for operations that do not depend on a cluster
	Op      Op
	Route   string
	Title   string // a heading for the reference
	Fields  []Field
	Checks  []Check
	// SDKEmpty are fields that an official client's model for the
	// operation has but the profile does not know: ignored when sent empty
	// (null, "", 0, false, [], {} or an object of such values), else
	// CodeUnknownField (ruling 14, R36).
	SDKEmpty []string
	// SDKEmptySource says which client models SDKEmpty comes from.
	SDKEmptySource string
	// Variant names this table among several tables of one profile and
	// operation, between which a field of the body chooses (R37); "" for
	// the first, which Lookup returns.
	Variant string
	// SelectedBy is the boolean field that chooses among the variants, and
	// SelectedWhen the JSON value ("true") that chooses this table; the
	// variant whose SelectedWhen is "" takes every other body (the field
	// absent, null or false).
	SelectedBy, SelectedWhen string
	// LoosePrefixes: any other field whose name starts with one of these
	// is accepted and ignored without a type check.
	LoosePrefixes []string

	build func(*state) (any, error)
}

// Tables returns every rule table, in the order of the reference.
func Tables() []Table {
	out := make([]Table, len(tables))
	for i, t := range tables {
		out[i] = t.clone()
	}
	return out
}

// Lookup returns the table of op on profile p. Operations whose rules do not
// depend on the cluster's profile (every one but OpScaleOut and OpScale)
// ignore p. Where the body chooses among variants (ScaleOutCluster on an
// edge cluster, R37), it returns the first; LookupVariant returns the others.
func Lookup(p ackscale.Profile, op Op) (Table, bool) {
	t, ok := lookup(p, op)
	if !ok {
		return Table{}, false
	}
	return t.clone(), true
}

// LookupVariant returns the table of op on profile p named variant (see
// Table.Variant).
func LookupVariant(p ackscale.Profile, op Op, variant string) (Table, bool) {
	for _, t := range variants(p, op) {
		if t.Variant == variant {
			return t.clone(), true
		}
	}
	return Table{}, false
}

// Fields returns the fields of op on profile p, in check order, or nil.
func Fields(p ackscale.Profile, op Op) []Field {
	t, _ := Lookup(p, op)
	return t.Fields
}

// Checks returns the cross-field and cloud checks of op on profile p, in
// check order, or nil.
func Checks(p ackscale.Profile, op Op) []Check {
	t, _ := Lookup(p, op)
	return t.Checks
}

func lookup(p ackscale.Profile, op Op) (*Table, bool) {
	if vs := variants(p, op); len(vs) > 0 {
		return vs[0], true
	}
	return nil, false
}

// variants are the tables of op on profile p, in table order.
func variants(p ackscale.Profile, op Op) []*Table {
	if profileFree(op) {
		p = ""
	}
	var out []*Table
	for i := range tables {
		if tables[i].Profile == p && tables[i].Op == op {
			out = append(out, &tables[i])
		}
	}
	return out
}

func (t Table) clone() Table {
	t.Fields = cloneFields(t.Fields)
	t.Checks = slices.Clone(t.Checks)
	for i := range t.Checks {
		t.Checks[i].Fields = slices.Clone(t.Checks[i].Fields)
		t.Checks[i].Codes = slices.Clone(t.Checks[i].Codes)
	}
	t.SDKEmpty = slices.Clone(t.SDKEmpty)
	t.LoosePrefixes = slices.Clone(t.LoosePrefixes)
	return t
}

func cloneFields(fs []Field) []Field {
	fs = slices.Clone(fs)
	for i := range fs {
		f := &fs[i]
		f.Enum, f.UniqueBy = slices.Clone(f.Enum), slices.Clone(f.UniqueBy)
		f.Unsupported = slices.Clone(f.Unsupported)
		f.Fields, f.SDKEmpty = cloneFields(f.Fields), slices.Clone(f.SDKEmpty)
		if f.Range != nil {
			r := *f.Range
			f.Range = &r
		}
		if f.Len != nil {
			l := *f.Len
			f.Len = &l
		}
		if f.ItemLen != nil {
			l := *f.ItemLen
			f.ItemLen = &l
		}
	}
	return fs
}
