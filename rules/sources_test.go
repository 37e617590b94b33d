package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// citation matches one citation of a Source or a test row name.
var citation = regexp.MustCompile(`seeds? \d{3}(, \d{3})*( example)?|rulings? \d+(, \d+)*|R\d+|api\.md §3|decisions\.md|ackscale bound|SDK( [A-Z]\w+)?|clients\.md`)

// validationRulings are the rulings of decisions.md about request
// validation (1 and 2 are about answers).
var validationRulings = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}

func allRows() []row {
	var rows []row
	for _, f := range []func() []row{standardRows, legacyPOSTRows, edgeRows, sandboxRows, legacyRows, createRows, deleteRows,
		nodePoolRows, modifyPoolRows, scalePoolRows, removePoolRows} {
		rows = append(rows, f()...)
	}
	return rows
}

// TestSources: every field and check cites where it comes from, and only
// things that exist.
func TestSources(t *testing.T) {
	t.Parallel()
	everyField(func(where string, f Field) {
		checkCitations(t, where, f.Source)
		for _, b := range []*Bounds{f.Len, f.ItemLen} {
			if b != nil && b.Source != "" {
				checkCitations(t, where+" bound", b.Source)
				require.NotRegexp(t, `seed|ruling|api\.md|decisions`, b.Source, "%s: a bound's source is what its errors cite: a further ruling users can read", where)
			}
		}
	})
	for _, tab := range Tables() {
		for _, c := range tab.Checks {
			where := fmt.Sprintf("%s/%s check %s", tab.Profile, tab.Op, c.Name)
			checkCitations(t, where, c.Source)
			require.NotEmpty(t, c.Rule, where)
			require.NotEmpty(t, c.Codes, where)
			for _, code := range c.Codes {
				require.True(t, documented(code), "%s: code %s not in the reference", where, code)
			}
		}
	}
}

func checkCitations(t *testing.T, where, src string) {
	t.Helper()
	require.NotEmpty(t, src, "%s has no Source", where)
	rest := citation.ReplaceAllString(src, "")
	require.Empty(t, strings.Trim(rest, ", "), "%s: %q cites something unknown", where, src)
	for _, id := range regexp.MustCompile(`R\d+`).FindAllString(src, -1) {
		require.True(t, slices.ContainsFunc(furtherRulings, func(r ruling) bool { return r.ID == id }), "%s cites %s", where, id)
	}
	for _, n := range rulingNumbers(src) {
		require.True(t, n >= 1 && n <= 16, "%s cites ruling %d", where, n)
	}
}

// everyField calls fn with each field of every table, at any depth (its
// name dotted), and where it is: "profile/op name".
func everyField(fn func(where string, f Field)) {
	for _, tab := range Tables() {
		for _, f := range flatten(tab.Fields, "") {
			fn(fmt.Sprintf("%s/%s %s", tab.Profile, tab.Op, f.Name), f)
		}
	}
}

func flatten(fs []Field, prefix string) []Field {
	var out []Field
	for _, f := range fs {
		f.Name = prefix + f.Name
		out = append(out, f)
		out = append(out, flatten(f.Fields, f.Name+".")...)
	}
	return out
}

var rulingList = regexp.MustCompile(`rulings? (\d+(?:, \d+)*)`)

func rulingNumbers(s string) []int {
	var out []int
	for _, m := range rulingList.FindAllStringSubmatch(s, -1) {
		for _, n := range strings.Split(m[1], ", ") {
			i, _ := strconv.Atoi(n)
			out = append(out, i)
		}
	}
	return out
}

func documented(code string) bool {
	return slices.ContainsFunc(codeWhen, func(c struct{ code, when string }) bool { return c.code == code })
}

// TestRowsCiteEveryRuling: each ruling about validation, and each further
// ruling, is exercised by at least one named test row; every row cites one.
func TestRowsCiteEveryRuling(t *testing.T) {
	t.Parallel()
	cited := map[string]bool{}
	var names []string
	for _, r := range allRows() {
		names = append(names, r.name)
	}
	for _, c := range decodeCases() {
		names = append(names, c.name)
	}
	for _, name := range names {
		require.True(t, citation.MatchString(name), "row %q cites no seed or ruling", name)
		for _, n := range rulingNumbers(name) {
			cited[fmt.Sprint("ruling ", n)] = true
		}
		for _, id := range regexp.MustCompile(`R\d+`).FindAllString(name, -1) {
			cited[id] = true
		}
	}
	var missing []string
	for _, n := range validationRulings {
		if !cited[fmt.Sprint("ruling ", n)] {
			missing = append(missing, fmt.Sprint("ruling ", n))
		}
	}
	for _, r := range furtherRulings {
		if !cited[r.ID] {
			missing = append(missing, r.ID)
		}
	}
	require.Empty(t, missing, "no test row cites these")
}

// TestCodes: every code a field rule can return is documented, and every
// error a row expects uses a documented code.
func TestCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []string{ackscale.CodeBodyTooLarge, ackscale.CodeMalformedBody, ackscale.CodeUnknownField,
		ackscale.CodeInvalidType, ackscale.CodeMissingParameter, ackscale.CodeOutOfRange, ackscale.CodeNotInEnum,
		ackscale.CodeInvalidFormat, ackscale.CodeInvalidParameter, ackscale.CodeInvalidOperation} {
		require.True(t, documented(code), code)
	}
	for _, r := range allRows() {
		if r.code != "" {
			require.True(t, documented(r.code), "row %q expects undocumented %s", r.name, r.code)
		}
	}
}

// TestTablesWellFormed: defaults are valid values, formats exist, enums of
// ints and bools parse, and Lookup covers every profile.
func TestTablesWellFormed(t *testing.T) {
	t.Parallel()
	everyField(func(where string, f Field) {
		if f.Format != "" {
			require.Contains(t, formats, f.Format, where)
		}
		if f.Default != "" {
			val, err := decodeType(&f, []byte(f.Default), f.Name)
			require.NoError(t, err, where)
			_, err = checkValue(&f, val, f.Name)
			require.NoError(t, err, where)
		}
		for _, e := range f.Enum {
			switch f.Type {
			case Int:
				_, err := strconv.Atoi(e)
				require.NoError(t, err, where)
			case Bool:
				require.Contains(t, []string{"true", "false"}, e, where)
			}
		}
	})
	for _, p := range []ackscale.Profile{ackscale.ProfileLegacy, ackscale.ProfileStandard, ackscale.ProfileEdge, ackscale.ProfileSandbox} {
		require.NotEmpty(t, Fields(p, OpScaleOut), p)
		require.NotEmpty(t, Checks(p, OpScaleOut), p)
	}
	require.NotEmpty(t, Fields(ackscale.ProfileLegacy, OpScale))
	require.Empty(t, Fields(ackscale.ProfileEdge, OpScale))
	require.NotEmpty(t, Fields(ackscale.ProfileEdge, OpCreateCluster), "create ignores the profile")
}

// TestTablesAreCopies: callers cannot change the package's tables.
func TestTablesAreCopies(t *testing.T) {
	t.Parallel()
	fs := Fields(ackscale.ProfileEdge, OpScaleOut)
	fs[0].Name, fs[5].Enum[0], fs[0].Range.Min = "x", "x", 99
	again := Fields(ackscale.ProfileEdge, OpScaleOut)
	require.Equal(t, "count", again[0].Name)
	require.Equal(t, "1", again[5].Enum[0])
	require.Equal(t, 1, again[0].Range.Min)
}
