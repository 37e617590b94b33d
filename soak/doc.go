// Package soak runs ackscale under a steady load of scale-outs and reads
// from several accounts while faults fire and the server is killed and
// restarted, and checks that nothing is lost, duplicated or leaked.
package soak
