package badinput

import (
	"regexp"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// The shapes of the table checks' rules (rules.Check.Rule) the generator
// breaks. A check of another shape is listed as not generated.
var (
	// "exactly one of login_password and key_pair" (ruling 4), or create's
	// "at most one of …; exactly one for a dedicated cluster …".
	exactlyOne = regexp.MustCompile(`(exactly|at most) one of (\w+) and (\w+)`)
	// "when A is V and B is W, X and Y are required".
	whenRequired = regexp.MustCompile(`^when (.+), (\w+(?: and \w+)*) (?:is|are) required$`)
	condTerm     = regexp.MustCompile(`^(\w+) is (\w+)$`)
	// "A, when sent, agrees with B: true needs at least one …, false allows none" (R8).
	agrees = regexp.MustCompile(`^(\w+), when sent, agrees with (\w+): true needs at least one .*, false allows none$`)
	// "A and the legacy … are not sent together" (R17).
	together = regexp.MustCompile(`^(\w+) and the legacy .* are not sent together$`)
	// "workers to create (A > 0) need B" (R17).
	positiveNeeds = regexp.MustCompile(`\((\w+) > 0\) need (\w+)$`)
	// "A and B do not overlap" (R17).
	noOverlap = regexp.MustCompile(`^(\w+) and (\w+) do not overlap$`)
)

// checks breaks each table check whose rule has a known shape. The base
// passes every check; each case changes only what its check is about.
func (g *gen) checks() {
	for i, c := range g.tab.Checks {
		name := "check:" + c.Name
		switch {
		case exactlyOne.MatchString(c.Rule):
			g.exactlyOne(c, name)
		case whenRequired.MatchString(c.Rule):
			g.whenRequired(i, c, name)
		case agrees.MatchString(c.Rule):
			m := agrees.FindStringSubmatch(c.Rule)
			flag, list := m[1], m[2]
			g.mutate(name+"/true-without-"+list, func(b body) { b[flag] = true; delete(b, list) },
				want(ackscale.CodeMissingParameter, list))
			g.mutate(name+"/false-with-"+list, func(b body) { b[flag] = false; g.fill(b, list) },
				want(ackscale.CodeConflict, flag))
		case together.MatchString(c.Rule):
			a := together.FindStringSubmatch(c.Rule)[1]
			for _, other := range c.Fields {
				if other != a {
					g.mutate(name+"/"+a+"-and-"+other, func(b body) { g.fill(b, a); g.fill(b, other) },
						want(ackscale.CodeConflict, other))
				}
			}
		case positiveNeeds.MatchString(c.Rule):
			m := positiveNeeds.FindStringSubmatch(c.Rule)
			g.mutate(name+"/"+m[1]+"-without-"+m[2], func(b body) { b[m[1]] = num(1); delete(b, m[2]) },
				want(ackscale.CodeMissingParameter, m[2]))
		case noOverlap.MatchString(c.Rule) && len(c.Fields) == 1:
			m := noOverlap.FindStringSubmatch(c.Rule)
			other := m[1]
			if other == c.Fields[0] {
				other = m[2]
			}
			g.mutate(name+"/"+c.Fields[0]+"-equals-"+other, func(b body) { g.fill(b, other); b[c.Fields[0]] = b[other] },
				want(ackscale.CodeConflict, c.Fields[0]))
		case slices.Equal(c.Codes, []string{ackscale.CodeQuotaExceeded}):
			g.quota(c, name)
		case slices.Equal(c.Codes, []string{ackscale.CodeConflict}) && len(c.Fields) == 1:
			g.valueConflict(c, name)
		default:
			g.skip(name, "a rule about the cluster or the cloud, outside bad input ("+c.Rule+")")
		}
	}
}

// mutate records a case that changes the whole body.
func (g *gen) mutate(name string, fn func(b body), w expect) {
	g.add(name, loc{}, fn, w)
}

// fill sets a top-level field to a valid value unless the body has one.
func (g *gen) fill(b body, name string) {
	if _, ok := b[name]; ok {
		return
	}
	if f, ok := g.lookup(name); ok {
		b[name] = validValue(f)
	}
}

// exactlyOne: both fields (Conflict), and neither (MissingParameter) when
// the rule asks for exactly one of this base (ruling 4, R17).
func (g *gen) exactlyOne(c rules.Check, name string) {
	m := exactlyOne.FindStringSubmatch(c.Rule)
	a, b := m[2], m[3]
	both := a + "," + b
	g.mutate(name+"/both", func(body body) { g.fill(body, a); g.fill(body, b) }, want(ackscale.CodeConflict, both))
	required := m[1] == "exactly" ||
		strings.Contains(c.Rule, "exactly one for a dedicated cluster (cluster_type Kubernetes)") && g.base["cluster_type"] == ackscale.ClusterTypeDedicated
	if required {
		g.mutate(name+"/neither", func(body body) { delete(body, a); delete(body, b) }, want(ackscale.CodeMissingParameter, both))
	} else {
		g.skip(name+"/neither", "neither is allowed here: "+c.Rule)
	}
}

// condition parses "A is V and B is W" into field values.
func (g *gen) condition(text string) map[string]any {
	out := map[string]any{}
	for _, term := range strings.Split(text, " and ") {
		m := condTerm.FindStringSubmatch(term)
		if m == nil {
			return nil
		}
		f, ok := g.lookup(m[1])
		if !ok {
			return nil
		}
		var val any = m[2]
		if f.Type == rules.Bool {
			val = m[2] == "true"
		}
		out[m[1]] = val
	}
	return out
}

// holds reports whether b meets cond, absent fields taking their default.
func (g *gen) holds(b body, cond map[string]any) bool {
	for name, want := range cond {
		got, ok := b[name]
		if !ok {
			f, _ := g.lookup(name)
			got = strings.Trim(f.Default, `"`)
			if f.Type == rules.Bool {
				got = f.Default == "true"
			}
		}
		if got != want {
			return false
		}
	}
	return true
}

// whenRequired: meet the condition, send every required field but one
// (and what the earlier checks of this shape then require), and expect
// that one to be MissingParameter.
func (g *gen) whenRequired(i int, c rules.Check, name string) {
	m := whenRequired.FindStringSubmatch(c.Rule)
	cond := g.condition(m[1])
	if cond == nil {
		g.skip(name, "condition not understood: "+c.Rule)
		return
	}
	needed := strings.Split(m[2], " and ")
	for _, missing := range needed {
		g.mutate(name+"/without-"+missing, func(b body) {
			for k, val := range cond {
				b[k] = val
			}
			for _, earlier := range g.tab.Checks[:i] {
				if em := whenRequired.FindStringSubmatch(earlier.Rule); em != nil && g.holds(b, g.condition(em[1])) {
					for _, n := range strings.Split(em[2], " and ") {
						g.fill(b, n)
					}
				}
			}
			for _, n := range needed {
				g.fill(b, n)
			}
			delete(b, missing)
		}, want(ackscale.CodeMissingParameter, missing))
	}
}

// quota: the field one past the default quota of workers per cluster
// (ruling 9), the clusters having no workers; a range that stops it first
// is a range case.
func (g *gen) quota(c rules.Check, name string) {
	f, ok := g.lookup(c.Fields[0])
	n := rules.DefaultMaxWorkers + 1
	if !ok || f.Range == nil || f.Range.Max != rules.NoMax && f.Range.Max < n {
		g.skip(name, "its range refuses the quota + 1 first")
		return
	}
	g.mutate(name+"/quota+1", func(b body) { b[f.Name] = num(n) }, want(ackscale.CodeQuotaExceeded, f.Name))
}

// valueConflict: a rule refusing a value of one field in the base's
// context (create's rules for a dedicated cluster): the enumeration values
// the rule names, else the field's first.
func (g *gen) valueConflict(c rules.Check, name string) {
	field := c.Fields[0]
	f, ok := g.lookup(field)
	if !ok || len(f.Enum) == 0 {
		g.skip(name, "no value to try ("+c.Rule+")")
		return
	}
	vals := slices.DeleteFunc(slices.Clone(f.Enum), func(e string) bool { return !strings.Contains(c.Rule, e) })
	if len(vals) == 0 {
		vals = f.Enum[:1]
	}
	parent, sub, nested := strings.Cut(field, ".")
	for _, val := range vals {
		g.mutate(name+"/"+val, func(b body) {
			if !nested {
				b[field] = val
				return
			}
			obj, ok := b[parent].(map[string]any)
			if !ok {
				obj = map[string]any{}
				b[parent] = obj
			}
			obj[sub] = val
		}, want(ackscale.CodeConflict, field))
	}
}
