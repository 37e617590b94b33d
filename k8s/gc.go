package k8s

import "strconv"

// DefaultAPIServerGCPercent is each kube-apiserver's GOGC unless
// Config.APIServerGCPercent says otherwise. Registering Nodes and renewing
// Leases, an API server allocates a lot of short-lived garbage for every
// request while its live heap stays about the same; collecting at 5× the
// live heap instead of Go's 2× took 10–20 % off the API server's CPU for
// a 500-Node scale-out (docs/performance.md), for about 90 MB more RSS
// idle (about 340 MB instead of 250) and about twice its RSS with 500
// Nodes renewing their Leases.
const DefaultAPIServerGCPercent = 400

// apiserverMemoryLimit is each API server's soft memory limit (GOMEMLIMIT)
// unless ackscale's environment sets GOMEMLIMIT, which it then inherits:
// past it the API server collects sooner, whatever its GOGC.
const apiserverMemoryLimit = 768 << 20

// apiserverGC is the environment an API server gets on top of ackscale's:
// GOGC=percent and the soft limit above unless getenv (ackscale's
// environment) has GOMEMLIMIT.
func apiserverGC(percent int, getenv func(string) string) []string {
	env := []string{"GOGC=" + strconv.Itoa(percent)}
	if getenv("GOMEMLIMIT") == "" {
		env = append(env, "GOMEMLIMIT="+strconv.Itoa(apiserverMemoryLimit))
	}
	return env
}
