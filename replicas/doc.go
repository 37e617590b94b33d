// Package replicas holds the replica harness: three real ackscale
// processes on one PostgreSQL database (and one etcd they share), behind a
// TCP load balancer, run concurrent scale-outs across ten clusters with
// Kubernetes on while the harness SIGKILLs one replica mid-way and later
// another. It checks that every task ends, that no instance is lost,
// duplicated or leaked, that the quota is never passed, and that every
// cluster's API server answers again, through the kubeconfig fetched
// before the kills, with all its Nodes; it prints its counts and the
// failover and takeover times it measured.
package replicas
