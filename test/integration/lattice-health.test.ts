// The target-group error-rate check (healthChecks.errorRates) in real executions on VPC Lattice
// routes of the local AWS: the canary target group's request and 5xx counts are put into the
// local CloudWatch under AWS/VpcLattice (as Lattice publishes them), and the verdicts move the
// real rule. Too few requests are inconclusive, and each `inconclusive` policy ends the
// execution as the README says; a healthy rate promotes; a rate above maxErrorPercent rolls
// back to the exact snapshot. The route is read back with Lattice's own API.
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { cloudWatch, finished, history, shifts, start, until } from '../support/executions.ts';
import {
  demoLattice, latticeCanaryPercent, latticeLockItem, latticeRouteState, latticeTargets,
} from '../support/lattice.ts';

/** Adds request and 5xx counts for a target group, stamped 5 s ago (the local CloudWatch leaves out the current second). */
const put = (targetGroup: string, errors: number, requests: number) => cloudWatch.send(new PutMetricDataCommand({
  Namespace: 'AWS/VpcLattice',
  MetricData: [['HTTPCode_5XX_Count', errors], ['TotalRequestCount', requests]].map(([MetricName, Value]) => ({
    MetricName: MetricName as string, Dimensions: [{ Name: 'TargetGroup', Value: targetGroup }], Value: Value as number, Unit: 'Count',
    Timestamp: new Date(Date.now() - 5000),
  })),
}));

const errorRate = (targetGroup: string) => ({ errorRates: [{ name: 'canary-5xx', targetGroup, maxErrorPercent: 2, windowSeconds: 300, minRequests: 50 }] });

/** Every verdict the gate recorded, as [weight, verdict, decision], from the last CheckHealth's progress. */
function verdicts(events: HistoryEvent[]): [number, string, string][] {
  const last = events.filter((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'CheckHealth').at(-1)!;
  return JSON.parse(last.stateExitedEventDetails!.output!).gate.progress.history.map((h: any) => [h.weight, h.verdict, h.decision]);
}

describe('too few requests on the canary target group (20, under minRequests 50): inconclusive', () => {
  test.each([['fail (the default)', undefined], ['fail', 'fail']] as const)('inconclusive %s: the baseline starts, the first step rolls back to the exact snapshot', async (_label, inconclusive) => {
    const { input } = await demoLattice();
    await put(input.canaryTargetGroup, 0, 20);
    const before = await latticeRouteState(input.route);
    const arn = await start('linear', {
      ...input, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, settleSeconds: 0,
      healthChecks: errorRate(input.canaryTargetGroup), ...(inconclusive ? { inconclusive } : {}),
    });
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain(`the canary at 50% had 1 failing verdict`);
    expect(end.cause).toContain(`target group ${input.canaryTargetGroup} over the last 300s served 20 requests, fewer than the 50 needed for a verdict on its error rate`);
    const events = await history(arn);
    expect(shifts(events)).toEqual([50]);
    expect(verdicts(events)).toEqual([[0, 'inconclusive', 'advance'], [50, 'inconclusive', 'rollback']]);
    expect(await latticeRouteState(input.route)).toEqual(before);
    expect(await latticeLockItem(input.route)).toBeUndefined();
  });

  test('inconclusive pass: every verdict inconclusive, counted as passing: promoted', async () => {
    const { input } = await demoLattice();
    await put(input.canaryTargetGroup, 0, 20);
    const arn = await start('linear', {
      ...input, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, settleSeconds: 0,
      healthChecks: errorRate(input.canaryTargetGroup), inconclusive: 'pass',
    });
    const end = await finished(arn);
    expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });
    expect(shifts(await history(arn))).toEqual([50, 100]);
    expect(JSON.parse(end.output!).verdicts.map((v: any) => [v.weight, v.verdict, v.decision])).toEqual([
      [0, 'inconclusive', 'advance'], [50, 'inconclusive', 'advance'], [100, 'inconclusive', 'promote']]);
    expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
    expect(await latticeLockItem(input.route)).toBeUndefined();
  });
});

test('a healthy error rate (1 5xx of 100 requests, at most 2%) passes every verdict: promoted', async () => {
  const { input } = await demoLattice({ service: 'customer' });
  await put(input.canaryTargetGroup, 1, 100);
  const arn = await start('linear', {
    ...input, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, settleSeconds: 0, healthChecks: errorRate(input.canaryTargetGroup),
  });
  const end = await finished(arn);
  expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });
  const output = JSON.parse(end.output!);
  expect(output.verdicts.map((v: any) => [v.weight, v.verdict, v.decision])).toEqual([[0, 'pass', 'advance'], [50, 'pass', 'advance'], [100, 'pass', 'promote']]);
  expect(await latticeTargets(input.route)).toEqual([{ targetGroupIdentifier: input.canaryTargetGroup, weight: expect.any(Number) }]);
});

test('an error rate above maxErrorPercent once the canary has traffic (10 more 5xx: 10 of 200, 5%) rolls back to the exact snapshot, naming the rate', async () => {
  const { input } = await demoLattice();
  await put(input.canaryTargetGroup, 0, 100);
  const before = await latticeRouteState(input.route);
  const arn = await start('linear', {
    ...input, strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 2 }, settleSeconds: 0, healthChecks: errorRate(input.canaryTargetGroup),
  });
  await until('the canary at 25%', async () => (await latticeCanaryPercent(input.route, input.canaryTargetGroup)) === 25);
  await put(input.canaryTargetGroup, 10, 100);
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack');
  expect(end.cause).toContain(`error rate of target group ${input.canaryTargetGroup} over the last 300s is 5% (10 5xx of 200 requests); unhealthy because above 2%`);
  const events = await history(arn);
  expect(shifts(events)).toEqual([25]);
  expect(verdicts(events)).toEqual([[0, 'pass', 'advance'], [25, 'fail', 'rollback']]);
  expect(await latticeRouteState(input.route)).toEqual(before);
  expect(await latticeLockItem(input.route)).toBeUndefined();
});
