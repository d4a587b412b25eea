// An abort during Prepare must not lock the route for hours (issue 8, item 7). StopExecution
// ends the execution while Prepare's Lambda keeps running; if whoever cleans up releases the
// lock before Prepare's conditional write lands, the write then holds the route for the stopped
// execution until its TTL. Reproduced on the local AWS by slowing DynamoDB with the front's
// fault injector and stopping right after Prepare's TaskStarted; the abort guard (driven with
// the event EventBridge sends) and `mesh-canary abort` must both wait until Prepare must have
// ended, then release that execution's lock, so the next deployment on the route can start.
// This file runs its own local AWS: its faults must not reach other test files, and its guard
// reads a short PREPARE_TIMEOUT_SECONDS from the front's environment.
import { DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { abort } from '../../cli/commands/abort.ts';
import { makeContext } from '../../cli/commands/context.ts';
import { styleFor, type Out } from '../../cli/render.ts';
import type { LocalAws } from '../../local/aws.ts';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import type { LocalStack } from '../../local/stack.ts';
import type { DirectClients, OwnAws } from '../support/own-aws.ts';
import { DYNAMODB_LATENCY_MS, ended, faults, onlyPreparesWriteSlow, PREPARE_TIMEOUT_SECONDS, slowDynamoDb, slowPrepareAws, stopDuringPrepare } from '../support/slow-prepare.ts';
import { lockKeyOf, root } from '../support/fixtures.ts';
import { unique, until } from '../support/executions.ts';

let own: OwnAws;
let aws: LocalAws;
let stack: LocalStack;
let direct: DirectClients;

beforeAll(async () => {
  own = await slowPrepareAws('mesh-canary-abort-during-prepare');
  ({ aws, stack, direct } = own);
});
afterAll(() => aws?.stop());

async function lockHolder(route: { meshName: string; virtualRouterName: string; routeName: string }): Promise<string | undefined> {
  const out = await direct.dynamo.send(new GetItemCommand({
    TableName: stack.outputs.LockTableName, Key: { route: { S: lockKeyOf(route) } }, ConsistentRead: true,
  }));
  return out.Item?.executionId?.S;
}

/** A route of its own, and an execution on it stopped right after Prepare's Lambda started, with DynamoDB slow. */
async function stoppedDuringPrepare() {
  const meshName = unique('prep');
  await createDemoMesh(direct.appMesh, meshName);
  const route = { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' };
  const input = { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 } };
  const executionArn = await stopDuringPrepare(own, meshName, input);
  return { route, input, executionArn };
}

async function nextDeploymentOn(input: object): Promise<{ status?: string; error?: string }> {
  const { executionArn } = await direct.sfn.send(new StartExecutionCommand({
    stateMachineArn: stack.machines.linear, name: unique('next'), input: JSON.stringify({ ...input, strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } }),
  }));
  const end = await ended(own, executionArn!);
  return { status: end.status, error: end.error };
}

test('the abort guard waits out a Prepare still running at the stop, then releases its lock: the next deployment starts', async () => {
  const { route, input, executionArn } = await stoppedDuringPrepare();
  const before = (await direct.appMesh.send(new DescribeRouteCommand(route))).route!.spec;
  // EventBridge delivers ABORTED as soon as the execution stops (the documented event).
  const documented = JSON.parse(readFileSync(join(root, 'events', 'guard-aborted.json'), 'utf8'));
  const event = { ...documented, resources: [executionArn], detail: { ...documented.detail, executionArn, name: executionArn.split(':').at(-1), status: 'ABORTED', input: JSON.stringify(input) } };
  const startedAt = Date.now();
  const res = await fetch(`${aws.endpoint}/2015-03-31/functions/GuardFunction/invocations`, { method: 'POST', body: JSON.stringify(event) });
  const result = await res.json();
  expect(res.headers.get('x-amz-function-error')).toBeNull();

  // Prepare's lock landed while the guard waited, and the guard released it afterwards.
  expect(result).toMatchObject({ action: 'nothing-changed', lockReleased: true });
  expect(Date.now() - startedAt).toBeGreaterThan(DYNAMODB_LATENCY_MS);
  expect((await ended(own, executionArn)).status).toBe('ABORTED'); // Prepare's Lambda has returned: nothing more can land
  expect(await lockHolder(route)).toBeUndefined();
  expect((await direct.appMesh.send(new DescribeRouteCommand(route))).route!.spec).toEqual(before);
  expect(await nextDeploymentOn(input)).toEqual({ status: 'SUCCEEDED', error: undefined });
});

test('mesh-canary abort during Prepare waits it out too, releases the lock it took, and says so', async () => {
  const meshName = unique('prep-cli');
  await createDemoMesh(direct.appMesh, meshName);
  const route = { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' };
  const input = { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 } };
  await slowDynamoDb(own);
  const lines: string[] = [];
  const out: Out = { write: (text: string) => lines.push(text) };
  const ctx = makeContext({ stdout: out, stderr: out, signal: new AbortController().signal, graceful: () => undefined }, styleFor(out),
    { output: 'text', endpointUrl: aws.endpoint, region: aws.region });
  let code: number;
  try {
    const { executionArn } = await direct.sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines.linear, name: meshName, input: JSON.stringify(input) }));
    await until('Prepare\'s TaskStarted', async () => ((await direct.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [])
      .some((e) => e.type === 'TaskStarted'), 10_000);
    const run = abort(ctx, executionArn!, { rollbackFunctionArn: aws.functionArn('RollbackFunction'), prepareTimeoutMs: PREPARE_TIMEOUT_SECONDS * 1000 });
    // The CLI stops the execution, then waits for Prepare; from then on only Prepare's call in flight is slow.
    await onlyPreparesWriteSlow(own);
    code = await run;
    expect((await ended(own, executionArn!)).status).toBe('ABORTED');
  } finally {
    await faults(own, null);
  }
  expect(code).toBe(0);
  const said = lines.join('');
  expect(said).toMatch(/waiting up to \d+ s for the prepare step that was running/);
  expect(said).toMatch(/stopped .* at state Prepare before its prepare step took a snapshot: the route was never changed; the route lock it held is released/);
  expect(await lockHolder(route)).toBeUndefined();
  expect(await nextDeploymentOn(input)).toEqual({ status: 'SUCCEEDED', error: undefined });
});
