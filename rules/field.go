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
)

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
)

// Format names a check on the content of a string.
type Format string

// The string formats.
const (
	FormatPassword    Format = "password"     // ruling 3: 8–30 characters, ≥ 3 of 4 classes
	FormatCIDR        Format = "cidr"         // a canonical private IPv4 CIDR block
	FormatClusterName Format = "cluster-name" // letters, digits, Chinese characters, - and _
	FormatLabelKey    Format = "label-key"    // a Kubernetes label key
	FormatTagKey      Format = "tag-key"      // a label key that does not start with aliyun, acs:, http(s)://
	FormatLabelValue  Format = "label-value"  // a Kubernetes label value (may be empty)
	FormatBase64      Format = "base64"       // standard Base64
	FormatInteger     Format = "integer"      // a string of decimal digits; Field.Range bounds its value
	FormatNodeName    Format = "node-name"    // a Kubernetes node name (a DNS subdomain)
)

// NoMax is the Bounds.Max of a range with no upper bound.
const NoMax = math.MaxInt

// Bounds is an inclusive range.
type Bounds struct {
	Min, Max int
	// Source, when set, cites where a length or item-count bound comes from
	// when the field's Source does not set it: OwnBound for the bounds
	// ackscale chose itself (R24), or the further ruling that states it.
	// Errors about the bound cite it alone.
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
	// EmptyIsAbsent: "", 0, false, [] and {} count as absent. Used where an
	// official SDK model sends the field even when the caller did not set it.
	EmptyIsAbsent bool
	// Ignored fields are type-checked but their value is not used.
	Ignored bool
	// Secret values never appear in messages.
	Secret bool
	// Source cites the seeds, rulings (decisions.md) or further rulings
	// (R1…, docs/api.md) the row comes from.
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
	// Source cites where the rule comes from.
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
	// SDKEmpty are fields that an official SDK's model for the operation
	// has but the profile does not know: ignored when sent empty, else
	// CodeUnknownField (ruling 14).
	SDKEmpty []string
	// SDKEmptySource says which SDK models SDKEmpty comes from.
	SDKEmptySource string
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

// Lookup returns the table of op on profile p. Operations that do not depend
// on a cluster (OpCreateCluster, OpDeleteNodes) ignore p.
func Lookup(p ackscale.Profile, op Op) (Table, bool) {
	t, ok := lookup(p, op)
	if !ok {
		return Table{}, false
	}
	return t.clone(), true
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
	if op == OpCreateCluster || op == OpDeleteNodes {
		p = ""
	}
	for i := range tables {
		if tables[i].Profile == p && tables[i].Op == op {
			return &tables[i], true
		}
	}
	return nil, false
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
		f.Fields = cloneFields(f.Fields)
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
