// client.mjs is what the scripts share: the npm CS client (@alicloud/cs20151215
// 7.2.0 on @alicloud/openapi-core, ACS3-HMAC-SHA256) of the server the
// environment names (PORT, AK, SK), a task polled to its end, and the one
// JSON line a script prints for its Go test.
import csPkg from '@alicloud/cs20151215';
import corePkg from '@alicloud/openapi-core';

const Client = csPkg.default;
const { $OpenApiUtil } = corePkg;

const POLL_MS = 50;
const DEADLINE_MS = 30_000;

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is required`);
  return v;
}

// newClient is a client of the server signing with AK and accessKeySecret.
export function newClient(accessKeySecret) {
  return new Client(new $OpenApiUtil.Config({
    accessKeyId: env('AK'),
    accessKeySecret,
    endpoint: `127.0.0.1:${env('PORT')}`,
    protocol: 'http',
    regionId: 'cn-hangzhou',
    // The SDK's default read timeout is 3 s; a loaded CI machine (or a
    // server built with -race, ACKSCALE_E2E_RACE=1) hashing login
    // passwords with bcrypt can take longer than that.
    readTimeout: 20_000,
  }));
}

// client signs with AK and SK.
export const client = newClient(env('SK'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// waitTask polls DescribeTaskInfo until the task is no longer running.
export async function waitTask(taskId) {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const res = await client.describeTaskInfo(taskId);
    const b = res.body;
    if (b.state !== 'running') {
      return {
        statusCode: res.statusCode, task_id: b.taskId, cluster_id: b.clusterId, task_type: b.taskType,
        state: b.state, error: b.error ? { code: b.error.code, message: b.error.message } : null,
        task_result: (b.taskResult ?? []).map((r) => ({ data: r.data, status: r.status })),
      };
    }
    if (Date.now() > deadline) throw new Error(`task ${taskId} still running after ${DEADLINE_MS} ms`);
    await sleep(POLL_MS);
  }
}

// errorOf is what the tests read of an error the SDK threw.
export function errorOf(e) {
  return { name: e?.name, code: e?.code, statusCode: e?.statusCode, message: String(e?.message ?? e),
    requestId: e?.requestId };
}

// printResult prints main's result as one JSON line, or {"fatal": …} and
// exit status 1 when it throws.
export async function printResult(main) {
  try {
    const result = await main();
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ fatal: String(e?.message ?? e), code: e?.code, statusCode: e?.statusCode,
      stack: e?.stack }) + '\n');
    process.exit(1);
  }
}
