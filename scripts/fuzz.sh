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
		ok=0
		for _ in 1 2; do
			if go test "$pkg" -run='^$' -fuzz="^${fz}\$" -fuzztime="$fuzztime" >"$log" 2>&1; then
				ok=1
				break
			fi
			# Go's fuzzing engine can end a run at its deadline with "context
			# deadline exceeded" and no failing input (a worker slow to stop on
			# a loaded machine): that is not a finding, so run once more. A
			# real finding writes its input and fails both times.
			if grep -q 'Failing input written' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
				break
			fi
		done
		if [ "$ok" = 1 ]; then
			execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
			echo "fuzz ${pkg#github.com/ackscale/ackscale/}.${fz}: ok, ${execs} execs in ${fuzztime}"
		else
			echo "fuzz ${pkg#github.com/ackscale/ackscale/}.${fz}: FAILED"; cat "$log"; status=1
		fi
		rm -f "$log"
	done
done
exit $status
