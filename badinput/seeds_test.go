package badinput

// The valid base bodies the cases mutate: the seeds' examples verbatim
// (shared/seeds; the same bodies as e2e/seeds_test.go), and ackscale's own
// for CreateCluster and DeleteClusterNodes.

// seed000Body is seed 000's example (legacy PUT /clusters/{id}); the
// dedicated cluster is created with its password (ruling 3).
const seed000Body = `{
    "disable_rollback": true,
    "timeout_mins": 60,
    "num_of_nodes": 8,
    "worker_instance_type": "ecs.sn1ne.large",
    "worker_system_disk_category": "cloud_efficiency",
    "worker_system_disk_size": 40,
    "login_password": "Hello1234"
}`

// seed000Password is the password seed 000's example sends.
const seed000Password = "Hello1234"

// seed001Body is seed 001's example (edge cluster, ENS instances). Seed
// 003's example has the same fields and values but for the image id.
const seed001Body = `{
  "timeout_mins": 60,
  "worker_instance_type": "ens.sn1.tiny",
  "ens_region_id": "cn-beijing-telecom",
  "worker_image_id": "m-2QVLO2T8NYgm8CNQVg****",  
  "ens_internet_charge_type": "BandwidthByDay",
  "worker_period": 1,
  "worker_auto_renew": true,
  "worker_auto_renew_period": 1,
  "login_password": "Hello1234!",
  "count": 1,
  "worker_system_disk_size": 20,
  "worker_data_disk_size": 0,
  "is_edge_worker": true
}`

// seed004Body is seed 004's example (sandbox cluster, bare-metal workers).
const seed004Body = `{
    "login_password":"Hello@12****",
    "worker_instance_charge_type":"PostPaid",
    "vswitch_ids":["vsw-2zes3rfz7bmk0nxxxxxxx"],
    "worker_instance_types":["ecs.ebmg5s.24xlarge"],
    "worker_system_disk_category":"cloud_efficiency",
    "worker_system_disk_size":120,
    "worker_data_disk":true,
    "worker_data_disk_category":"cloud_efficiency",
    "worker_data_disk_size":200,
    "tags":[],
    "count":1,
    "disable_rollback":false
}`

// seed002Body is built from the example column of seed 002's parameter
// table (standard cluster), with key_pair and not login_password (ruling
// 4: exactly one of them).
const seed002Body = `{
  "count": 3,
  "worker_instance_charge_type": "PrePaid",
  "worker_period": 1,
  "worker_period_unit": "Month",
  "worker_auto_renew": true,
  "worker_auto_renew_period": 6,
  "worker_system_disk_category": "cloud_efficiency",
  "worker_system_disk_size": 120,
  "worker_data_disk": true,
  "key_pair": "secrity-key",
  "cloud_monitor_flags": true,
  "cpu_policy": "none",
  "disable_rollback": true,
  "image_id": "",
  "user_data": "",
  "runtime": {"name": "docker", "version": "19.03.5"},
  "vswitch_ids": ["vsw-2ze4jvvvade1yk899****"],
  "worker_instance_types": ["ecs.c5.xlarge"],
  "rds_instances": ["rm-2zev748xi27xc****"],
  "worker_data_disks": [{"category": "cloud_ssd", "encrypted": "false", "size": "120"}],
  "tags": [{"key": "tier", "value": "frontend"}],
  "taints": [{"effect": "NoSchedule", "key": "node_type", "value": "prod"}]
}`

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
