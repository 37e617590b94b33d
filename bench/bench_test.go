package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPkgOf(t *testing.T) {
	t.Parallel()
	for sym, want := range map[string]string{
		"modernc.org/sqlite/lib._sqlite3VdbeExec":                    "modernc.org/sqlite/lib",
		"net/http.(*conn).serve":                                     "net/http",
		"github.com/ackscale/ackscale/task.(*run).registerAll.func1": "github.com/ackscale/ackscale/task",
		"runtime.mallocgc":                                           "runtime",
		"main.byStyle.ServeHTTP":                                     "main",
		"cmpbody":                                                    "(runtime assembly, C)",
		"k8s.io/client-go/gentype.(*Client[go.shape.*uint8]).Create": "k8s.io/client-go/gentype",
	} {
		require.Equal(t, want, pkgOf(sym), sym)
	}
}

func TestByPackage(t *testing.T) {
	t.Parallel()
	report := []byte(`# comment
     5.18%  [.] modernc.org/sqlite/lib._sqlite3VdbeExec                -      -
     2.86%  [.] modernc.org/sqlite/lib._sqlite3BtreeIndexMoveto        -      -
     2.72%  [k] finish_task_switch.isra.0                              -      -
     1.99%  [.] runtime.memmove                                        -      -
`)
	require.Equal(t, "# by package: the samples of each package's own code\n"+
		"  8.04%  modernc.org/sqlite/lib\n  2.72%  (kernel)\n  1.99%  runtime\n\n", string(byPackage(report)))
}

func TestLoad(t *testing.T) {
	t.Parallel()
	r := load(context.Background(), 4, 100, func(_ context.Context, i int) error {
		time.Sleep(time.Millisecond)
		if i == 7 {
			return errors.New("seven")
		}
		return nil
	})
	require.Equal(t, 100, r.n)
	require.Equal(t, 1, r.failed)
	require.EqualError(t, r.firstErr, "seven")
	require.GreaterOrEqual(t, r.p99, r.p50)
	require.GreaterOrEqual(t, r.p50, time.Millisecond)
	require.Positive(t, r.rate())
}
