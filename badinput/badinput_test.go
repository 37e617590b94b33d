package badinput

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	route  string // with {id}
	path   string
	base   string
}

// bases are the valid bodies each table's cases start from.
var bases = map[string]string{
	"legacy/scale":       seed000Body,
	"legacy/scale_out":   seed002Body,
	"standard/scale_out": seed002Body,
	"edge/scale_out":     seed001Body,
	"sandbox/scale_out":  seed004Body,
	"create_cluster":     createBody,
	"delete_nodes":       deleteBody,
}

// routeIn finds "METHOD /path" in a table's Route and Title (the
// deprecated RemoveClusterNodes route is in DeleteClusterNodes' title).
var routeIn = regexp.MustCompile(`(GET|POST|PUT|DELETE) (/\S+?)[)]?(?:\s|$)`)

// targets are every table with a route, each route once.
func (f *fixture) targets(t *testing.T) []target {
	var out []target
	for _, tab := range rules.Tables() {
		name := tableName(tab)
		base, ok := bases[name]
		require.True(t, ok, "no base body for table %s: add one", name)
		cluster := f.clusters[tab.Profile]
		if tab.Profile == "" {
			cluster = f.clusters[ackscale.ProfileStandard]
		}
		for i, m := range routeIn.FindAllStringSubmatch(tab.Route+" "+tab.Title, -1) {
			tg := target{name: name, table: tab, method: m[1], route: m[2], path: strings.ReplaceAll(m[2], "{id}", cluster), base: base}
			if i > 0 {
				tg.name += "(" + m[2][strings.LastIndex(m[2], "/")+1:] + ")"
			}
			out = append(out, tg)
		}
	}
	return out
}

// TestBadInput sends every generated bad request to the real server and
// requires the documented refusal, and that nothing was created.
func TestBadInput(t *testing.T) {
	t.Parallel()
	start := time.Now()
	f := setup(t)
	before := f.counts(t)
	total := 0
	all := rules.Tables()
	for _, tg := range f.targets(t) {
		g := generate(tg.table, tg.base, all)
		cases := append(g.cases, bodyCases(tg.base)...)
		requireUniqueNames(t, cases)
		var failed atomic.Int32
		t.Run(tg.name, func(t *testing.T) {
			for _, c := range cases {
				c.req.method, c.req.path = tg.method, tg.path
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
		require.Equal(t, before, f.counts(t), "%s: a refused request created or changed something", tg.name)
		total += len(cases)
		verdict := "all refused as documented"
		if n := failed.Load(); n > 0 {
			verdict = fmt.Sprintf("%d NOT as documented", n)
		}
		t.Logf("bad input: %s: %d cases, %s (%s %s; %d mutations not generated: a documented rule accepts them, or they are about the cloud)",
			tg.name, len(cases), verdict, tg.method, tg.route, len(g.skipped))
		if testing.Verbose() {
			for _, s := range g.skipped {
				t.Logf("  not generated: %s: %s", tg.name, s)
			}
		}
	}
	require.Equal(t, before, f.counts(t), "after the whole run")
	t.Logf("bad input: %d cases in all, in %s; instances %d, workers %d, tasks %d, clusters %d before and after",
		total, time.Since(start).Round(time.Millisecond), before.Instances, before.Workers, before.Tasks, before.Clusters)
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
func (f *fixture) basesAccepted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, tg := range f.targets(t) {
		a, err := f.send(ctx, request{method: tg.method, path: tg.path, body: []byte(tg.base), contentType: "application/json"})
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
