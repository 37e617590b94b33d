// scale-out.ts: create a cluster on a running ackscale, scale it out and
// wait for the task, with the official TypeScript SDK (@alicloud/cs20151215
// 7.2.0, ACS3-HMAC-SHA256), pointed at ackscale by its endpoint and
// protocol.
//
//   go run ./cmd/ackscale serve          # in another terminal
//   cd examples/ts && npm ci && npm start
//
// Environment: ACKSCALE_ENDPOINT (default 127.0.0.1:9696),
// ACKSCALE_ACCESS_KEY_ID and ACKSCALE_ACCESS_KEY_SECRET (default: the key
// in ../../ackscale-data/default-key.json, or in $ACKSCALE_DATA), COUNT
// (workers to add, default 3).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import csPkg from '@alicloud/cs20151215';
import corePkg from '@alicloud/openapi-core';

const Client = csPkg.default;
const { CreateClusterRequest, ScaleOutClusterRequest, DescribeClusterNodesRequest } = csPkg;
const { $OpenApiUtil } = corePkg;

function keys(): { id: string; secret: string } {
  const id = process.env.ACKSCALE_ACCESS_KEY_ID;
  const secret = process.env.ACKSCALE_ACCESS_KEY_SECRET;
  if (id && secret) return { id, secret };
  const file = join(process.env.ACKSCALE_DATA ?? '../../ackscale-data', 'default-key.json');
  const k = JSON.parse(readFileSync(file, 'utf8'));
  return { id: k.access_key_id, secret: k.access_key_secret };
}

// The endpoint is host:port; a URL (http://host:port) also works.
const endpoint = (process.env.ACKSCALE_ENDPOINT ?? '127.0.0.1:9696').replace(/^https?:\/\//, '');
const { id, secret } = keys();
const client = new Client(new $OpenApiUtil.Config({
  accessKeyId: id, accessKeySecret: secret, endpoint, protocol: 'http', regionId: 'cn-hangzhou',
}));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// waitTask polls DescribeTaskInfo, 200 ms doubling to 2 s, until the task
// ends; it throws if the task failed.
async function waitTask(taskId: string): Promise<void> {
  let delay = 200;
  let last = '';
  for (;;) {
    const t = (await client.describeTaskInfo(taskId)).body!;
    const line = `task ${taskId}: ${t.state} ${t.currentStage ?? ''}`.trim();
    if (line !== last) console.log(line);
    last = line;
    if (t.state === 'success') return;
    if (t.state !== 'running') throw new Error(`task ${taskId} ${t.state}: ${t.error?.code}: ${t.error?.message}`);
    await sleep(delay);
    delay = Math.min(2 * delay, 2000);
  }
}

async function main(): Promise<void> {
  const name = `ts-example-${Date.now().toString(36)}`;
  const created = (await client.createCluster(new CreateClusterRequest({
    name, regionId: 'cn-hangzhou', clusterType: 'ManagedKubernetes',
  }))).body!;
  console.log(`cluster ${created.clusterId} (${name})`);
  await waitTask(created.taskId!);

  const count = Number(process.env.COUNT ?? '3');
  const scaled = (await client.scaleOutCluster(created.clusterId!, new ScaleOutClusterRequest({
    count, keyPair: 'secrity-key', workerInstanceTypes: ['ecs.g6.large'],
  }))).body!;
  await waitTask(scaled.taskId!);

  const nodes = (await client.describeClusterNodes(created.clusterId!,
    new DescribeClusterNodesRequest({ pageSize: '100' }))).body!.nodes ?? [];
  for (const n of nodes) console.log(`${n.nodeName} ${n.instanceId} ${n.state} ${n.nodeStatus}`);
  console.log(`${nodes.length} nodes`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
