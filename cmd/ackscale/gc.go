package main

import (
	"os"
	"runtime/debug"
)

// serveGCPercent and serveMemoryLimit tune the garbage collector of
// `ackscale serve` for throughput, unless the user set GOGC or GOMEMLIMIT:
// the server allocates short-lived garbage per request and per Node, and
// its live heap is small (about 100 MiB at 10,000 Nodes), so collecting at
// 4× the live heap instead of 2× halves the collector's work (it was a
// tenth of the CPU of a 500-Node scale-out); the soft limit makes it
// collect sooner again should the heap ever approach it. docs/performance.md
// has the measurements.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 256 << 20
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
