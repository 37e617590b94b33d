package ackscale

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// ARCHITECTURE.md shows the transition tables; they must be the code's.
func TestArchitectureShowsTransitionTables(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("ARCHITECTURE.md")
	require.NoError(t, err)
	rows := func(moves map[string][]string) {
		for from, tos := range moves {
			want := "—"
			if len(tos) > 0 {
				want = strings.Join(tos, ", ")
			}
			row := fmt.Sprintf("| %s | %s |", from, want)
			require.True(t, strings.Contains(string(doc), row), "ARCHITECTURE.md lacks the row %q", row)
		}
	}
	rows(asStrings(clusterMoves))
	rows(asStrings(nodeMoves))
	rows(asStrings(nodePoolMoves))
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	for _, typ := range TaskTypes() {
		row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s |", typ,
			dash(string(typ.ClusterStateWhile())), dash(string(typ.ClusterStateAfter(true))), dash(string(typ.ClusterStateAfter(false))),
			dash(string(typ.PoolStateWhile())), dash(string(typ.PoolStateAfter(true))), dash(string(typ.PoolStateAfter(false))))
		require.True(t, strings.Contains(string(doc), row), "ARCHITECTURE.md lacks the row %q", row)
	}
}

func asStrings[S ~string](moves map[S][]S) map[string][]string {
	out := map[string][]string{}
	for from, tos := range moves {
		var s []string
		for _, to := range tos {
			s = append(s, string(to))
		}
		out[string(from)] = s
	}
	return out
}

// ARCHITECTURE.md is the map: every package of the module has a row in
// its Packages table (a leaf folder of several may share one, as
// `crash`, `soak`, … do).
func TestArchitectureListsEveryPackage(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("ARCHITECTURE.md")
	require.NoError(t, err)
	var dirs []string
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" ||
			path == "tools" || path == "bin" || path == "docs" || path == "scripts") && path != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && filepath.Dir(path) != "." {
			dirs = append(dirs, filepath.ToSlash(filepath.Dir(path)))
		}
		return nil
	})
	require.NoError(t, err)
	for _, dir := range slices.Compact(dirs) {
		require.True(t, strings.Contains(string(doc), "`"+dir+"`") || strings.Contains(string(doc), "`"+filepath.Base(dir)+"`"),
			"ARCHITECTURE.md's Packages table lacks %s", dir)
	}
}
