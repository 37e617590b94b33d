package badinput

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/rules"
)

// path is a field as the checks name it: top-level (login_password) or
// dotted (scaling_group.private_pool_options.id).
const path = `[\w.]*\w`

// The shapes of the table checks' rules (rules.Check.Rule) the generator
// breaks. A check of another shape is listed as not generated.
var (
	// "exactly one of login_password and key_pair" (ruling 4), or create's
	// "at most one of …; exactly one for a dedicated cluster …".
	exactlyOne = regexp.MustCompile(`(exactly|at most) one of (` + path + `) and (` + path + `)`)
	// "at least one of A and B" (R32).
	atLeastOne = regexp.MustCompile(`^at least one of (` + path + `) and (` + path + `)$`)
	// "when A is V and B is W, X and Y are required".
	whenRequired = regexp.MustCompile(`^when (.+), (` + path + `(?: and ` + path + `)*) (?:is|are) required$`)
	condTerm     = regexp.MustCompile(`^(` + path + `) is (\w+)$`)
	// "when A is V, B is 1, 2 or 3 and C 1 or 2" (R35).
	whenOneOf     = regexp.MustCompile(`^when (` + path + ` is \w+), (.+)$`)
	oneOfTerm     = regexp.MustCompile(`^(` + path + `)(?: is)? (\d+(?:, \d+)*(?: or \d+)?)$`)
	listedNumbers = regexp.MustCompile(`\d+`)
	// "when A is true, B is at most C" (R28).
	atMost = regexp.MustCompile(`^when (` + path + ` is \w+), (` + path + `) is at most (` + path + `)$`)
	// "when A is true, the desired size is within [B, C]" (R28).
	desiredWithin = regexp.MustCompile(`^when (` + path + ` is \w+), the desired size is within \[(` + path + `), (` + path + `)\]$`)
	// "a pool whose A is V logs in with a key pair, not a login password" (R29).
	keyPairOnly = regexp.MustCompile(`^a pool whose (` + path + `) is (\w+) logs in with a key pair, not a login password$`)
	// "A V only on a sandbox cluster (…)" (R26).
	valueOnlyOn = regexp.MustCompile(`^(` + path + `) (\S+) only on `)
	// "A, when sent, agrees with B: true needs at least one …, false allows none" (R8).
	agrees = regexp.MustCompile(`^(\w+), when sent, agrees with (\w+): true needs at least one .*, false allows none$`)
	// "A and the legacy … are not sent together" (R17).
	together = regexp.MustCompile(`^(\w+) and the legacy .* are not sent together$`)
	// "A and B are not sent together" (R31).
	notTogether = regexp.MustCompile(`^(` + path + `) and (` + path + `) are not sent together$`)
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
		case c.Cloud:
			g.skip(name, "a rule about the cloud, outside bad input ("+c.Rule+")")
		case exactlyOne.MatchString(c.Rule):
			g.exactlyOne(c, name)
		case atLeastOne.MatchString(c.Rule):
			m := atLeastOne.FindStringSubmatch(c.Rule)
			g.mutate(name+"/neither", func(b body) { g.deleteAt(b, m[1]); g.deleteAt(b, m[2]) },
				want(ackscale.CodeMissingParameter, m[1]+","+m[2]))
		case whenRequired.MatchString(c.Rule):
			g.whenRequired(i, c, name)
		case whenOneOf.MatchString(c.Rule) && slices.Equal(c.Codes, []string{ackscale.CodeNotInEnum}):
			g.whenOneOf(c, name)
		case atMost.MatchString(c.Rule):
			g.atMost(c, name)
		case desiredWithin.MatchString(c.Rule):
			g.desiredWithin(c, name)
		case keyPairOnly.MatchString(c.Rule) && len(c.Fields) == 2:
			m := keyPairOnly.FindStringSubmatch(c.Rule)
			password := c.Fields[1]
			keyPair := strings.TrimSuffix(password, "login_password") + "key_pair"
			g.mutate(name+"/"+m[2]+"-with-password", func(b body) {
				g.setAt(b, m[1], m[2])
				g.deleteAt(b, keyPair)
				g.fill(b, password)
			}, want(c.Codes[0], password))
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
		case notTogether.MatchString(c.Rule):
			m := notTogether.FindStringSubmatch(c.Rule)
			g.mutate(name+"/both", func(b body) { g.fill(b, m[1]); g.fill(b, m[2]) }, want(ackscale.CodeConflict, m[1]))
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
		case valueOnlyOn.MatchString(c.Rule) && len(c.Fields) == 1 && len(c.Codes) == 1:
			g.valueOnlyOn(c, name)
		default:
			g.skip(name, "a rule about the cluster or the pool, outside bad input ("+c.Rule+")")
		}
	}
}

// mutate records a case that changes the whole body.
func (g *gen) mutate(name string, fn func(b body), w expect) {
	g.add(name, loc{}, fn, w)
}

// fill sets a field (a dotted path) to a valid value unless the body has
// one.
func (g *gen) fill(b body, name string) {
	if _, ok := g.getAt(b, name); ok {
		return
	}
	if f, ok := g.lookup(name); ok {
		g.setAt(b, name, validValue(f))
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
		g.mutate(name+"/neither", func(body body) { g.deleteAt(body, a); g.deleteAt(body, b) }, want(ackscale.CodeMissingParameter, both))
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
		got, ok := g.getAt(b, name)
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
				g.setAt(b, k, val)
			}
			for _, earlier := range g.tab.Checks[:i] {
				em := whenRequired.FindStringSubmatch(earlier.Rule)
				if em == nil {
					continue
				}
				if ec := g.condition(em[1]); ec != nil && g.holds(b, ec) {
					for _, n := range strings.Split(em[2], " and ") {
						g.fill(b, n)
					}
				}
			}
			for _, n := range needed {
				g.fill(b, n)
			}
			g.deleteAt(b, missing)
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
	g.mutate(name+"/quota+1", func(b body) { g.setAt(b, c.Fields[0], num(n)) }, want(ackscale.CodeQuotaExceeded, c.Fields[0]))
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
	for _, val := range vals {
		g.mutate(name+"/"+val, func(b body) { g.setAt(b, field, val) }, want(ackscale.CodeConflict, field))
	}
}

// valueOnlyOn: a rule allowing a value of one field only on another kind
// of cluster than the base's (a pool's sandboxed runtime): each value of
// the field's enumeration the rule names.
func (g *gen) valueOnlyOn(c rules.Check, name string) {
	field := c.Fields[0]
	f, ok := g.lookup(field)
	val := valueOnlyOn.FindStringSubmatch(c.Rule)[2]
	if !ok || !slices.Contains(f.Enum, val) || valueOnlyOn.FindStringSubmatch(c.Rule)[1] != field {
		g.skip(name, "no value to try ("+c.Rule+")")
		return
	}
	g.mutate(name+"/"+val, func(b body) { g.setAt(b, field, val) }, want(c.Codes[0], field))
}

// condTerms sets the fields of a condition ("A is V and B is W") in b.
func (g *gen) condTerms(b body, cond map[string]any) {
	for k, val := range cond {
		g.setAt(b, k, val)
	}
}

// whenOneOf: the condition met, each listed field one value of its
// enumeration that the rule does not list (R35's Week periods).
func (g *gen) whenOneOf(c rules.Check, name string) {
	m := whenOneOf.FindStringSubmatch(c.Rule)
	cond := g.condition(m[1])
	terms := strings.Split(m[2], " and ")
	if cond == nil {
		g.skip(name, "condition not understood: "+c.Rule)
		return
	}
	for _, term := range terms {
		tm := oneOfTerm.FindStringSubmatch(term)
		if tm == nil {
			g.skip(name, "term not understood: "+term)
			continue
		}
		f, ok := g.lookup(tm[1])
		listed := listedNumbers.FindAllString(tm[2], -1)
		i := slices.IndexFunc(f.Enum, func(e string) bool { return !slices.Contains(listed, e) })
		if !ok || i < 0 {
			g.skip(name+"/"+tm[1], "no value outside "+tm[2]+" to try")
			continue
		}
		val, _ := strconv.Atoi(f.Enum[i])
		g.mutate(name+"/"+tm[1]+"-"+f.Enum[i], func(b body) { g.condTerms(b, cond); g.setAt(b, tm[1], num(val)) },
			want(c.Codes[0], tm[1]))
	}
}

// atMost: the condition met, the first bound above the second; the error
// names the second.
func (g *gen) atMost(c rules.Check, name string) {
	m := atMost.FindStringSubmatch(c.Rule)
	cond := g.condition(m[1])
	if cond == nil {
		g.skip(name, "condition not understood: "+c.Rule)
		return
	}
	g.mutate(name+"/"+m[2]+"-above-"+m[3], func(b body) { g.condTerms(b, cond); g.setAt(b, m[2], num(2)); g.setAt(b, m[3], num(1)) },
		want(c.Codes[0], m[3]))
}

// desiredWithin: the condition met, the desired size below and above the
// bounds; sent as the check's first field (desired_size) and, when the
// table has its deprecated stand-in (count), as that.
func (g *gen) desiredWithin(c rules.Check, name string) {
	m := desiredWithin.FindStringSubmatch(c.Rule)
	cond := g.condition(m[1])
	if cond == nil || len(c.Fields) == 0 {
		g.skip(name, "condition not understood: "+c.Rule)
		return
	}
	const size = 2
	for _, field := range c.Fields {
		if _, ok := g.lookup(field); !ok {
			continue
		}
		for _, r := range []struct {
			side     string
			min, max int
		}{{"below", size + 1, size + 2}, {"above", 0, size - 1}} {
			g.mutate(name+"/"+field+"-"+r.side, func(b body) {
				for _, other := range c.Fields {
					g.deleteAt(b, other)
				}
				g.condTerms(b, cond)
				g.setAt(b, field, num(size))
				g.setAt(b, m[2], num(r.min))
				g.setAt(b, m[3], num(r.max))
			}, want(c.Codes[0], field))
		}
	}
}
