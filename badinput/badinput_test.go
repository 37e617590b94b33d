package badinput

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/rules"
)

// target is one table as a route on a cluster, with its base body.
type target struct {
	name   string
	table  rules.Table
	method string
	route  string // with {id} (and {np})
	path   string
	base   string
	// query: the operation takes no body but query parameters, which the
	// server makes into the JSON object the table validates
	// (RemoveNodePoolNodes, R32); the cases are sent as those parameters.
	query bool
}

// bases are the valid bodies each table's cases start from; the node
// pool tables' are the fixture's (poolBases).
var bases = map[string]string{
	"legacy/scale":         seed000Body,
	"legacy/scale_out":     seed002Body,
	"standard/scale_out":   seed002Body,
	"edge/scale_out":       seed001Body,
	"edge/scale_out:cloud": edgeCloudBody,
	"sandbox/scale_out":    seed004Body,
	"create_cluster":       createBody,
	"delete_nodes":         deleteBody,
}

// routeIn finds "METHOD /path" in a table's Route and Title (the
// deprecated RemoveClusterNodes route is in DeleteClusterNodes' title).
var routeIn = regexp.MustCompile(`(GET|POST|PUT|DELETE) (/\S+?)[)]?(?:\s|$)`)

// nodePoolOps are the node-pool tables' operations: they run on the
// fixture's pool cluster, and all but the create on its pool.
var nodePoolOps = []rules.Op{rules.OpCreateNodePool, rules.OpModifyNodePool, rules.OpScaleNodePool, rules.OpRemoveNodePoolNodes}

// targets are every table with a route, each route once.
func (f *fixture) targets(t *testing.T) []target {
	var out []target
	for _, tab := range rules.Tables() {
		name := tableName(tab)
		base, ok := bases[name]
		cluster := f.clusters[tab.Profile]
		if tab.Profile == "" {
			cluster = f.clusters[ackscale.ProfileStandard]
		}
		pool := slices.Contains(nodePoolOps, tab.Op)
		if pool {
			base, ok = f.poolBases[tab.Op]
			cluster = f.poolCluster
		}
		require.True(t, ok, "no base body for table %s: add one", name)
		for i, m := range routeIn.FindAllStringSubmatch(tab.Route+" "+tab.Title, -1) {
			p := strings.NewReplacer("{id}", cluster, "{np}", f.pool).Replace(m[2])
			tg := target{name: name, table: tab, method: m[1], route: m[2], path: p, base: base, query: tab.Op == rules.OpRemoveNodePoolNodes}
			if i > 0 {
				tg.name += "(" + m[2][strings.LastIndex(m[2], "/")+1:] + ")"
			}
			out = append(out, tg)
		}
	}
	return out
}

// cases are a target's cases: the generated ones and the body-level ones
// (or, for a query, the generated ones that a query can say and the
// query-level ones), and the mutations not generated.
func (tg target) cases(all []rules.Table) ([]badCase, []string) {
	g := generate(tg.table, tg.base, all, tg.query)
	switch tg.table.Op {
	case rules.OpCreateNodePool:
		g.cases = append(g.cases, poolLimitCases(tg.base)...)
	case rules.OpModifyNodePool:
		g.cases = append(g.cases, mergedCases(tg.base)...)
	}
	if !tg.query {
		return append(g.cases, bodyCases(tg.base)...), g.skipped
	}
	cases, skipped := asQueries(tg.table, g.cases, tg.path)
	return append(cases, queryCases(tg.base, tg.path)...), append(g.skipped, skipped...)
}

// TestBadInput sends every generated bad request to the real server and
// requires the documented refusal, and that nothing was created.
func TestBadInput(t *testing.T) {
	t.Parallel()
	start := time.Now()
	f := setup(t)
	t.Logf("bad input: 5 clusters and a node pool of one node ready at %s", time.Since(start).Round(time.Millisecond))
	before := f.counts(t)
	total := 0
	all := rules.Tables()
	var perTable []string
	prev := before
	for _, tg := range f.targets(t) {
		cases, skipped := tg.cases(all)
		requireUniqueNames(t, cases)
		for i := range cases {
			cases[i].req.method = tg.method
			if !tg.query {
				cases[i].req.path = tg.path
			}
		}
		// A query's unknown parameters run last, one at a time: one the
		// server took would remove the node the base names, and every
		// case after it would meet a busy pool instead of its own rule.
		var late []badCase
		if tg.query {
			late = slices.DeleteFunc(slices.Clone(cases), func(c badCase) bool { return !slices.Equal(c.want.codes, []string{ackscale.CodeUnknownField}) })
			cases = slices.DeleteFunc(cases, func(c badCase) bool { return slices.Equal(c.want.codes, []string{ackscale.CodeUnknownField}) })
		}
		var failed atomic.Int32
		tableStart := time.Now()
		t.Run(tg.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					defer func() {
						if t.Failed() {
							failed.Add(1)
						}
					}()
					f.expectRefused(t, c)
				})
			}
		})
		if len(late) > 0 {
			t.Run(tg.name+"(unknown-parameters)", func(t *testing.T) {
				for _, c := range late {
					if !t.Run(c.name, func(t *testing.T) { f.expectRefused(t, c) }) {
						failed.Add(1)
					}
				}
			})
		}
		now := f.counts(t)
		assert.Equal(t, prev, now, "%s: a refused request created or changed something", tg.name)
		prev = now
		n := len(cases) + len(late)
		total += n
		perTable = append(perTable, fmt.Sprintf("%s: %d", tg.name, n))
		verdict := "all refused as documented"
		if n := failed.Load(); n > 0 {
			verdict = fmt.Sprintf("%d NOT as documented", n)
		}
		t.Logf("bad input: %s: %d cases, %s, in %s (%s %s; %d mutations not generated: a documented rule accepts them, a query cannot say them, or they are about the cloud)",
			tg.name, n, verdict, time.Since(tableStart).Round(time.Millisecond), tg.method, tg.route, len(skipped))
		if testing.Verbose() {
			for _, s := range skipped {
				t.Logf("  not generated: %s: %s", tg.name, s)
			}
		}
	}
	after := f.counts(t)
	t.Logf("bad input: %s", strings.Join(perTable, "; "))
	t.Logf("bad input: %d cases in all, in %s; instances %d, workers %d, tasks %d, clusters %d, node pools %d before; %d, %d, %d, %d, %d after",
		total, time.Since(start).Round(time.Millisecond), before.Instances, before.Workers, before.Tasks, before.Clusters, before.Pools,
		after.Instances, after.Workers, after.Tasks, after.Clusters, after.Pools)
	require.Equal(t, before, after, "after the whole run")
	t.Run("bases accepted", func(t *testing.T) { f.basesAccepted(t) })
}

func requireUniqueNames(t *testing.T, cases []badCase) {
	seen := map[string]bool{}
	for _, c := range cases {
		require.False(t, seen[c.name], "two cases named %s", c.name)
		seen[c.name] = true
	}
}

// expectRefused sends c and checks the answer against c.want.
func (f *fixture) expectRefused(t *testing.T, c badCase) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := f.send(ctx, c.req)
	require.NoError(t, err)
	w := c.want
	show := string(c.req.body)
	if len(show) > 300 {
		show = show[:300] + fmt.Sprintf("… (%d bytes)", len(c.req.body))
	}
	desc := fmt.Sprintf("%s %s (Content-Type %q)\n%s\nanswer %d %s", c.req.method, c.req.path, c.req.contentType, show, a.status, clip(a.raw))
	require.Equal(t, w.status, a.status, "status; %s", desc)
	require.Contains(t, w.codes, a.code, "code; %s", desc)
	require.NotEmpty(t, a.message, "message; %s", desc)
	if w.field != "" {
		require.Contains(t, a.message, w.field, "the message names the field; %s", desc)
	}
	if w.text != "" {
		require.Contains(t, a.message, w.text, "message; %s", desc)
	}
	if len(a.message) > 1<<10 {
		// Not documented either way; reported: check errors echo values whole.
		t.Logf("note: the message is %d bytes long (the answer %d)", len(a.message), len(a.raw))
	}
	for _, s := range w.absent {
		require.NotContains(t, a.message, s, "the message says %q; %s", s, desc)
	}
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// basesAccepted sends each base body once, after the counts were checked:
// each is accepted (DeleteClusterNodes' passes validation and then names
// a node the cluster lacks), so every refusal above is its mutation's.
// The node pool bases run in table order: a new pool, the pool's desired
// size up by one, one node more, the fixture's node removed.
func (f *fixture) basesAccepted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tg := range f.targets(t) {
		r := request{method: tg.method, path: tg.path, body: []byte(tg.base), contentType: "application/json"}
		if tg.query {
			q, ok := toQuery(decode(tg.base))
			require.True(t, ok, "%s: the base cannot be a query", tg.name)
			r = request{method: tg.method, path: tg.path + "?" + q}
		}
		a, err := f.send(ctx, r)
		require.NoError(t, err)
		if tg.table.Op == rules.OpDeleteNodes {
			require.Equal(t, ackscale.CodeNodeNotFound, a.code, "%s: %s", tg.name, a.raw)
			continue
		}
		require.Equal(t, 202, a.status, "%s: base body refused: %s", tg.name, a.raw)
		var acc acsclient.Accepted
		require.NoError(t, json.Unmarshal(a.raw, &acc))
		task, err := f.client.WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
		require.NoError(t, err)
		require.Equal(t, "success", task.State, "%s: task %+v", tg.name, task.Error)
	}
}
