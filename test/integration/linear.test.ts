// Real executions of statemachines/linear.asl.json on the local AWS, checking the route at
// every step and at the end.
import { DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteRouteCommand } from '@aws-sdk/client-app-mesh';
import {
  alarm, appMesh, canaryWeight, cloudWatch, demoMesh, finished, history, routeNow, setAlarm, shifts, start, statesEntered, until,
} from '../support/executions.ts';

test('healthy: 30% steps end at 100 (not above), one verdict before each raise and one at the end, then promote', async () => {
  const mesh = await demoMesh();
  const alarmName = await alarm();
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 30, intervalSeconds: 0 }, healthChecks: { alarms: { names: [alarmName] } },
  });
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');

  const events = await history(arn);
  expect(shifts(events)).toEqual([30, 60, 90, 100]);
  const output = JSON.parse(end.output!);
  expect(output).toMatchObject({
    outcome: 'promoted', canaryNode: 'product-v15-vn', checks: 5,
    snapshot: [{ virtualNode: 'product-vn', weight: 100 }],
    weightedTargets: [{ virtualNode: 'product-v15-vn', weight: 100 }],
  });
  expect(output.verdicts.map((v: any) => [v.weight, v.verdict, v.decision])).toEqual([
    [0, 'pass', 'advance'], [30, 'pass', 'advance'], [60, 'pass', 'advance'], [90, 'pass', 'advance'], [100, 'pass', 'promote']]);
  expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-v15-vn', weight: 100 }]);
});

test('an alarm going to ALARM at a middle step rolls back to the exact snapshot', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const alarmName = await alarm();
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, healthChecks: { alarms: { names: [alarmName] } },
  });
  await until('the canary at 50%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 50);
  await setAlarm(alarmName, 'ALARM', '5xx rate 12%');

  const end = await finished(arn);
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('CanaryUnhealthy');
  expect(end.cause).toContain('5xx rate 12%');
  expect(shifts(await history(arn))).toEqual([25, 50]);
  const after = await routeNow(mesh.route);
  expect(after.spec).toEqual(before.spec);
});

test('a function error after the first change rolls back', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const alarmName = await alarm();
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, healthChecks: { alarms: { names: [alarmName] } },
  });
  await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
  await cloudWatch.send(new DeleteAlarmsCommand({ AlarmNames: [alarmName] }));

  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('HealthCheckMisconfigured');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('a rollback that cannot succeed ends RollbackFailed, saying a person must act', async () => {
  const mesh = await demoMesh();
  const arn = await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 } });
  await until('the canary at 25%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 25);
  await appMesh.send(new DeleteRouteCommand(mesh.route));

  const end = await finished(arn);
  expect(end.error).toBe('RollbackFailed');
  expect(end.cause).toMatch(/needs a person/);
  expect(end.cause).toContain('RouteNotFound');
});

test('inconclusive counts as failing by default, once the canary has traffic: rolled back at the first step', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, healthChecks: { alarms: { names: [await alarm('INSUFFICIENT_DATA')] } },
  });
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  // The baseline (no traffic on the canary yet) does not block the start; at 50% too little data does.
  expect(shifts(await history(arn))).toEqual([50]);
  expect(end.cause).toMatch(/canary at 50% had 1 failing verdict/);
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('inconclusive as pass, and a failureThreshold that tolerates one failing verdict', async () => {
  const mesh = await demoMesh();
  const flaky = await alarm();
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 1 }, failureThreshold: 2, inconclusive: 'pass',
    healthChecks: { alarms: { names: [flaky, await alarm('INSUFFICIENT_DATA')] } },
  });
  await until('the canary at 50%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 50);
  await setAlarm(flaky, 'ALARM', 'one bad minute');
  await until('a failing verdict', async () => (await history(arn)).some((e) => e.type === 'TaskStateExited'
    && e.stateExitedEventDetails?.name === 'CheckHealth' && JSON.parse(e.stateExitedEventDetails.output!).gate.verdict === 'fail'));
  await setAlarm(flaky, 'OK', 'recovered');

  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  const verdicts = JSON.parse(end.output!).verdicts.map((v: any) => [v.weight, v.verdict, v.decision]);
  expect(verdicts).toContainEqual([50, 'fail', 'wait']);
  expect(verdicts.at(-1)).toEqual([100, 'inconclusive', 'promote']); // INSUFFICIENT_DATA, counted as a pass
});

test('per step: at most 4 state transitions and 2 Lambda invocations', async () => {
  const mesh = await demoMesh();
  const arn = await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 10, intervalSeconds: 0 } });
  expect((await finished(arn)).status).toBe('SUCCEEDED');
  const events = await history(arn);
  const entered = statesEntered(events);
  // From the first Shift to the last: 10 steps of CheckHealth, Gate, Shift, Wait.
  const loop = entered.slice(entered.indexOf('Shift'), entered.lastIndexOf('Shift'));
  expect(loop.length / 9).toBe(4);
  expect(events.filter((e) => e.type === 'TaskScheduled').length).toBe(1 + 11 + 10 + 1); // prepare, checks, shifts, promote
});
