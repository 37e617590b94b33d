#!/usr/bin/env bash
# Runs every Go fuzzer of the module for FUZZTIME each (default 10s) and
# prints the exec count of each. Corpora live in each package's testdata/fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-10s}"
status=0
for pkg in $(go list ./... | grep -v node_modules); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for fz in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		log=$(mktemp)
		if go test "$pkg" -run='^$' -fuzz="^${fz}\$" -fuzztime="$fuzztime" >"$log" 2>&1; then
			execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
			echo "fuzz ${pkg#github.com/ackscale/ackscale/}.${fz}: ok, ${execs} execs in ${fuzztime}"
		else
			echo "fuzz ${pkg#github.com/ackscale/ackscale/}.${fz}: FAILED"; cat "$log"; status=1
		fi
		rm -f "$log"
	done
done
exit $status
