// Real executions of the three state machines on VPC Lattice routes on the local AWS (the real
// function bundles, moto with local/moto_launcher.py's Lattice): promoted, rolled back on an
// alarm, approval, drift under both onDrift policies, the abort guard, concurrent starts, a
// rollback that cannot restore (RollbackFailed, the lock kept). The error-rate check is in
// lattice-health.test.ts, faults in lattice-faults.test.ts. Every route is read back with Lattice's own API (GetRule/GetListener), never through the router.
// settleSeconds is 0 so the tests stay fast (Lattice's default is 90).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SendTaskFailureCommand, SendTaskSuccessCommand, StopExecutionCommand, type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import {
  alarm, approvalToken, finished, history, setAlarm, sfn, shifts, start, statesEntered, until,
} from '../support/executions.ts';
import { root } from '../support/fixtures.ts';
import { call } from '../support/invoke.ts';
import {
  demoLattice, latticeCanaryPercent, latticeLockItem as lockItem, latticeRouteState, latticeTargets, setLatticeActionByHand, setLatticeByHand,
} from '../support/lattice.ts';

const linear = (stepPercent = 25, intervalSeconds = 1) => ({ strategy: { type: 'linear', stepPercent, intervalSeconds }, settleSeconds: 0 });
const guardEvent = (arn: string, end: { stateMachineArn?: string; name?: string }) => {
  const documented = JSON.parse(readFileSync(join(root, 'events', 'guard-aborted.json'), 'utf8'));
  return { ...documented, resources: [arn], detail: { ...documented.detail, executionArn: arn, stateMachineArn: end.stateMachineArn, name: end.name, status: 'ABORTED' } };
};
/** The event EventBridge sends when an execution ends as `end` says (FAILED, with its error and cause). */
const endedEvent = (arn: string, end: DescribeExecutionCommandOutput) => {
  const event = guardEvent(arn, end);
  return { ...event, detail: { ...event.detail, status: end.status, error: end.error ?? null, cause: end.cause ?? null } };
};

describe.each([['a listener rule', false], ['a listener\'s default action', true]] as const)('on %s', (_label, defaultAction) => {
  test('linear: 30% steps, then promoted: the canary target group alone, the rule otherwise untouched', async () => {
    const { input } = await demoLattice({ defaultAction });
    const before = await latticeRouteState(input.route);
    const arn = await start('linear', { ...input, ...linear(30, 0), healthChecks: { alarms: { names: [await alarm()] } } });
    const end = await finished(arn);
    expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });
    expect(shifts(await history(arn))).toEqual([30, 60, 90, 100]);
    expect(JSON.parse(end.output!)).toMatchObject({ outcome: 'promoted' });
    expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
    // Only the action changed (a rule keeps its match, priority and name).
    const { action: _a, defaultAction: _d, ...rest } = await latticeRouteState(input.route);
    const { action: _b, defaultAction: _e, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect(await lockItem(input.route)).toBeUndefined();
  });

  test('linear: an alarm at 50% rolls back to the exact snapshot', async () => {
    const { input } = await demoLattice({ defaultAction });
    const before = await latticeRouteState(input.route);
    const alarmName = await alarm();
    const arn = await start('linear', { ...input, ...linear(25, 1), healthChecks: { alarms: { names: [alarmName] } } });
    await until('the canary at 50%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 50);
    await setAlarm(alarmName, 'ALARM', '5xx rate 12%');
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain('5xx rate 12%');
    expect(shifts(await history(arn))).toEqual([25, 50]);
    expect(await latticeRouteState(input.route)).toEqual(before);
    expect(await lockItem(input.route)).toBeUndefined();
  });
});

test('step-then-all: customer to v2 at 20%, a 2 s bake, then promoted', async () => {
  const { input } = await demoLattice({ service: 'customer' });
  const arn = await start('step-then-all', {
    ...input, strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 2, checkIntervalSeconds: 1 }, settleSeconds: 0,
    healthChecks: { alarms: { names: [await alarm()] } },
  });
  await until('the canary at 20%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 20);
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  expect(shifts(await history(arn))).toEqual([20]);
  expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
});

test('step-then-all: an alarm during the bake rolls back to the exact snapshot', async () => {
  const { input } = await demoLattice({ service: 'customer' });
  const before = await latticeRouteState(input.route);
  const alarmName = await alarm();
  const arn = await start('step-then-all', {
    ...input, strategy: { type: 'step-then-all', canaryPercent: 10, bakeSeconds: 600, checkIntervalSeconds: 1 }, settleSeconds: 0,
    healthChecks: { alarms: { names: [alarmName] } },
  });
  await until('the canary at 10%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 10);
  await setAlarm(alarmName, 'ALARM', 'p99 latency 2.3 s');
  const end = await finished(arn, 30_000);
  expect(end.error).toBe('CanaryRolledBack');
  expect(await latticeRouteState(input.route)).toEqual(before);
});

describe('manual approval: order to v2', () => {
  const strategy = { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 120, checkIntervalSeconds: 1 };

  test('approve: waits at 10% until a person approves, then promoted', async () => {
    const { input } = await demoLattice({ service: 'order' });
    const arn = await start('manual-approval', { ...input, strategy, settleSeconds: 0, healthChecks: { alarms: { names: [await alarm()] } } });
    const token = await approvalToken(arn);
    expect(await latticeCanaryPercent(input.route, input.canaryTargetGroup)).toBe(10);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
    const end = await finished(arn);
    expect(end.status).toBe('SUCCEEDED');
    expect(JSON.parse(end.output!)).toMatchObject({ outcome: 'promoted', approval: 'approved' });
    expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
  });

  test('reject: rolled back to the exact snapshot, the reason in the cause', async () => {
    const { input } = await demoLattice({ service: 'order' });
    const before = await latticeRouteState(input.route);
    const arn = await start('manual-approval', { ...input, strategy, settleSeconds: 0 });
    await sfn.send(new SendTaskFailureCommand({ taskToken: await approvalToken(arn), error: 'Rejected', cause: 'checkout latency doubled' }));
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain('Rejected: checkout latency doubled');
    expect(await latticeRouteState(input.route)).toEqual(before);
    expect(await lockItem(input.route)).toBeUndefined();
  });
});

describe('drift: someone else changes the rule mid-deployment', () => {
  test('onDrift halt (the default): detected at the next step and left as they set it', async () => {
    const { input } = await demoLattice();
    const arn = await start('linear', { ...input, ...linear(25, 1) });
    await until('the canary at 25%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 25);
    const byHand = [{ targetGroupIdentifier: input.stableTargetGroup, weight: 95 }, { targetGroupIdentifier: input.canaryTargetGroup, weight: 5 }];
    await setLatticeByHand(input.route, byHand);
    const end = await finished(arn);
    expect(end.error).toBe('RouteDriftDetected');
    expect(end.cause).toMatch(/not restored: onDrift is halt/);
    expect(shifts(await history(arn))).toEqual([25]);
    expect(await latticeTargets(input.route)).toEqual(byHand);
    expect(await lockItem(input.route)).toBeUndefined();
  });

  test('onDrift rollback: detected at the next step and the snapshot restored', async () => {
    const { input } = await demoLattice();
    const before = await latticeRouteState(input.route);
    const arn = await start('linear', { ...input, ...linear(25, 1), onDrift: 'rollback' });
    await until('the canary at 50%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 50);
    await setLatticeByHand(input.route, [{ targetGroupIdentifier: input.stableTargetGroup, weight: 10 }, { targetGroupIdentifier: input.canaryTargetGroup, weight: 90 }]);
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain('RouteDriftDetected');
    expect(await latticeRouteState(input.route)).toEqual(before);
  });
});

test.each([['a listener rule', false], ['a listener\'s default action', true]] as const)('StopExecution mid-way on %s: the guard, given the event EventBridge sends, restores the snapshot and releases the lock', async (_label, defaultAction) => {
  const { input } = await demoLattice({ defaultAction });
  const before = await latticeRouteState(input.route);
  const arn = await start('linear', { ...input, ...linear(25, 1) });
  await until('the canary waiting at 50%', async () => shifts(await history(arn)).includes(50));
  await sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'operator pressed stop' }));
  const end = await finished(arn);
  expect(end.status).toBe('ABORTED');
  expect(await latticeCanaryPercent(input.route, input.canaryTargetGroup)).toBe(50);
  expect(await lockItem(input.route)).toBeDefined();

  const event = guardEvent(arn, end);
  expect(await call('GuardFunction', event)).toMatchObject({ action: 'restored', changed: true });
  expect(await latticeRouteState(input.route)).toEqual(before);
  expect(await lockItem(input.route)).toBeUndefined();
  // EventBridge delivers at least once: the second delivery finds nothing to do.
  expect(await call('GuardFunction', event)).toMatchObject({ action: 'restored', changed: false });
});

test('two executions started together on one rule, one by IDs and one by ARNs: one proceeds, the other fails DeploymentInProgress and never writes', async () => {
  const { demo, input } = await demoLattice();
  const s = demo.services.product;
  const byArn = { ...input, route: { service: s.serviceArn, listener: s.listenerArn, rule: s.ruleArn }, canaryTargetGroup: demo.targetGroupArns['product-v15'] };
  const [a, b] = await Promise.all([start('linear', { ...input, ...linear(50, 1) }), start('linear', { ...byArn, ...linear(50, 1) })]);
  const [endA, endB] = await Promise.all([finished(a), finished(b)]);
  expect([endA, endB].map((e) => (e.status === 'SUCCEEDED' ? 'promoted' : e.error)).sort()).toEqual(['DeploymentInProgress', 'promoted']);
  const loser = endA.status === 'SUCCEEDED' ? b : a;
  const loserEnd = endA.status === 'SUCCEEDED' ? endB : endA;
  expect(loserEnd.cause).toMatch(/one deployment per route\. Nothing was changed$/);
  const entered = statesEntered(await history(loser));
  expect(entered).not.toContain('Shift');
  expect(entered).not.toContain('Rollback');
  expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
  expect(await lockItem(input.route)).toBeUndefined();
});

test.each([['a listener rule', false], ['a listener\'s default action', true]] as const)('a rollback that cannot restore on %s (a fixed response put in place of the forward action mid-deployment) ends RollbackFailed naming the route; the lock is kept, as on App Mesh, until the guard\'s own restore succeeds', async (_label, defaultAction) => {
  const { input } = await demoLattice({ defaultAction });
  const { route } = input;
  const before = await latticeRouteState(route);
  const arn = await start('linear', { ...input, ...linear(25, 1) });
  await until('the canary at 25%', async () => (await latticeCanaryPercent(route, input.canaryTargetGroup)) === 25);
  const left = await latticeTargets(route);
  // Someone puts up a maintenance page: there is no forward action left to put the weights back in.
  await setLatticeActionByHand(route, { fixedResponse: { statusCode: 404 } });

  const end = await finished(arn);
  expect(end.error).toBe('RollbackFailed');
  expect(end.cause).toMatch(/needs a person/);
  const label = `${route.service}/${route.listener}/${route.rule ?? 'default'}`;
  expect(end.cause).toContain(`Why it failed: `);
  expect(end.cause!.slice(end.cause!.indexOf('Why it failed: '))).toContain(`UnsupportedRoute`);
  expect(end.cause!.slice(end.cause!.indexOf('Why it failed: '))).toContain(`${label}: the ${defaultAction ? 'listener\'s default action' : 'rule'} is a fixed response`);
  expect(shifts(await history(arn))).toEqual([25]);
  // Nothing was written over the person's fixed response, and the execution still holds the route's lock.
  expect((await latticeRouteState(route))[defaultAction ? 'defaultAction' : 'action']).toEqual({ fixedResponse: { statusCode: 404 } });
  expect((await lockItem(route))?.executionId?.S).toBe(arn);

  // The abort guard gets the FAILED event: its restore fails the same way, so the lock stays (someone must look first).
  const event = endedEvent(arn, end);
  await expect(call('GuardFunction', event)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining(label) });
  expect((await lockItem(route))?.executionId?.S).toBe(arn);

  // The person puts the forward action back as the deployment left it: the guard's restore now succeeds and releases the lock.
  await setLatticeByHand(route, left);
  expect(await call('GuardFunction', event)).toMatchObject({ action: 'restored', changed: true });
  expect(await latticeRouteState(route)).toEqual(before);
  expect(await lockItem(route)).toBeUndefined();
});

test('a stopped deployment\'s lock can be given back (mesh-canary abort\'s releaseLock) even once the rule\'s action is a fixed response; the route is not touched', async () => {
  const { input } = await demoLattice();
  const arn = await start('linear', { ...input, ...linear(25, 1) });
  await until('the canary at 25%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 25);
  await sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'maintenance' }));
  expect((await finished(arn)).status).toBe('ABORTED');
  await setLatticeActionByHand(input.route, { fixedResponse: { statusCode: 500 } });
  const before = await latticeRouteState(input.route);
  expect((await lockItem(input.route))?.executionId?.S).toBe(arn);

  expect(await call('RollbackFunction', { releaseLock: { route: input.route, executionId: arn } })).toMatchObject({ released: true });
  expect(await lockItem(input.route)).toBeUndefined();
  expect(await latticeRouteState(input.route)).toEqual(before);
});
