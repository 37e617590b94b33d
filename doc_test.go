package ackscale

import (
	"fmt"
	"os"
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
			require.Contains(t, string(doc), fmt.Sprintf("| %s | %s |", from, want), "row of %s", from)
		}
	}
	rows(asStrings(clusterMoves))
	rows(asStrings(nodeMoves))
	for _, typ := range TaskTypes() {
		row := fmt.Sprintf("| %s | %s | %s | %s |", typ, typ.ClusterStateWhile(), typ.ClusterStateAfter(true), typ.ClusterStateAfter(false))
		require.Contains(t, string(doc), row)
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
