// The local AWS itself (local/aws.ts, local/front.ts, local/moto_launcher.py): App Mesh
// metadata the JS SDK can read, the Lambda front running bundles as Lambda would, and moto's
// Step Functions interpreter calling those bundles with Retry/Catch on their error names.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  DescribeRouteCommand, UpdateRouteCommand, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import {
  CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand, type DescribeExecutionOutput,
} from '@aws-sdk/client-sfn';
import { findPython, startLocalAws, type LocalAws } from '../../local/aws.ts';

const projectRoot = resolve(__dirname, '..', '..');
const endpoint = process.env.MESH_CANARY_ENDPOINT!;
const region = process.env.AWS_REGION!;
const suffix = randomUUID().slice(0, 8); // the global moto is shared with other test files

async function invoke(base: string, fn: string, payload: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/2015-03-31/functions/${encodeURIComponent(fn)}/invocations`, {
    method: 'POST', body: JSON.stringify(payload), headers,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Runs one of test/support's in-process moto reproductions; its last line is a JSON result. */
async function runMotoScript(script: string, ...args: string[]) {
  const out = spawnSync(await findPython(), [join(projectRoot, 'test', 'support', script), ...args], { encoding: 'utf8', timeout: 60_000 });
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`${script} printed no result (exit ${out.status}):\n${out.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

describe('App Mesh on the local AWS', () => {
  const mesh = new AppMeshClient({ endpoint, region });
  const meshName = `local-aws-${suffix}`;
  const spec = (canaryWeight: number): RouteSpec => ({
    httpRoute: {
      match: { prefix: '/' },
      action: {
        weightedTargets: [
          { virtualNode: 'stable', weight: 100 - canaryWeight },
          { virtualNode: 'canary', weight: canaryWeight },
        ],
      },
    },
  });

  test('round-trips a route through the JS SDK, with numeric timestamps and a rising version', async () => {
    const created = await mesh.send(new CreateMeshCommand({ meshName }));
    expect(created.mesh?.metadata?.arn).toBe(`arn:aws:appmesh:${region}:123456789012:mesh/${meshName}`);
    await mesh.send(new CreateVirtualRouterCommand({
      meshName, virtualRouterName: 'router', spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] },
    }));
    for (const virtualNodeName of ['stable', 'canary']) {
      await mesh.send(new CreateVirtualNodeCommand({ meshName, virtualNodeName, spec: {} }));
    }
    const route = await mesh.send(new CreateRouteCommand({ meshName, virtualRouterName: 'router', routeName: 'route', spec: spec(0) }));

    const before = await mesh.send(new DescribeRouteCommand({ meshName, virtualRouterName: 'router', routeName: 'route' }));
    expect(before.route?.spec).toEqual(spec(0));
    expect(before.route?.metadata?.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(before.route!.metadata!.createdAt!.getTime() - Date.now())).toBeLessThan(60_000);
    // uid is per resource (moto computed one at import for all of them).
    expect(before.route?.metadata?.uid).not.toBe(created.mesh?.metadata?.uid);
    expect(route.route?.metadata?.uid).toBe(before.route?.metadata?.uid);

    const updated = await mesh.send(new UpdateRouteCommand({ meshName, virtualRouterName: 'router', routeName: 'route', spec: spec(10) }));
    expect(updated.route?.metadata?.version).toBe(before.route!.metadata!.version! + 1);
    const after = await mesh.send(new DescribeRouteCommand({ meshName, virtualRouterName: 'router', routeName: 'route' }));
    expect(after.route?.spec).toEqual(spec(10));
    expect(after.route?.metadata?.version).toBe(updated.route?.metadata?.version);
    expect(after.route!.metadata!.lastUpdatedAt!.getTime()).toBeGreaterThanOrEqual(before.route!.metadata!.lastUpdatedAt!.getTime());
  });

  test('meshOwner and resourceOwner are the account ID, as AWS says; naming the mesh\'s own account as meshOwner reaches the same route', async () => {
    // moto put the caller's user id there, so meshOwner = the account was refused (MeshOwnerDoesNotMatch).
    const ids = { meshName, virtualRouterName: 'router', routeName: 'route' };
    const plain = await mesh.send(new DescribeRouteCommand(ids));
    expect(plain.route?.metadata).toMatchObject({ meshOwner: '123456789012', resourceOwner: '123456789012' });
    const owned = await mesh.send(new DescribeRouteCommand({ ...ids, meshOwner: '123456789012' }));
    expect(owned.route?.metadata?.uid).toBe(plain.route?.metadata?.uid);
    await expect(mesh.send(new DescribeRouteCommand({ ...ids, meshOwner: '210987654321' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: expect.any(Number) } });
  });
});

describe('the Lambda front with the real bundles', () => {
  test('maps a handler error to X-Amz-Function-Error with the error name as errorType', async () => {
    const res = await invoke(endpoint, 'PrepareFunction', {});
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(res.body).toMatchObject({ errorType: 'InvalidInput', errorMessage: expect.stringContaining('input') });
    expect(Array.isArray(res.body.trace)).toBe(true);
  });
});

// A local AWS of its own, on fixture bundles: these tests are about the machinery, not the
// functions. The fixtures live under the project so they can require the installed SDK.
describe('a local AWS on fixture bundles', () => {
  let aws: LocalAws;
  let buildDir: string;
  let sfn: SFNClient;

  const fixtures: Record<string, string> = {
    // Echoes what a handler sees, and makes one AWS call through AWS_ENDPOINT_URL.
    SetWeightFunction: `
      const { SFNClient, ListStateMachinesCommand } = require('@aws-sdk/client-sfn');
      exports.handler = async (event, context) => {
        const remaining = context.getRemainingTimeInMillis();
        const machines = await new SFNClient({}).send(new ListStateMachinesCommand({}));
        return {
          event,
          stateMachines: machines.stateMachines.length,
          context: { ...context, remaining },
          env: { logLevel: process.env.POWERTOOLS_LOG_LEVEL, service: process.env.POWERTOOLS_SERVICE_NAME,
                 endpoint: process.env.AWS_ENDPOINT_URL, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME },
        };
      };`,
    PrepareFunction: `
      class CanaryFixtureError extends Error { name = 'CanaryFixtureError'; }
      exports.handler = async (event) => { throw new CanaryFixtureError('fixture failed on ' + JSON.stringify(event)); };`,
  };

  beforeAll(async () => {
    mkdirSync(join(projectRoot, '.local-aws'), { recursive: true });
    buildDir = mkdtempSync(join(projectRoot, '.local-aws', 'fixture-bundles-'));
    writeFileSync(join(buildDir, 'package.json'), '{"type":"commonjs"}\n');
    for (const [logicalId, code] of Object.entries(fixtures)) {
      mkdirSync(join(buildDir, logicalId));
      writeFileSync(join(buildDir, logicalId, 'index.js'), code);
    }
    aws = await startLocalAws({ buildDir, quiet: true });
    sfn = new SFNClient({ endpoint: aws.endpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  });

  afterAll(async () => {
    await aws?.stop();
    rmSync(buildDir, { recursive: true, force: true });
  });

  test('invokes a handler by name or ARN with a Lambda context and the template environment', async () => {
    for (const name of ['SetWeightFunction', aws.functionArn('SetWeightFunction')]) {
      const res = await invoke(aws.endpoint, name, { weight: 10 });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-amz-executed-version')).toBe('$LATEST');
      expect(res.headers.get('x-amz-function-error')).toBeNull();
      expect(res.body).toMatchObject({
        event: { weight: 10 },
        stateMachines: expect.any(Number),
        context: {
          functionName: 'SetWeightFunction',
          functionVersion: '$LATEST',
          invokedFunctionArn: aws.functionArn('SetWeightFunction'),
          memoryLimitInMB: '256',
          logGroupName: '/aws/lambda/SetWeightFunction',
          awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          callbackWaitsForEmptyEventLoop: true,
        },
        // POWERTOOLS_LOG_LEVEL is `!Ref LogLevel` in the template: its Default.
        env: { logLevel: 'INFO', service: 'mesh-canary', endpoint: aws.endpoint, functionName: 'SetWeightFunction' },
      });
      expect(res.body.context.remaining).toBeGreaterThan(29_000);
      expect(res.body.context.remaining).toBeLessThanOrEqual(30_000);
    }
  });

  test('answers errors, Event, DryRun and unknown functions as Lambda does', async () => {
    const failed = await invoke(aws.endpoint, 'PrepareFunction', { a: 1 });
    expect(failed.status).toBe(200);
    expect(failed.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(failed.body).toMatchObject({ errorType: 'CanaryFixtureError', errorMessage: 'fixture failed on {"a":1}' });

    expect((await invoke(aws.endpoint, 'SetWeightFunction', {}, { 'X-Amz-Invocation-Type': 'Event' })).status).toBe(202);
    expect((await invoke(aws.endpoint, 'SetWeightFunction', {}, { 'X-Amz-Invocation-Type': 'DryRun' })).status).toBe(204);

    const missing = await invoke(aws.endpoint, 'NoSuchFunction', {});
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(missing.body.message).toContain('function:NoSuchFunction');

    // In the template but not built: Lambda's own error for a missing module.
    const unbuilt = await invoke(aws.endpoint, 'RollbackFunction', {});
    expect(unbuilt.body.errorType).toBe('Runtime.ImportModuleError');
  });

  // ---------------------------------------------------------------------- Step Functions

  async function createMachine(name: string, definition: object): Promise<string> {
    const created = await sfn.send(new CreateStateMachineCommand({
      name: `${name}-${suffix}`, definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${aws.accountId}:role/local`,
    }));
    return created.stateMachineArn!;
  }

  async function runToEnd(stateMachineArn: string, input: object): Promise<DescribeExecutionOutput> {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: randomUUID(), input: JSON.stringify(input) }));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (execution.status !== 'RUNNING') return execution;
      if (Date.now() > deadline) throw new Error(`${executionArn} still RUNNING after 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const lambdaTask = (fn: string, extra: object = {}) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: aws.functionArn(fn), 'Payload.$': '$' },
    OutputPath: '$.Payload',
    ...extra,
  });

  test('runs Lambda tasks to SUCCEEDED, twice in a row', async () => {
    const arn = await createMachine('echo', { StartAt: 'Echo', States: { Echo: lambdaTask('SetWeightFunction', { End: true }) } });
    for (const weight of [10, 20]) { // the second StartExecution hit moto's "cannot pickle '_thread.RLock'"
      const execution = await runToEnd(arn, { weight });
      expect(execution.status).toBe('SUCCEEDED');
      expect(JSON.parse(execution.output!)).toMatchObject({ event: { weight }, context: { functionName: 'SetWeightFunction' } });
    }
  });

  test('catches a handler error by its name', async () => {
    const arn = await createMachine('catch', {
      StartAt: 'Fail',
      States: {
        Fail: lambdaTask('PrepareFunction', {
          Catch: [{ ErrorEquals: ['CanaryFixtureError'], ResultPath: '$.error', Next: 'Caught' }],
          End: true,
        }),
        Caught: { Type: 'Pass', End: true },
      },
    });
    const execution = await runToEnd(arn, { step: 1 });
    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output!);
    expect(output.error.Error).toBe('CanaryFixtureError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({ errorType: 'CanaryFixtureError', errorMessage: 'fixture failed on {"step":1}' });
  });

  test('a definition error reaches the SDK as a named exception', async () => {
    await expect(createMachine('broken', { StartAt: 'Nowhere', States: {} })).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });

  test('stop() leaves nothing listening', async () => {
    const other = await startLocalAws({ buildDir, quiet: true });
    await other.stop();
    await other.stop(); // idempotent
    await expect(fetch(other.endpoint)).rejects.toThrow();
    await expect(fetch(other.motoEndpoint)).rejects.toThrow();
  });
});

describe('moto\'s interpreter when a Parallel stops a branch that is starting a task', () => {
  // What made GetExecutionHistory answer 500 after an approval (about one demo run in six):
  // see patch_stepfunctions_stopped_branch in local/moto_launcher.py. The script holds the
  // branch at the racy point, so the outcome does not depend on timing.
  const run = (...args: string[]) => runMotoScript('stopped_branch.py', ...args);

  test('the history stays readable, and the stopped branch schedules nothing', async () => {
    expect(await run()).toEqual({ status: 'FAILED', history: 'ok', scheduledSlow: 0 });
  });

  test('without the launcher\'s fix, the history cannot be read: the check catches the bug', async () => {
    const unfixed = await run('--without-fix');
    expect(unfixed).toMatchObject({ status: 'FAILED', history: 'error' });
    expect(unfixed.error).toMatch(/int\(\) argument must be .* not 'dict'/);
  });
});

describe('moto\'s DynamoDB when writers race for one lock item', () => {
  // The deployment lock is a conditional PutItem: AWS applies condition and write atomically, so
  // of writers racing for one key exactly one wins. moto reads, parses the condition, then writes,
  // on server threads (see patch_dynamodb_atomic_writes). The script widens that window so the
  // outcome does not depend on timing.
  const run = (...args: string[]) => runMotoScript('dynamodb_race.py', ...args);

  test('with the launcher\'s fix, exactly one of 8 wins', async () => {
    expect(await run()).toEqual({ winners: 1, failed: 7 });
  });

  test('without it, several take the same lock: the check catches the bug', async () => {
    expect((await run('--without-fix')).winners).toBeGreaterThan(1);
  });
});

describe('moto\'s interpreter when an execution ends', () => {
  // AWS shows an ended execution's output (or error and cause) with its status; moto 5.2.1 set the
  // status first, so a DescribeExecution in between showed SUCCEEDED with no output (a test saw it
  // once): see patch_stepfunctions_end_order. The script records the order moto assigns them in.
  const run = (...args: string[]) => runMotoScript('end_order.py', ...args);

  test('with the launcher\'s fix, the result is there before the status says the execution ended', async () => {
    expect(await run()).toEqual({ succeeded: ['output', 'exec_status'], failed: ['error', 'cause', 'exec_status'] });
  });

  test('without it, the status comes first: the check catches the bug', async () => {
    expect(await run('--without-fix')).toEqual({ succeeded: ['exec_status', 'output'], failed: ['exec_status', 'error', 'cause'] });
  });
});

describe('startLocalAws without moto', () => {
  test('fails with the command that installs it', async () => {
    const saved = process.env.MESH_CANARY_PYTHON;
    process.env.MESH_CANARY_PYTHON = '/nonexistent/python3';
    try {
      await expect(startLocalAws()).rejects.toThrow(/pip install "moto\[server\]==5\.2\.1"/);
    } finally {
      if (saved === undefined) delete process.env.MESH_CANARY_PYTHON;
      else process.env.MESH_CANARY_PYTHON = saved;
    }
  });
});
