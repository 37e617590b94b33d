// Package seeds holds the example request bodies of the seed documents
// (shared/seeds) and the client fixtures (shared/spec/fixtures), verbatim,
// for the tests of every package that sends them: rules' table tests, the
// official-client e2e tests and the bad-input suite.
package seeds

// Password000 is the login password seed 000's example sends; a dedicated
// cluster scaled with it must be created with it (ruling 3).
const Password000 = "Hello1234"

// Body000 is seed 000's example (legacy PUT /clusters/{id}, dedicated
// cluster): scale to 8 workers.
const Body000 = `{
    "disable_rollback": true,
    "timeout_mins": 60,
    "num_of_nodes": 8,
    "worker_instance_type": "ecs.sn1ne.large",
    "worker_system_disk_category": "cloud_efficiency",
    "worker_system_disk_size": 40,
    "login_password": "Hello1234"
}`

// Body001 is seed 001's example (edge cluster, ENS instances).
const Body001 = `{
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

// Body002 is built from the example column of seed 002's parameter table
// (standard cluster; the page has no example request), with key_pair and not
// login_password (ruling 4: exactly one of them).
const Body002 = `{
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

// Body003 is seed 003's example (edge cluster, older page).
const Body003 = `{
  "timeout_mins": 60,
  "worker_instance_type": "ens.sn1.tiny",
  "ens_region_id": "cn-beijing-telecom",
  "worker_image_id": "m-2QVLO2T8NYgm8CNQVg15gF",  
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

// Body004 is seed 004's example (sandbox cluster, bare-metal workers).
const Body004 = `{
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

// TFNodePool is shared/spec/fixtures/tf-nodepool-create.json verbatim: what
// terraform-provider-alicloud's alicloud_cs_kubernetes_node_pool (provider
// 1.289.0) sends to create a pool with desired_size 2. Its vSwitch is
// vsw-bp1ackscaledefaultg01, of cn-hangzhou's default VPC.
const TFNodePool = `{
 "kubernetes_config": {
  "cms_enabled": true
 },
 "nodepool_info": {
  "name": "tf-pool"
 },
 "scaling_group": {
  "desired_size": 2,
  "instance_types": [
   "ecs.g6.large"
  ],
  "key_pair": "secrity-key",
  "vswitch_ids": [
   "vsw-bp1ackscaledefaultg01"
  ]
 }
}`
