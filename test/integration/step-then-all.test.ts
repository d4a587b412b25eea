// Real executions of statemachines/step-then-all.asl.json on the local AWS.
import { alarm, canaryWeight, demoMesh, finished, history, routeNow, setAlarm, shifts, start, until } from '../support/executions.ts';

test('healthy: canary at 20%, a verdict every second of a 3 s bake, then 100% and promote', async () => {
  const mesh = await demoMesh();
  const arn = await start('step-then-all', {
    ...mesh, strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 3, checkIntervalSeconds: 1 }, healthChecks: { alarms: { names: [await alarm()] } },
  });
  await until('the canary at 20%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 20);
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  expect(shifts(await history(arn))).toEqual([20]);
  const output = JSON.parse(end.output!);
  // One baseline verdict, then one per checkIntervalSeconds during the bake (not only at its end).
  expect(output.verdicts.map((v: any) => [v.weight, v.decision])).toEqual([[0, 'advance'], [20, 'wait'], [20, 'wait'], [20, 'promote']]);
  expect((await routeNow(mesh.route)).spec!.httpRoute!.action!.weightedTargets).toEqual([{ virtualNode: 'product-v15-vn', weight: 100 }]);
});

test('an alarm during the bake rolls back to the exact snapshot before the bake ends', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const alarmName = await alarm();
  const arn = await start('step-then-all', {
    ...mesh, strategy: { type: 'step-then-all', canaryPercent: 10, bakeSeconds: 600, checkIntervalSeconds: 1 }, healthChecks: { alarms: { names: [alarmName] } },
  });
  await until('the canary at 10%', async () => (await canaryWeight(mesh.route, mesh.canaryNode)) === 10);
  await setAlarm(alarmName, 'ALARM', 'p99 latency 2.3 s');
  const end = await finished(arn, 30_000);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('p99 latency 2.3 s');
  expect((await routeNow(mesh.route)).spec).toEqual(before.spec);
});

test('a failing baseline verdict refuses the start: BaselineUnhealthy, the route untouched and free for the next deployment', async () => {
  const mesh = await demoMesh();
  const before = await routeNow(mesh.route);
  const alarmName = await alarm('ALARM');
  const end = await finished(await start('step-then-all', {
    ...mesh, strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 3, checkIntervalSeconds: 1 }, healthChecks: { alarms: { names: [alarmName] } },
  }));
  expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'BaselineUnhealthy' });
  expect(end.cause).toMatch(/^the baseline verdict, taken before any traffic moved to the canary, failed: .*is ALARM/);
  expect(shifts(await history(end.executionArn!))).toEqual([]);
  expect((await routeNow(mesh.route)).metadata!.version).toBe(before.metadata!.version);
  await setAlarm(alarmName, 'OK', 'fixed');
  const next = await finished(await start('step-then-all', {
    ...mesh, strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 0, checkIntervalSeconds: 1 }, healthChecks: { alarms: { names: [alarmName] } },
  }));
  expect(next.status).toBe('SUCCEEDED');
});
