// Package crash holds the kill -9 harness: it runs the real ackscale binary,
// scales clusters out and in while killing the server with SIGKILL at
// random moments, and checks that nothing is lost, duplicated or leaked.
package crash
