package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
)

// codeWhen says when each code is returned, in the order of the reference.
var codeWhen = []struct{ code, when string }{
	{ackscale.CodeBodyTooLarge, "the body is larger than 1 MiB (R16)"},
	{ackscale.CodeMalformedBody, "the body is not one JSON object of valid UTF-8, has a key twice, is nested deeper than 32 levels or has data after the object; the message gives the byte offset (R16)"},
	{ackscale.CodeUnknownField, "a field the operation does not take on this cluster's profile, unless an official client's model has it and it is sent empty (ruling 14, R36); also inside objects"},
	{ackscale.CodeInvalidType, "a value of the wrong JSON type, including `2.0` or `1e3` for an integer (rulings 13, R2); on an edge cluster's ScaleOutCluster, an `is_edge_worker` that is not a boolean, before anything else (R37)"},
	{ackscale.CodeMissingParameter, "a required field is absent, null, \"\" or [] (R15), or a field another one makes required is absent"},
	{ackscale.CodeOutOfRange, "a number outside its range or step, an integer beyond 64 bits, an array with too few or too many items (R21, R24), or a node pool's desired size outside its auto-scaling bounds (R28)"},
	{ackscale.CodeNotInEnum, "a value outside an enumeration, compared exactly, or a runtime or runtime version the cloud does not offer; the message lists the valid values (ruling 15, R25)"},
	{ackscale.CodeInvalidFormat, "a string (or an item of a list) of the wrong shape or length: password (ruling 3), CIDR, name, label, Base64, digits (R21, R24)"},
	{ackscale.CodeInvalidParameter, "an item listed twice, a vSwitch outside the cluster's (or the request's) region or VPC, or a modification that changes a node pool's type (R28)"},
	{ackscale.CodeConflict, "fields that exclude each other: both login_password and key_pair (ruling 4), and the pairs under each table"},
	{ackscale.CodePasswordMismatch, "the legacy PUT's credential is not the cluster's (ruling 3, R10)"},
	{ackscale.CodeNoChange, "the legacy PUT's num_of_nodes equals the current worker count (ruling 10)"},
	{ackscale.CodeQuotaExceeded, "the scale-out, or a node pool's desired size, would take the cluster past its quota of workers (default 1000; ruling 9, R26)"},
	{ackscale.CodeInvalidOperation, "the operation does not apply to the cluster's profile, e.g. the legacy PUT on a managed cluster (decisions.md)"},
	{ackscale.CodeRegionNotFound, "region_id is not a region of the cloud (ruling 16)"},
	{ackscale.CodeENSRegionNotFound, "ens_region_id is not an ENS region of the cloud (ruling 16)"},
	{ackscale.CodeVSwitchNotFound, "a vSwitch does not exist (ruling 16)"},
	{ackscale.CodeInstanceTypeNotFound, "an instance type does not exist, or belongs to another service than the cluster's (ruling 16, R19)"},
	{ackscale.CodeImageNotFound, "an image does not exist (ruling 16)"},
	{ackscale.CodeDiskTooSmall, "a system disk smaller than its image (ruling 5, R6)"},
	{ackscale.CodeKeyPairNotFound, "key_pair does not exist in the cluster's region (ruling 4)"},
}

// Reference returns the Markdown reference of every rule table: the part of
// docs/api.md between its markers.
func Reference() string {
	var b strings.Builder
	b.WriteString(orderText)
	for _, t := range tables {
		writeTable(&b, &t)
	}
	writeCodes(&b)
	writeRulings(&b)
	return b.String()
}

const orderText = `## How a body is checked

Every operation validates its body in this order and answers the **first** error only (R13):

1. **The body** (R16): at most 1 MiB, valid UTF-8, one JSON object, no key twice in any object, at most
   32 levels deep, nothing after the object.
2. **Unknown fields** (ruling 14, R36): a field the table does not list is ` + "`InvalidParameter.UnknownField`" + `,
   unless an official client's model of the operation has it and it is sent empty (null, "", 0, false, [], {},
   or an object whose members are all empty). The first unknown field by byte order of its name is reported.
3. **Each field, in table order**: its JSON type (ruling 13; integers are plain digits, R2), then whether it
   is present (a JSON null is absent, R3; a required "" or [] is missing, R15; defaults apply, ruling 8),
   then its value: range and step, enumeration, length, format, the sub-fields of objects in their own
   table order, uniqueness.
4. **The table's rules**, in the order listed under it: rules between fields, then the cluster
   (credentials, quota, worker count), then the cloud's catalog (ruling 16).

On an edge cluster, ScaleOutCluster has two tables, and ` + "`is_edge_worker`" + ` chooses between them once the body is read:
` + "`true`" + ` takes the ENS edge workers' table, absent, null or ` + "`false`" + ` the ECS cloud workers' one (R37).

Errors name the field (` + "`worker_data_disks[0].size`, `runtime.name`" + `) in both the error's field and its
message and say what is allowed: an enumeration's values, and, for a name the cloud's catalog lacks (instance
type, image, vSwitch, key pair, region, ENS region, Kubernetes version, runtime), the valid ones in that context,
at most 10 and then how many there are ("… (19 in all)"). Where a further ruling at the end of this page decides,
the message ends by citing it, as in ` + "`(see docs/api.md, R24)`" + `; messages cite nothing else, so nothing outside
this repository. Passwords never appear in messages. Validation has no side effects.

In the tables, *Source* cites the seeds (` + "`shared/seeds`" + `, the five ACK reference pages ackscale was made from), the rulings of decisions.md ("ruling N"),
the SDK request models of api.md §3, and the further rulings at the end of this page (R1, R2, …). The node-pool tables cite
the request models of the official Node.js SDK, ` + "`@alicloud/cs20151215`" + ` 7.2.0: *SDK* is the operation's model, named in the table's
title, and *SDK DataDisk* (and so on) one of its shared sub-models.
A field *kept, not acted on* is checked and kept in the node pool's configuration, which DescribeClusterNodePools answers with,
but changes nothing ackscale emulates (R27).
`

func writeTable(b *strings.Builder, t *Table) {
	fmt.Fprintf(b, "\n## %s\n\n`%s`", t.Title, t.Route)
	if t.Profile != "" {
		fmt.Fprintf(b, ", profile `%s`", t.Profile)
	}
	switch {
	case t.SelectedBy == "":
	case t.SelectedWhen != "":
		fmt.Fprintf(b, ", `%s` `%s` (R37)", t.SelectedBy, t.SelectedWhen)
	default:
		fmt.Fprintf(b, ", `%s` absent, null or `false` (R37)", t.SelectedBy)
	}
	b.WriteString("\n\n| Field | Type | Required | Default | Allowed | Source |\n|---|---|---|---|---|---|\n")
	var ignored []string
	for i := range t.Fields {
		if t.Fields[i].Ignored {
			ignored = append(ignored, fmt.Sprintf("`%s` (%s)", t.Fields[i].Name, t.Fields[i].Type))
			continue
		}
		writeField(b, &t.Fields[i], "")
	}
	if len(ignored) > 0 {
		fmt.Fprintf(b, "\nAccepted, type-checked and ignored (R17): %s.\n", strings.Join(ignored, ", "))
	}
	if len(t.LoosePrefixes) > 0 {
		fmt.Fprintf(b, "\nAny other field starting with %s is accepted and ignored (R17).\n", quoteAll(t.LoosePrefixes, " or "))
	}
	if len(t.SDKEmpty) > 0 {
		fmt.Fprintf(b, "\nIgnored when sent empty, else `InvalidParameter.UnknownField` (ruling 14, R36; in %s): %s.\n",
			t.SDKEmptySource, quoteAll(t.SDKEmpty, ", "))
	}
	writeChecks(b, t.Checks)
}

func writeField(b *strings.Builder, f *Field, prefix string) {
	name := prefix + f.Name
	fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", name, cell(string(f.Type)), required(f), cell(defaultText(f)), cell(allowed(f)), cell(sources(f)))
	sub := name + "."
	if f.Type == Objects {
		sub = name + "[]."
	}
	for i := range f.Fields {
		writeField(b, &f.Fields[i], sub)
	}
}

func required(f *Field) string {
	if f.Required {
		return "yes"
	}
	return ""
}

func defaultText(f *Field) string {
	switch {
	case f.Default != "":
		return "`" + f.Default + "`"
	case f.DefaultNote != "":
		return f.DefaultNote
	}
	return ""
}

// allowed describes a field's value rules in words.
func allowed(f *Field) string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if f.Range != nil {
		add("%s", rangeText(f))
	}
	if f.ZeroOK {
		add("or 0")
	}
	switch len(f.Enum) {
	case 0:
	case 1:
		add("must be %s", quoteAll(f.Enum, ""))
	default:
		add("one of %s", quoteAll(f.Enum, ", "))
	}
	if len(f.Unsupported) > 0 {
		add("not supported: %s", quoteAll(f.Unsupported, ", "))
	}
	if f.Len != nil {
		add("%s", lengthText(f.Len, lengthUnit(f)))
	}
	if f.ItemLen != nil {
		add("each item %s", lengthText(f.ItemLen, "characters"))
	}
	if f.Format != "" {
		add("format %s", f.Format)
	}
	if f.Unique {
		add("no item twice")
	}
	if len(f.UniqueBy) > 0 {
		add("no two items with the same %s", strings.Join(f.UniqueBy, " and "))
	}
	if f.EmptyIsAbsent {
		add("empty = absent (R14)")
	}
	if len(f.SDKEmpty) > 0 {
		add("also takes %s, ignored when empty (R36)", quoteAll(f.SDKEmpty, ", "))
	}
	if f.Inert {
		add("kept, not acted on (R27)")
	}
	if f.Ignored {
		add("type-checked, then ignored and not kept")
	}
	if f.Secret {
		add("never echoed")
	}
	if f.Note != "" {
		add("%s", f.Note)
	}
	return strings.Join(parts, "; ")
}

func rangeText(f *Field) string {
	r := fmt.Sprintf("[%d, %d]", f.Range.Min, f.Range.Max)
	if f.Range.Max == NoMax {
		r = fmt.Sprintf("≥ %d", f.Range.Min)
	}
	if f.MultipleOf != 0 {
		r = fmt.Sprintf("multiple of %d in %s", f.MultipleOf, r)
	}
	return r
}

func lengthUnit(f *Field) string {
	if f.Type == Strings || f.Type == Objects {
		return "items"
	}
	return "characters"
}

func lengthText(l *Bounds, unit string) string {
	switch {
	case l.Max == NoMax:
		return fmt.Sprintf("at least %d %s", l.Min, unit)
	case l.Min == 0:
		return fmt.Sprintf("at most %d %s", l.Max, unit)
	}
	return fmt.Sprintf("%d–%d %s", l.Min, l.Max, unit)
}

// sources is a field's Source and the sources of its bounds that it does
// not already cite.
func sources(f *Field) string {
	src := f.Source
	for _, b := range []*Bounds{f.Len, f.ItemLen} {
		if b == nil || b.Source == "" {
			continue
		}
		have := strings.Split(src, ", ")
		for _, c := range strings.Split(b.Source, ", ") {
			if !slices.Contains(have, c) {
				src += ", " + c
			}
		}
	}
	return src
}

func writeChecks(b *strings.Builder, checks []Check) {
	if len(checks) == 0 {
		return
	}
	b.WriteString("\nThen, in this order:\n\n")
	for i, c := range checks {
		kind := ""
		if c.Cloud {
			kind = " (cloud)"
		}
		fmt.Fprintf(b, "%d. `%s`%s: %s. Fields %s; %s. *%s*\n", i+1, c.Name, kind, c.Rule,
			quoteAll(c.Fields, ", "), quoteAll(c.Codes, ", "), c.Source)
	}
}

func writeCodes(b *strings.Builder) {
	b.WriteString("\n## Error codes\n\nEvery validation error is one of these (HTTP 400 unless the server maps it otherwise).\n\n| Code | Returned when |\n|---|---|\n")
	for _, c := range codeWhen {
		fmt.Fprintf(b, "| `%s` | %s |\n", c.code, cell(c.when))
	}
}

func writeRulings(b *strings.Builder) {
	b.WriteString("\n## Further rulings\n\nWhere the seeds and decisions.md are silent, or an official SDK forces our hand, ackscale decides as follows.\n\n")
	for _, r := range furtherRulings {
		fmt.Fprintf(b, "- **%s.** %s *Why:* %s\n", r.ID, r.Rule, r.Reason)
	}
}

func quoteAll(items []string, sep string) string {
	q := slices.Clone(items)
	for i, s := range q {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, sep)
}

// cell escapes a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
