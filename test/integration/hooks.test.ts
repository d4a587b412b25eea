// Hook checks (issue 13) in real executions on the local AWS: check-health invokes the example
// hooks (examples/hooks/), which the local front runs under their function names. A failing hook
// rolls back with its reason, a slow one times out and fails saying so, passing hooks promote,
// a before-promotion hook runs once (on the final verdict), and the linear machine's step costs
// no more than before: 4 state transitions and 2 Lambda invocations.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { canaryWeight, demoMesh, finished, history, routeNow, shifts, start } from '../support/executions.ts';

/** How many times the local front ran each function so far (GET /__local/invocations). */
async function runs(fn: string): Promise<number> {
  const res = await fetch(`${process.env.MESH_CANARY_ENDPOINT}/__local/invocations`);
  const { invocations } = (await res.json()) as { invocations: { function: string }[] };
  return invocations.filter((i) => i.function === fn).length;
}

/** check-health's whole result at each verdict (its TaskSucceeded events: the checks, hooks included). */
const verdictResults = (events: HistoryEvent[]): { verdict: string; checks: { check: string; verdict: string; reason: string; durationMs?: number }[] }[] =>
  events.filter((e) => e.type === 'TaskSucceeded' && JSON.parse(e.taskSucceededEventDetails!.output!).Payload?.checks)
    .map((e) => JSON.parse(e.taskSucceededEventDetails!.output!).Payload);

test('passing hooks at every step promote; the before-promotion hook runs once, on the final verdict; a step still costs 4 transitions and 2 invocations', async () => {
  const mesh = await demoMesh('hk');
  const before = await runs('mesh-canary-smoke-test');
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 },
    healthChecks: { hooks: [
      // A qualified name, as a user would name an alias: Lambda authorizes it on <arn>:*.
      { name: 'smoke', functionName: 'mesh-canary-smoke-test:$LATEST' },
      { name: 'final-smoke', functionName: 'mesh-canary-smoke-test', when: 'before-promotion' },
    ] },
  });
  const end = await finished(arn);
  expect(end.status).toBe('SUCCEEDED');
  const events = await history(arn);
  expect(shifts(events)).toEqual([25, 50, 75, 100]);

  // The output's verdicts name each verdict's hooks.
  const output = JSON.parse(end.output!);
  expect(output.verdicts.map((v: any) => [v.weight, v.decision, v.hooks])).toEqual([
    [0, 'advance', { smoke: 'pass' }], [25, 'advance', { smoke: 'pass' }], [50, 'advance', { smoke: 'pass' }],
    [75, 'advance', { smoke: 'pass' }], [100, 'promote', { smoke: 'pass', 'final-smoke': 'pass' }],
  ]);
  // check-health's results hold each hook's check with its reason and duration.
  const results = verdictResults(events);
  expect(results.map((r) => r.checks.map((c) => c.check))).toEqual([
    ['hook:smoke'], ['hook:smoke'], ['hook:smoke'], ['hook:smoke'], ['hook:smoke', 'hook:final-smoke']]);
  expect(results[4].checks[1]).toEqual({ check: 'hook:final-smoke', verdict: 'pass', reason: 'hook final-smoke: no SMOKE_TEST_URL: nothing to test at 100%', durationMs: expect.any(Number) });
  // 5 every-verdict runs and 1 before-promotion run (no other test of the run invokes this hook).
  expect((await runs('mesh-canary-smoke-test')) - before).toBe(6);

  // As the bench counts them (scripts/bench.ts, figure 3): from the first Shift to the last, per full step.
  const entered = events.filter((e) => e.type!.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
  const first = entered.indexOf('Shift');
  const last = entered.lastIndexOf('Shift');
  const steps = shifts(events).length - 1;
  expect((last - first) / steps).toBe(4);
  expect(entered.slice(first, last).filter((s) => s === 'Shift' || s === 'CheckHealth').length / steps).toBe(2);
});

test('a failing hook rolls back with its reason in the execution\'s cause', async () => {
  const mesh = await demoMesh('hk');
  const snapshot = (await routeNow(mesh.route)).spec;
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 },
    // The share-limit hook fails while the canary's share is above 50% (its MAX_CANARY_PERCENT).
    healthChecks: { hooks: [{ name: 'share-limit', functionName: 'mesh-canary-share-limit' }] },
  });
  const end = await finished(arn);
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain("the canary at 75% had 1 failing verdict in a row (threshold 1): hook share-limit: the canary's share 75% is above 50%");
  expect(shifts(await history(arn))).toEqual([25, 50, 75]);
  expect((await routeNow(mesh.route)).spec).toEqual(snapshot);
  expect(await canaryWeight(mesh.route, mesh.canaryNode)).toBe(0);
});

test('a hook that does not answer within its timeoutSeconds counts as a failure, saying so (here before promotion: rolled back)', async () => {
  const mesh = await demoMesh('hk');
  const snapshot = (await routeNow(mesh.route)).spec;
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 },
    // The slow-check hook sleeps 5 s (its SLEEP_SECONDS).
    healthChecks: { hooks: [{ name: 'slow', functionName: 'mesh-canary-slow-check', when: 'before-promotion', timeoutSeconds: 1 }] },
  });
  const end = await finished(arn);
  expect(end.status).toBe('FAILED');
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain('the canary at 100% had 1 failing verdict in a row (threshold 1): hook slow did not answer within 1 s');
  const results = verdictResults(await history(arn));
  expect(results.at(-1)!.checks).toEqual([{ check: 'hook:slow', verdict: 'fail', reason: 'hook slow did not answer within 1 s', durationMs: expect.any(Number) }]);
  expect(results.at(-1)!.checks[0].durationMs).toBeLessThan(3000);
  expect((await routeNow(mesh.route)).spec).toEqual(snapshot);
});

test('a hook that does not exist fails with Lambda\'s ResourceNotFoundException: the baseline refuses, nothing changes', async () => {
  const mesh = await demoMesh('hk');
  const snapshot = (await routeNow(mesh.route)).spec;
  const arn = await start('linear', {
    ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 },
    // Named in the IAM contract's HookFunctionArns (test/support/iam-contract.ts), as a deleted hook would be; the local AWS has no such function.
    healthChecks: { hooks: [{ name: 'missing', functionName: 'mesh-canary-deleted-hook' }] },
  });
  const end = await finished(arn);
  expect(end.status).toBe('FAILED');
  expect(end.cause).toContain('hook missing could not be invoked: ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:123456789012:function:mesh-canary-deleted-hook');
  expect(shifts(await history(arn))).toEqual([]);
  expect((await routeNow(mesh.route)).spec).toEqual(snapshot);
});
