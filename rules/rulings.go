package rules

// ruling is a further ruling this package makes where the seeds and
// decisions.md are silent or contradict an SDK (docs/api.md, "Further
// rulings"). Sources cite them as R1, R2, ….
type ruling struct {
	ID, Rule, Reason string
}

var furtherRulings = []ruling{
	{"R1", "The legacy PUT takes `worker_instance_type`, `worker_system_disk_category` and `worker_system_disk_size` from the cluster's creation values when they are absent (or \"\" / 0); without any, a scale-out without `worker_instance_type` is MissingParameter.",
		"Seed 000 marks them required, but aliyungo's `KubernetesClusterResizeArgs`, the client of this operation, cannot send the disk fields at all and sends `worker_instance_type` \"\" for multi-zone clusters. The creation values are what the cluster's orchestration stack reuses."},
	{"R2", "Integer fields take JSON integer literals only: digits with an optional minus sign. `2.0` and `1e3` are InvalidParameter.Type even though their value is whole; a literal beyond 64 bits is InvalidParameter.OutOfRange.",
		"Every official SDK writes integers as plain digits; a fraction or an exponent means the client computed a float, which ruling 13 asks us not to coerce."},
	{"R3", "A JSON `null` is the same as leaving the field out: it takes its default, or is MissingParameter when required.",
		"JavaScript and Python clients serialise unset optional members as null."},
	{"R4", "Every scale-out profile accepts `disable_rollback` (default true) and `timeout_mins` (default 60, in [1, 1440] minutes).",
		"Rulings 11 and 12 apply to every scale-out task, including the profiles whose seed does not list the fields. A deadline must be at least a minute; a day is ample for an emulator."},
	{"R5", "On a standard or dedicated cluster, a POST without `worker_instance_types`, `worker_system_disk_category`, `worker_system_disk_size` or `image_id` takes the cluster's creation values, else `cloud_ssd` and 120 GiB (the SDK model's documented defaults); a default system disk is raised to the image size. Without instance types anywhere the request is MissingParameter.",
		"Seed 002 marks them optional but gives no defaults, and a node cannot be created without them."},
	{"R6", "Ruling 5 holds in every profile and operation where an image is known: a system disk size sent smaller than the image is InvalidSystemDiskSize.LessThanImageSize.",
		"An instance cannot boot from a system disk smaller than its image, whichever page forgot to say so."},
	{"R7", "Disks of standard and dedicated clusters: system disk 40–500 GiB, category `cloud_efficiency`, `cloud_ssd` or `cloud_essd` (also in the legacy PUT and CreateCluster); `worker_data_disks`: at most 16, category `cloud`, `cloud_efficiency`, `cloud_ssd` or `cloud_essd` (default `cloud_efficiency`), `size` a string of digits in [40, 32768], `encrypted` \"true\" or \"false\".",
		"Seed 002 lists no categories or sizes; these are the official SDK model's documented values, with ECS's limits (32 TiB cloud disks, 16 data disks an instance). The SDK model types `size` and `encrypted` as strings, so ruling 13 keeps them strings."},
	{"R8", "On a standard or dedicated cluster, `worker_data_disk`, when sent, must agree with `worker_data_disks`: true needs at least one disk (MissingParameter), false allows none (InvalidParameter.Conflict).",
		"Seed 002 has both fields and does not say how they relate; contradicting values have no sensible reading."},
	{"R9", "`tags` (at most 20, keys unique and not starting with `aliyun`, `acs:`, `http://` or `https://`) and `taints` (`key` and `effect` required, no key and effect twice) follow Kubernetes label syntax; `user_data` is standard Base64 of at most 32768 characters.",
		"Tags and taints end up on the Node objects, which the API server would refuse later; the SDK model documents the tag limits and points to the label syntax. ECS takes at most 32 KB of Base64 user data."},
	{"R10", "The legacy PUT proves it knows the cluster's credential: `login_password` must match the creation password (ruling 3); a cluster created with a key pair needs that same `key_pair`, and `login_password` sent to it is InvalidParameter.PasswordMismatch.",
		"Ruling 3 requires the password match; ruling 4 allows a key pair instead, which is only a proof if it is the cluster's."},
	{"R11", "An edge scale-out accepts `key_pair` instead of `login_password` (ruling 4); the key pair may exist in the cluster's region or in `ens_region_id`.",
		"Seed 001 says \"set this parameter or key_pair\"; ENS instances take key pairs of their ENS site."},
	{"R12", "Sandbox: `worker_data_disk_size` is at most 32768 (R7). The profile also accepts seed 002's billing fields (`worker_instance_charge_type`, which seed 004's example sends, and the period fields PrePaid needs), `image_id` (seed 004's system disk rule refers to ImageId), `tags` (in its example) and `timeout_mins` (R4).",
		"Seed 004's example uses them, and PrePaid cannot work without a period."},
	{"R13", "One error per request: the first in the order above. Unknown fields come first, the first by byte order of name.",
		"A JSON object has no order; sorting makes the answer the same on every run."},
	{"R14", "Fields marked *empty = absent* treat \"\", 0, false, [] and {} as absent: `key_pair`, `login_password`, `image_id`, `user_data`, the optional lists, and the legacy fields aliyungo always sends (`timeout_mins` 0, `worker_instance_type` \"\").",
		"Seed 002's own example sends `image_id` \"\" and `user_data` \"\"; aliyungo cannot omit its zero values (ruling 14 asks the same of unknown fields)."},
	{"R15", "A required string or list sent as \"\" or [] is MissingParameter, like an absent one.",
		"An empty value carries no more information than no value."},
	{"R16", "Bodies: at most 1 MiB (else RequestEntityTooLarge), valid UTF-8, one JSON object, no key twice in any object, at most 32 levels deep, nothing after the object. Any other problem is InvalidParameter.MalformedBody with its byte offset.",
		"Go's decoder silently keeps the last of two equal keys and replaces invalid UTF-8; a validator must see exactly what the client sent."},
	{"R17", "CreateCluster: `name` 1–63 characters of letters, digits, Chinese characters, `-` and `_`, not starting with `-` or `_`; `cluster_spec` only for ManagedKubernetes (default `ack.standard`); `profile` Edge only with ManagedKubernetes; runtime `Sandboxed-Container.runv` only on a managed cluster without profile Edge; ExternalKubernetes, Serverless and Lingjun are not supported; `vpcid` must be the vSwitches' VPC, or the region's default VPC when no vSwitch is sent (the region's default vSwitches are then used); `container_cidr` and `service_cidr` are canonical private IPv4 blocks that do not overlap; a dedicated cluster, or any cluster created with workers, needs exactly one credential; workers need instance types; aliyungo's `vswitchid`, `vswitch_id_a/b/c`, `worker_instance_type(_a/_b/_c)` and `num_of_nodes_a/b/c` are folded into `vswitch_ids`, `worker_instance_types` and `num_of_nodes`; the other fields of the SDKs' CreateCluster models are type-checked and ignored, and any other `master_*` or `worker_*` field is ignored.",
		"ACK's own rules for these fields, restricted to what the emulator implements; the legacy client must keep working (ruling 14)."},
	{"R18", "DeleteNodes: `nodes` lists node names (DNS subdomains such as cn-hangzhou.192.168.0.10), none twice. Whether each is a worker of the cluster is checked after validation (ErrorNodeNotFound).",
		"Node names are what DescribeClusterNodes returns and the SDK model documents."},
	{"R19", "An instance type of another service (an ECS type on an edge cluster, an ENS type on a standard one, any non-bare-metal type on a sandbox one) is InvalidInstanceType.NotFound, with a message naming its kind.",
		"The service that would create the instance does not have that type."},
	{"R20", "`worker_period_unit` is `Month` only.",
		"Seed 002 lists periods only for Month, and the SDK model says \"set the value to Month\"."},
	{"R21", "A string's length outside its range is InvalidParameter.Format; an array's item count outside its range is InvalidParameter.OutOfRange; an item (or object key) listed twice is InvalidParameter.",
		"One code per kind of rule, so clients can branch on it."},
	{"R22", "The edge profile knows no `worker_instance_charge_type` or `worker_period_unit`: sent non-empty they are UnknownField (ruling 14).",
		"Seeds 001 and 003 do not list them; ENS is billed by `ens_internet_charge_type` and `worker_period` months always apply (ruling 7)."},
	{"R23", "A login password uses letters, digits and the special characters `` ()`~!@#$%^&*-_+=|{}[]:;'<>,.?/ `` only; anything else (spaces, other characters) is InvalidParameter.Format.",
		"These are the characters ECS accepts in an instance password; ruling 3 counts classes, not which characters."},
}
