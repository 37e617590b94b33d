package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent and serveMemoryLimit tune the garbage collector of
// `ackscale serve` for throughput, unless the user set GOGC or GOMEMLIMIT:
// the server allocates short-lived garbage per request and per Node, and
// its live heap is small (about 35 MiB in use with 10,000 Nodes renewing
// their Leases), so collecting at 4× the live heap instead of 2× halves the
// collector's work (it was a tenth of the CPU of a 500-Node scale-out).
// The soft limit makes it collect sooner when the heap nears it: the
// process's resident memory is Go's plus about 50 MiB that Go does not
// count (SQLite's page caches, the binary), so 192 MiB keeps it under 256
// MiB. docs/performance.md has the measurements.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 192 << 20
)

// tuneGC applies serveGCPercent and serveMemoryLimit where the environment
// does not say otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}
