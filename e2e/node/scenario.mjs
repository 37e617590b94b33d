// scenario.mjs drives an ackscale server with the official npm CS client
// (@alicloud/cs20151215 7.2.0 on @alicloud/openapi-core, ACS3-HMAC-SHA256)
// and prints one JSON line of what it saw. e2e/npm_test.go runs it and
// asserts on that line.
//
// Environment: PORT, AK, SK (the server's port and a key pair), and the
// seeds' example bodies SEED_001, SEED_002, SEED_004 (JSON) as the Go test
// holds them. Exit status 0 with the JSON line, or 1 with {"fatal": …}.
import csPkg from '@alicloud/cs20151215';
import corePkg from '@alicloud/openapi-core';
import dara from '@darabonba/typescript';

import { client, env, errorOf, newClient, printResult, waitTask } from './client.mjs';

const {
  CreateClusterRequest, ScaleOutClusterRequest, ScaleOutClusterRequestWorkerDataDisks,
  DescribeClusterNodesRequest, Runtime, Tag, Taint,
} = csPkg;
const { $OpenApiUtil } = corePkg;

// seed002Request maps seed 002's example body onto the SDK's model. Fields
// the model lacks are not sent (the SDK builds the body from the model)
// and are reported in `dropped`.
function seed002Request(body) {
  const fields = {
    count: 'count', worker_instance_charge_type: 'workerInstanceChargeType', worker_period: 'workerPeriod',
    worker_period_unit: 'workerPeriodUnit', worker_auto_renew: 'workerAutoRenew',
    worker_auto_renew_period: 'workerAutoRenewPeriod', worker_system_disk_category: 'workerSystemDiskCategory',
    worker_system_disk_size: 'workerSystemDiskSize', key_pair: 'keyPair', login_password: 'loginPassword',
    cloud_monitor_flags: 'cloudMonitorFlags', cpu_policy: 'cpuPolicy', image_id: 'imageId', user_data: 'userData',
    vswitch_ids: 'vswitchIds', worker_instance_types: 'workerInstanceTypes', rds_instances: 'rdsInstances',
  };
  const model = {};
  const dropped = [];
  for (const [key, value] of Object.entries(body)) {
    if (fields[key]) {
      model[fields[key]] = value;
    } else if (key === 'runtime') {
      model.runtime = new Runtime(value);
    } else if (key === 'tags') {
      model.tags = value.map((t) => new Tag(t));
    } else if (key === 'taints') {
      model.taints = value.map((t) => new Taint(t));
    } else if (key === 'worker_data_disks') {
      model.workerDataDisks = value.map((d) => new ScaleOutClusterRequestWorkerDataDisks({
        category: d.category, encrypted: d.encrypted, size: d.size,
        autoSnapshotPolicyId: d.auto_snapshot_policy_id,
      }));
    } else {
      dropped.push(key);
    }
  }
  return { request: new ScaleOutClusterRequest(model), dropped: dropped.sort() };
}

// scaleOutRaw sends a body the ScaleOutClusterRequest model cannot express
// (the edge and sandbox fields are not in 7.2.0's model) through the same
// client's callApi, with the Params scaleOutClusterWithOptions uses.
async function scaleOutRaw(clusterId, body) {
  const params = new $OpenApiUtil.Params({
    action: 'ScaleOutCluster', version: '2015-12-15', protocol: 'HTTPS',
    pathname: `/api/v2/clusters/${encodeURIComponent(clusterId)}`, method: 'POST',
    authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json',
  });
  const req = new $OpenApiUtil.OpenApiRequest({ headers: {}, body });
  const res = await client.callApi(params, req, new dara.RuntimeOptions({}));
  return { statusCode: res.statusCode, body: res.body };
}

async function listNodes(clusterId) {
  const res = await client.describeClusterNodes(clusterId,
    new DescribeClusterNodesRequest({ pageSize: '100', pageNumber: '1' }));
  const b = res.body;
  return {
    statusCode: res.statusCode,
    page: { page_number: b.page?.pageNumber, page_size: b.page?.pageSize, total_count: b.page?.totalCount },
    nodes: (b.nodes ?? []).map((n) => ({
      instance_id: n.instanceId, node_name: n.nodeName, ip_address: n.ipAddress, instance_type: n.instanceType,
      instance_role: n.instanceRole, state: n.state, node_status: n.nodeStatus,
    })),
  };
}

async function createCluster(fields) {
  const res = await client.createCluster(new CreateClusterRequest({ kubernetesVersion: '1.34.4', ...fields }));
  const b = res.body;
  return { statusCode: res.statusCode, cluster_id: b.clusterId, task_id: b.taskId, request_id: b.requestId };
}

// runKind creates a cluster, waits for it, scales it out and reads back
// the task, the nodes and the cluster.
async function runKind(kind, createFields, scale) {
  const out = { kind };
  out.create = await createCluster(createFields);
  const id = out.create.cluster_id;
  out.create_task = await waitTask(out.create.task_id);
  const s = await scale(id);
  out.scale = {
    via: s.via, dropped: s.dropped ?? [], statusCode: s.statusCode,
    cluster_id: s.body.cluster_id ?? s.body.clusterId, task_id: s.body.task_id ?? s.body.taskId,
    request_id: s.body.request_id ?? s.body.requestId,
  };
  out.scale_task = await waitTask(out.scale.task_id);
  out.nodes = await listNodes(id);
  const d = await client.describeClusterDetail(id);
  out.detail = { statusCode: d.statusCode, cluster_id: d.body.clusterId, state: d.body.state, size: d.body.size,
    cluster_type: d.body.clusterType, profile: d.body.profile };
  return out;
}

async function main() {
  const seed001 = JSON.parse(env('SEED_001'));
  const seed002 = JSON.parse(env('SEED_002'));
  const seed004 = JSON.parse(env('SEED_004'));
  const byModel = (body) => async (id) => {
    const { request, dropped } = seed002Request(body);
    const res = await client.scaleOutCluster(id, request);
    return { via: 'model', dropped, statusCode: res.statusCode, body: res.body };
  };
  const byCallApi = (body) => async (id) => ({ via: 'callApi', ...(await scaleOutRaw(id, body)) });

  const kinds = await Promise.all([
    runKind('standard', { name: 'npm-standard', regionId: 'cn-beijing', clusterType: 'ManagedKubernetes' },
      byModel(seed002)),
    runKind('edge', { name: 'npm-edge', regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes', profile: 'Edge' },
      byCallApi(seed001)),
    runKind('sandbox', {
      name: 'npm-sandbox', regionId: 'cn-beijing', clusterType: 'ManagedKubernetes',
      runtime: new Runtime({ name: 'Sandboxed-Container.runv', version: '2.2.3' }),
    }, byCallApi(seed004)),
    runKind('dedicated', {
      name: 'npm-dedicated', regionId: 'cn-beijing', clusterType: 'Kubernetes', loginPassword: 'Hello1234',
      workerInstanceTypes: ['ecs.sn1ne.large'], workerSystemDiskCategory: 'cloud_efficiency', workerSystemDiskSize: 40,
    }, byModel(seed002)),
  ]);

  const errors = {};
  const standardId = kinds[0].create.cluster_id;
  try {
    await client.scaleOutCluster(standardId, new ScaleOutClusterRequest({
      count: 0, keyPair: 'secrity-key', workerInstanceTypes: ['ecs.g6.large'],
    }));
    errors.count_zero = { unexpected: 'no error' };
  } catch (e) {
    errors.count_zero = errorOf(e);
  }
  try {
    await client.describeClusterDetail('c00000000000000000000000000000000');
    errors.unknown_cluster = { unexpected: 'no error' };
  } catch (e) {
    errors.unknown_cluster = errorOf(e);
  }
  try {
    await newClient(`${env('SK')}-wrong`).describeClusterDetail(standardId);
    errors.wrong_secret = { unexpected: 'no error' };
  } catch (e) {
    errors.wrong_secret = errorOf(e);
  }
  return { kinds, errors };
}

await printResult(main);
