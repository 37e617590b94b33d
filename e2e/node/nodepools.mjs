// nodepools.mjs drives an ackscale server's node-pool operations with the
// official npm CS client (@alicloud/cs20151215 7.2.0, ACS3-HMAC-SHA256,
// typed request and response models) and prints one JSON line of what it
// saw. e2e/nodepool_test.go runs it and asserts on that line.
//
// For a standard and an edge cluster: CreateClusterNodePool (2 nodes),
// ScaleClusterNodePool (+2), ModifyClusterNodePool (desired_size 1, then
// labels with update_nodes), ScaleClusterNodePool (+1), RemoveNodePoolNodes
// (one instance id), DeleteClusterNodepool (force), each task polled with
// DescribeTaskInfo, the pool and its nodes read back after every step.
//
// Environment: PORT, AK, SK. Exit status 0 with the JSON line, or 1 with
// {"fatal": …}; a step that throws is recorded in its kind's `error` and
// `failed_at`, and the kind stops there.
import csPkg from '@alicloud/cs20151215';

import { client, errorOf, printResult, waitTask } from './client.mjs';

const {
  CreateClusterRequest, CreateClusterNodePoolRequest, CreateClusterNodePoolRequestNodepoolInfo,
  CreateClusterNodePoolRequestScalingGroup, CreateClusterNodePoolRequestKubernetesConfig,
  ModifyClusterNodePoolRequest, ModifyClusterNodePoolRequestScalingGroup, ModifyClusterNodePoolRequestKubernetesConfig,
  ScaleClusterNodePoolRequest, RemoveNodePoolNodesRequest, DeleteClusterNodepoolRequest,
  DescribeClusterNodePoolsRequest, DescribeClusterNodesRequest, Tag, Taint,
} = csPkg;

// pool is what the typed Detail (or list item) model holds, with the
// JavaScript types of the numbers the model declares as numbers.
function pool(p) {
  const sg = p.scalingGroup ?? {};
  const kc = p.kubernetesConfig ?? {};
  const st = p.status ?? {};
  const info = p.nodepoolInfo ?? {};
  return {
    nodepool_id: info.nodepoolId, name: info.name, type: info.type, is_default: info.isDefault,
    region_id: info.regionId, created: info.created, updated: info.updated,
    desired_size: sg.desiredSize, desired_size_type: typeof sg.desiredSize,
    instance_types: sg.instanceTypes, vswitch_ids: sg.vswitchIds, key_pair: sg.keyPair,
    instance_charge_type: sg.instanceChargeType,
    labels: (kc.labels ?? []).map((l) => ({ key: l.key, value: l.value })),
    taints: (kc.taints ?? []).map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
    unschedulable: kc.unschedulable,
    status: {
      state: st.state, total_nodes: st.totalNodes, healthy_nodes: st.healthyNodes, serving_nodes: st.servingNodes,
      initial_nodes: st.initialNodes, failed_nodes: st.failedNodes, offline_nodes: st.offlineNodes,
      removing_nodes: st.removingNodes,
    },
    total_nodes_type: typeof st.totalNodes,
  };
}

async function detail(clusterId, poolId) {
  const res = await client.describeClusterNodePoolDetail(clusterId, poolId);
  return { statusCode: res.statusCode, ...pool(res.body) };
}

async function nodes(clusterId, poolId) {
  const res = await client.describeClusterNodes(clusterId,
    new DescribeClusterNodesRequest({ nodepoolId: poolId, pageSize: '100', pageNumber: '1' }));
  const b = res.body;
  return {
    statusCode: res.statusCode, total_count: b.page?.totalCount,
    nodes: (b.nodes ?? []).map((n) => ({
      instance_id: n.instanceId, node_name: n.nodeName, nodepool_id: n.nodepoolId, state: n.state,
      ip_address: n.ipAddress,
    })),
  };
}

async function list(clusterId, name) {
  const res = await client.describeClusterNodePools(clusterId,
    new DescribeClusterNodePoolsRequest(name === undefined ? {} : { nodepoolName: name }));
  return { statusCode: res.statusCode, nodepools: (res.body.nodepools ?? []).map(pool) };
}

function accepted(res) {
  const b = res.body;
  return { statusCode: res.statusCode, nodepool_id: b.nodepoolId, task_id: b.taskId, request_id: b.requestId };
}

// settle records an operation's answer under key, then its task, then the
// pool and its nodes read back.
async function settle(out, key, res, id, np) {
  out[key] = accepted(res);
  out[`${key}_task`] = await waitTask(out[key].task_id);
  out[`after_${key}`] = { detail: await detail(id, np), nodes: await nodes(id, np) };
}

// runKind creates a cluster and takes one pool of it through every
// operation, recording each answer, task and read-back in out.
async function runKind(out, createFields) {
  const step = (name) => { out.failed_at = name; };

  step('create cluster');
  const cr = await client.createCluster(new CreateClusterRequest({ kubernetesVersion: '1.34.4', ...createFields }));
  out.cluster_id = cr.body.clusterId;
  const id = out.cluster_id;
  out.cluster_task = await waitTask(cr.body.taskId);
  const cd = await client.describeClusterDetail(id);
  out.cluster_vswitch_ids = cd.body.vswitchIds;

  step('pools before');
  out.pools_before = await list(id);

  step('create pool');
  const created = await client.createClusterNodePool(id, new CreateClusterNodePoolRequest({
    nodepoolInfo: new CreateClusterNodePoolRequestNodepoolInfo({ name: 'npm-pool' }),
    scalingGroup: new CreateClusterNodePoolRequestScalingGroup({
      desiredSize: 2, instanceTypes: ['ecs.g6.large'], vswitchIds: cd.body.vswitchIds, keyPair: 'secrity-key',
    }),
    kubernetesConfig: new CreateClusterNodePoolRequestKubernetesConfig({
      labels: [new Tag({ key: 'team', value: 'blue' })],
      taints: [new Taint({ key: 'dedicated', value: 'npm', effect: 'NoSchedule' })],
    }),
  }));
  const np = accepted(created).nodepool_id;
  await settle(out, 'create', created, id, np);

  step('list pools');
  out.pools = await list(id);
  out.pools_by_name = await list(id, 'npm-pool');

  step('scale pool');
  const scaled = await client.scaleClusterNodePool(id, np, new ScaleClusterNodePoolRequest({ count: 2 }));
  await settle(out, 'scale', scaled, id, np);

  step('modify desired_size');
  const shrunk = await client.modifyClusterNodePool(id, np, new ModifyClusterNodePoolRequest({
    scalingGroup: new ModifyClusterNodePoolRequestScalingGroup({ desiredSize: 1 }),
  }));
  await settle(out, 'shrink', shrunk, id, np);

  step('modify labels');
  const relabeled = await client.modifyClusterNodePool(id, np, new ModifyClusterNodePoolRequest({
    kubernetesConfig: new ModifyClusterNodePoolRequestKubernetesConfig({
      labels: [new Tag({ key: 'team', value: 'green' }), new Tag({ key: 'tier', value: 'batch' })],
    }),
    updateNodes: true,
  }));
  await settle(out, 'relabel', relabeled, id, np);

  step('scale pool again');
  const grown = await client.scaleClusterNodePool(id, np, new ScaleClusterNodePoolRequest({ count: 1 }));
  await settle(out, 'grow', grown, id, np);

  step('remove pool nodes');
  out.victim = out.after_grow.nodes.nodes[0]?.instance_id;
  const removed = await client.removeNodePoolNodes(id, np, new RemoveNodePoolNodesRequest({
    instanceIds: [out.victim], releaseNode: true, drainNode: false,
  }));
  await settle(out, 'remove', removed, id, np);

  step('delete pool');
  const deleted = await client.deleteClusterNodepool(id, np, new DeleteClusterNodepoolRequest({ force: true }));
  out.delete = accepted(deleted);
  out.delete_task = await waitTask(out.delete.task_id);
  try {
    await client.describeClusterNodePoolDetail(id, np);
    out.after_delete = { detail_error: { unexpected: 'no error' } };
  } catch (e) {
    out.after_delete = { detail_error: errorOf(e) };
  }
  out.after_delete.nodes = await nodes(id, np);
  out.pools_after = await list(id);
  delete out.failed_at;
}

async function main() {
  const kinds = [
    { kind: 'standard', fields: { name: 'npm-pools-standard', regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes' } },
    { kind: 'edge', fields: { name: 'npm-pools-edge', regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes', profile: 'Edge' } },
  ];
  return {
    kinds: await Promise.all(kinds.map(async ({ kind, fields }) => {
      const out = { kind };
      try {
        await runKind(out, fields);
      } catch (e) {
        out.error = errorOf(e);
      }
      return out;
    })),
  };
}

await printResult(main);
