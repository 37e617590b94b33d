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

// edgeCloudBody asks an edge cluster for ECS cloud workers (R37): seed
// 002's example without its vSwitch, which is in cn-beijing's VPC (the
// workers take the edge cluster's vSwitches, in cn-hangzhou), and without
// is_edge_worker (false).
var edgeCloudBody = func() string {
	b := decode(seed002Body)
	delete(b, "vswitch_ids")
	return string(encode(b))
}()

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

// tfNodePoolBody is ../shared/spec/fixtures/tf-nodepool-create.json
// verbatim: what terraform-provider-alicloud's
// alicloud_cs_kubernetes_node_pool sends to create a pool (the same body
// as rules' tfNodePool). Its vSwitch is in cn-hangzhou's default VPC.
const tfNodePoolBody = seeds.TFNodePool

// createPools is the cluster the node pool tables' cases target: a
// standard cluster in cn-hangzhou, where tfNodePoolBody's vSwitch is.
const createPools = `{"name":"badinput-pools","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes",` +
	`"kubernetes_version":"1.34.4"}`

// fixturePoolBody is the pool the modify, scale and remove cases target:
// Terraform's, with another name and one node.
const fixturePoolBody = `{"nodepool_info":{"name":"badinput-pool"},"scaling_group":{"desired_size":1,` +
	`"instance_types":["ecs.g6.large"],"key_pair":"secrity-key","vswitch_ids":["vsw-bp1ackscaledefaultg01"]}}`

// modifyPoolBody raises the fixture pool's desired size by one, as
// Terraform sends a size change.
const modifyPoolBody = `{"scaling_group":{"desired_size":2}}`

// scalePoolBody adds one node (ScaleClusterNodePool).
const scalePoolBody = `{"count":1}`

// removePoolBody removes the fixture pool's node (its name is set by the
// fixture), released and drained: sent as the query it stands for.
const removePoolBody = `{"nodes":[%q],"release_node":true,"drain_node":true}`
