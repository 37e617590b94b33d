// Package crash holds the kill -9 harness: it runs the real ackscale binary,
// scales clusters out and in (ScaleOutCluster, DeleteClusterNodes) and
// creates node pools and scales them out and in (ScaleClusterNodePool,
// ModifyClusterNodePool's desired_size, RemoveNodePoolNodes) while killing
// the server with SIGKILL at random moments, and checks that nothing is
// lost, duplicated or leaked, and that every pool ends active with as many
// workers as its desired size.
package crash
