// Safety on the local AWS: one deployment per route, drift detection (both onDrift policies),
// and the abort guard after StopExecution, driven by the event EventBridge would send.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateVirtualNodeCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  alarm, appMesh, canaryWeight, demoMesh, finished, history, routeNow, setAlarm, sfn, shifts, stack, start, statesEntered, until,
} from '../support/executions.ts';
import { lockKeyOf, root } from '../support/fixtures.ts';
import { call } from '../support/invoke.ts';

const dynamo = new DynamoDBClient({});
const lockItem = async (route: { meshName: string; virtualRouterName: string; routeName: string }) =>
  (await dynamo.send(new GetItemCommand({ TableName: stack().outputs.LockTableName, Key: { route: { S: lockKeyOf(route) } }, ConsistentRead: true }))).Item;
const linear = (extra: object = {}) => ({ strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, ...extra });

async function setByHand(route: { meshName: string; virtualRouterName: string; routeName: string }, targets: { virtualNode: string; weight: number }[]) {
  const spec = structuredClone((await routeNow(route)).spec!);
  spec.httpRoute!.action!.weightedTargets = targets;
  await appMesh.send(new UpdateRouteCommand({ ...route, spec }));
}

test('two executions started together on one route: one proceeds, the other fails DeploymentInProgress and never writes', async () => {
  const mesh = await demoMesh();
  const input = { ...mesh, ...linear({ strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 1 } }), healthChecks: { alarms: { names: [await alarm()] } } };
  const [a, b] = await Promise.all([start('linear', input), start('linear', input)]);
  const [endA, endB] = await Promise.all([finished(a), finished(b)]);
  const outcomes = [endA, endB].map((e) => e.status === 'SUCCEEDED' ? 'promoted' : e.error);
  expect(outcomes.sort()).toEqual(['DeploymentInProgress', 'promoted']);
  const loser = endA.status === 'SUCCEEDED' ? b : a;
  const loserEnd = endA.status === 'SUCCEEDED' ? endB : endA;
  // The cause is the message a person should read, not the Lambda error's JSON with its stack trace.
  expect(loserEnd.cause).toMatch(/^[^{].* is being deployed by .*one deployment per route\. Nothing was changed$/);
  expect(shifts(await history(loser))).toEqual([]);
  expect((await history(loser)).some((e) => e.type === 'TaskScheduled' && /SetWeight|Promote|Rollback/.test(e.taskScheduledEventDetails!.parameters!))).toBe(false);
  expect(await lockItem(mesh.route)).toBeUndefined(); // released at promote
});

test('a lock is released at rollback, so the next deployment of the route can start', async () => {
  const mesh = await demoMesh();
  const alarmName = await alarm();
  const arn = await start('linear', { ...mesh, ...linear(), healthChecks: { alarms: { names: [alarmName] } } });
  await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
  await setAlarm(alarmName, 'ALARM', '5xx');
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(await lockItem(mesh.route)).toBeUndefined();
  const next = await finished(await start('linear', { ...mesh, ...linear({ strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } }) }));
  expect(next.status).toBe('SUCCEEDED');
});

test('drift, onDrift halt (the default): the weight set by hand is detected at the next step and left alone', async () => {
  const mesh = await demoMesh();
  const arn = await start('linear', { ...mesh, ...linear() });
  await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
  const byHand = [{ virtualNode: 'product-vn', weight: 95 }, { virtualNode: 'product-v15-vn', weight: 5 }];
  await setByHand(mesh.route, byHand);
  const end = await finished(arn);
  expect(end.error).toBe('RouteDriftDetected');
  expect(end.cause).toMatch(/left as it is now \(product-vn 95, product-v15-vn 5\), not restored: onDrift is halt/);
  expect(shifts(await history(arn))).toEqual([25]);
  expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual(byHand);
  expect(await lockItem(mesh.route)).toBeUndefined();
});

test('drift, onDrift rollback: detected at the next step and the snapshot restored', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('linear', { ...mesh, ...linear({ onDrift: 'rollback' }) });
  await until('the canary at 50%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 50);
  await setByHand(mesh.route, [{ virtualNode: 'product-vn', weight: 10 }, { virtualNode: 'product-v15-vn', weight: 90 }]);
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('RouteDriftDetected');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('StopExecution mid-way: the guard, given the event EventBridge sends, restores the snapshot and releases the lock', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('linear', { ...mesh, ...linear() });
  // Stop while it waits at 50% (its Shift step has ended: no write can still land).
  await until('the canary waiting at 50%', async () => shifts(await history(arn)).includes(50));
  await sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'operator pressed stop' }));
  const end = await finished(arn);
  expect(end.status).toBe('ABORTED');
  // Step Functions skips every Catch on stop: the route is still half-shifted, the lock still held.
  expect(await canaryWeight(mesh.route, mesh.canaryNode)).toBe(50);
  expect(await lockItem(mesh.route)).toBeDefined();

  const documented = JSON.parse(readFileSync(join(root, 'events', 'guard-aborted.json'), 'utf8'));
  const event = { ...documented, resources: [arn], detail: { ...documented.detail, executionArn: arn, stateMachineArn: end.stateMachineArn, name: end.name, status: 'ABORTED' } };
  const result = await call('GuardFunction', event);
  expect(result).toMatchObject({ action: 'restored', changed: true, weightedTargets: before.spec!.httpRoute!.action!.weightedTargets });
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
  expect(await lockItem(mesh.route)).toBeUndefined();

  // EventBridge delivers at least once: the second delivery finds nothing to do.
  expect(await call('GuardFunction', event)).toMatchObject({ action: 'restored', changed: false });
});

test('the guard leaves alone executions that rolled back, halted on drift, or never got past their snapshot', async () => {
  const mesh = await demoMesh();
  const alarmName = await alarm();
  const arn = await start('linear', { ...mesh, ...linear(), healthChecks: { alarms: { names: [alarmName] } } });
  await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
  await setAlarm(alarmName, 'ALARM', '5xx');
  const rolledBack = await finished(arn);
  expect(rolledBack.error).toBe('CanaryRolledBack');
  const invalid = await finished(await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 0, intervalSeconds: 0 } }));
  const documented = JSON.parse(readFileSync(join(root, 'events', 'guard-aborted.json'), 'utf8'));
  const eventFor = (e: typeof rolledBack) => ({ ...documented, detail: { ...documented.detail, executionArn: e.executionArn, status: e.status, error: e.error } });
  expect(await call('GuardFunction', eventFor(rolledBack))).toMatchObject({ action: 'already-rolled-back' });
  expect(await call('GuardFunction', eventFor(invalid))).toMatchObject({ action: 'nothing-changed' });
  expect(await call('GuardFunction', { ...eventFor(rolledBack), detail: { ...eventFor(rolledBack).detail, status: 'SUCCEEDED' } })).toMatchObject({ action: 'ignored' });
});

describe('refused before any change (issue 8, item 8): the error says what happened, the route is untouched, the lock released', () => {
  test.each([
    ['a failing baseline verdict', 'BaselineUnhealthy', async () => ({ alarms: { names: [await alarm('ALARM')] } }),
      /^the baseline verdict, taken before any traffic moved to the canary, failed: 1 failing verdict in a row \(threshold 1\): alarm canary-5xx-\S+ is ALARM: test: ALARM\. Nothing was changed: route \S+ was not touched, and its deployment lock is released\.$/],
    ['an alarm that does not exist', 'HealthCheckMisconfigured', async () => ({ alarms: { names: ['no-such-alarm'] } }),
      /^.*no-such-alarm.*\. Nothing was changed: route \S+ was not touched, and its deployment lock is released\.$/],
  ] as const)('%s ends %s, not CanaryRolledBack', async (_label, error, healthChecks, cause) => {
    const mesh = await demoMesh();
    const before = await routeNow(mesh.route);
    const arn = await start('linear', { ...mesh, ...linear(), healthChecks: await healthChecks() });
    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error });
    expect(end.cause).toMatch(cause);
    expect(end.cause).not.toMatch(/trace|errorType|at .*\.js/);
    const entered = statesEntered(await history(arn));
    expect(entered).not.toContain('Shift');
    expect(entered).not.toContain('Rollback');
    expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
    expect((await routeNow(mesh.route)).metadata!.version).toBe(before.metadata!.version);
    expect(await lockItem(mesh.route)).toBeUndefined();
    // The guard, given the FAILED event, finds nothing to restore and touches nothing.
    const documented = JSON.parse(readFileSync(join(root, 'events', 'guard-aborted.json'), 'utf8'));
    expect(await call('GuardFunction', { ...documented, detail: { ...documented.detail, executionArn: arn, status: 'FAILED', error } }))
      .toMatchObject({ action: 'nothing-changed', lockReleased: false });
    expect((await routeNow(mesh.route)).metadata!.version).toBe(before.metadata!.version);
  });

  test('an input refused by Prepare ends with its error and the readable message as the cause', async () => {
    const mesh = await demoMesh();
    const end = await finished(await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 0, intervalSeconds: 0 } }));
    expect({ error: end.error, cause: end.cause }).toEqual({ error: 'InvalidInput', cause: 'Invalid input: strategy.stepPercent must be an integer from 1 to 100 (got 0)' });
    const odd = await finished(await start('linear', [1, 2]));
    expect({ error: odd.error, cause: odd.cause }).toEqual({ error: 'InvalidInput', cause: 'Invalid input: input must be an object (got an array of 2 items)' });
  });
});

test('rollback undoes only this deployment (issue 8, item 9): a third target re-weighted by hand mid-deployment keeps the hand edit, and the cause says so', async () => {
  const mesh = await demoMesh();
  await appMesh.send(new CreateVirtualNodeCommand({ meshName: mesh.route.meshName, virtualNodeName: 'product-legacy-vn', spec: {} }));
  await setByHand(mesh.route, [{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'product-legacy-vn', weight: 10 }]);
  const alarmName = await alarm();
  const arn = await start('linear', { ...mesh, ...linear(), healthChecks: { alarms: { names: [alarmName] } } });
  // 25% of the pool (90) is 23 (22.5 rounded).
  await until('the canary at 25% of the pool', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 23);
  // Someone re-weights the third target (not drift: it is not this deployment's), then the canary fails.
  const now = (await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets!;
  await setByHand(mesh.route, now.map((t) => ({ virtualNode: t.virtualNode!, weight: t.virtualNode === 'product-legacy-vn' ? 30 : t.weight! })));
  await setAlarm(alarmName, 'ALARM', '5xx rate 9%');

  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'product-legacy-vn', weight: 30 }]);
  expect(end.cause).toContain('product-vn and product-v15-vn back to their snapshot weights (product-vn 90, product-legacy-vn 30)');
  expect(end.cause).toContain('other targets were changed during the deployment and are left as they are, unlike the snapshot: product-legacy-vn 30 (snapshot 10)');
  const rollback = (await history(arn)).find((e) => e.type === 'TaskSucceeded' && JSON.parse(e.taskSucceededEventDetails!.output!).Payload?.summary);
  expect(JSON.parse(rollback!.taskSucceededEventDetails!.output!).Payload.keptChanges).toEqual([
    { virtualNode: 'product-legacy-vn', snapshot: { virtualNode: 'product-legacy-vn', weight: 10 }, now: { virtualNode: 'product-legacy-vn', weight: 30 } },
  ]);
  expect(await lockItem(mesh.route)).toBeUndefined();
});
