package badinput

import "github.com/ackscale/ackscale/internal/seeds"

// The valid base bodies the cases mutate: the seeds' examples verbatim
// (shared/seeds; the same bodies as e2e/seeds_test.go), and ackscale's own
// for CreateCluster and DeleteClusterNodes.

// seed000Body is seed 000's example (legacy PUT /clusters/{id}); the
// dedicated cluster is created with its password (ruling 3).
const seed000Body = seeds.Body000

// seed000Password is the password seed 000's example sends.
const seed000Password = seeds.Password000

// seed001Body is seed 001's example (edge cluster, ENS instances). Seed
// 003's example has the same fields and values but for the image id.
const seed001Body = seeds.Body001

// seed004Body is seed 004's example (sandbox cluster, bare-metal workers).
const seed004Body = seeds.Body004

// seed002Body is built from the example column of seed 002's parameter
// table (standard cluster), with key_pair and not login_password (ruling
// 4: exactly one of them).
const seed002Body = seeds.Body002

// createBody is a dedicated cluster with seed 000's password and worker
// settings: the profile whose create rules are the strictest (a credential
// is required, cluster_spec and profile Edge are refused).
const createBody = `{
  "name": "badinput-create",
  "region_id": "cn-beijing",
  "cluster_type": "Kubernetes",
  "kubernetes_version": "1.34.4",
  "container_cidr": "172.20.0.0/16",
  "service_cidr": "172.21.0.0/20",
  "runtime": {"name": "containerd", "version": "1.6.38"},
  "tags": [{"key": "tier", "value": "frontend"}],
  "login_password": "Hello1234",
  "deletion_protection": false,
  "timeout_mins": 60,
  "num_of_nodes": 0,
  "worker_instance_types": ["ecs.sn1ne.large"],
  "worker_system_disk_category": "cloud_efficiency",
  "worker_system_disk_size": 40,
  "disable_rollback": true
}`

// deleteBody names a node the cluster does not have: valid for the rules,
// then ErrorNodeNotFound (R18).
const deleteBody = `{"nodes": ["cn-beijing.192.168.0.10"], "release_node": true, "drain_node": true}`

// The create bodies of the four clusters the scale cases target.
const (
	createLegacy = `{"name":"badinput-legacy","region_id":"cn-beijing","cluster_type":"Kubernetes",` +
		`"kubernetes_version":"1.34.4","login_password":"` + seed000Password + `","worker_instance_types":["ecs.sn1ne.large"],` +
		`"worker_system_disk_category":"cloud_efficiency","worker_system_disk_size":40}`
	createStandard = `{"name":"badinput-standard","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",` +
		`"kubernetes_version":"1.34.4"}`
	createEdge = `{"name":"badinput-edge","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes","profile":"Edge",` +
		`"kubernetes_version":"1.34.4"}`
	// cn-beijing's default VPC holds the vSwitches seeds 002 and 004 name.
	createSandbox = `{"name":"badinput-sandbox","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",` +
		`"kubernetes_version":"1.34.4","runtime":{"name":"Sandboxed-Container.runv","version":"2.2.3"}}`
)
