// Propagation-aware verdicts and the target-group error-rate check, in real executions on the
// local AWS: the settle time stretches the wait after each shift without adding a state, and
// errorRates judges AWS/VpcLattice metrics put into the local CloudWatch.
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { cloudWatch, demoMesh, finished, history, routeNow, shifts, start, statesEntered } from '../support/executions.ts';

/** The seconds from each Shift's exit to the next CheckHealth's entry: how long after a shift its verdict came. */
function shiftToVerdictSeconds(events: HistoryEvent[]): number[] {
  const out: number[] = [];
  let shiftedAt: Date | undefined;
  for (const e of events) {
    if (e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Shift') shiftedAt = e.timestamp;
    if (e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === 'CheckHealth' && shiftedAt) {
      out.push((e.timestamp!.getTime() - shiftedAt.getTime()) / 1000);
      shiftedAt = undefined;
    }
  }
  return out;
}

const prepared = (events: HistoryEvent[]) => JSON.parse(events.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Prepare')!
  .stateExitedEventDetails!.output!).deployment;

test('settleSeconds 2 over intervalSeconds 0: each verdict after a shift comes 2 s later, with the same 4 transitions per step', async () => {
  const mesh = await demoMesh();
  const arn = await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 0 }, settleSeconds: 2 });
  expect((await finished(arn)).status).toBe('SUCCEEDED');
  const events = await history(arn);
  expect(shifts(events)).toEqual([50, 100]);
  expect(prepared(events).settleSeconds).toBe(2);
  const waits = shiftToVerdictSeconds(events);
  expect(waits).toHaveLength(2);
  for (const s of waits) expect(s).toBeGreaterThanOrEqual(2);
  const entered = statesEntered(events);
  const loop = entered.slice(entered.indexOf('Shift'), entered.lastIndexOf('Shift'));
  expect(loop).toEqual(['Shift', 'Wait', 'CheckHealth', 'Gate']);
  expect(events.filter((e) => e.type === 'TaskScheduled').length).toBe(1 + 3 + 2 + 1);
});

test('App Mesh without settleSeconds: the deployment settles for 0 s and the verdict follows the shift at once', async () => {
  const mesh = await demoMesh();
  const arn = await start('linear', { ...mesh, strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 } });
  expect((await finished(arn)).status).toBe('SUCCEEDED');
  const events = await history(arn);
  expect(prepared(events).settleSeconds).toBe(0);
  expect(shiftToVerdictSeconds(events)[0]).toBeLessThan(2);
});

test('manual-approval: the first health check while waiting comes after the settle time, not the check interval', async () => {
  const mesh = await demoMesh();
  const arn = await start('manual-approval', {
    ...mesh, strategy: { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 4, checkIntervalSeconds: 1 }, settleSeconds: 3,
  });
  const end = await finished(arn);
  expect(end.error).toBe('CanaryRolledBack'); // nobody answered: onApprovalTimeout rollback
  const events = await history(arn);
  const waits = events.filter((e) => e.type === 'WaitStateEntered' && e.stateEnteredEventDetails?.name === 'MonitorWait')
    .map((e) => JSON.parse(e.stateEnteredEventDetails!.input!).gate.progress.waitSeconds);
  expect(waits[0]).toBe(3);
  expect(waits.slice(1).every((w: number) => w === 1)).toBe(true);
});

describe('errorRates: a VPC Lattice target group\'s request error rate from AWS/VpcLattice', () => {
  const tg = () => `tg-${Math.random().toString(36).slice(2).padEnd(17, '0').slice(0, 17)}`;
  // Stamped 5 s ago: the local CloudWatch leaves out a point from the current second (its end time is cut to whole seconds).
  const ago = () => new Date(Date.now() - 5000);
  const put = (targetGroup: string, errors: number, requests: number) => cloudWatch.send(new PutMetricDataCommand({
    Namespace: 'AWS/VpcLattice',
    MetricData: [
      { MetricName: 'HTTPCode_5XX_Count', Dimensions: [{ Name: 'TargetGroup', Value: targetGroup }], Value: errors, Unit: 'Count', Timestamp: ago() },
      { MetricName: 'TotalRequestCount', Dimensions: [{ Name: 'TargetGroup', Value: targetGroup }], Value: requests, Unit: 'Count', Timestamp: ago() },
    ],
  }));
  const input = async (targetGroup: string) => ({
    ...(await demoMesh()), strategy: { type: 'linear', stepPercent: 100, intervalSeconds: 0 },
    healthChecks: { errorRates: [{ name: 'canary-5xx', targetGroup, maxErrorPercent: 2, windowSeconds: 300, minRequests: 50 }] },
  });

  test('3 5xx of 100 requests (3%) over maxErrorPercent 2: the baseline verdict fails, naming the rate; the route is untouched', async () => {
    const group = tg();
    await put(group, 3, 100);
    const i = await input(group);
    const before = await routeNow(i.route);
    const end = await finished(await start('linear', i));
    expect(end.error).toBe('BaselineUnhealthy');
    expect(end.cause).toContain(`error rate of target group ${group} over the last 300s is 3% (3 5xx of 100 requests)`);
    expect((await routeNow(i.route)).spec).toEqual(before.spec);
  });

  test('1 5xx of 100 requests passes and promotes; its ARN names the same metrics', async () => {
    const group = tg();
    await put(group, 1, 100);
    const i = await input(`arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/${group}`);
    const end = await finished(await start('linear', i));
    expect(end.status).toBe('SUCCEEDED');
  });

  test('20 requests, under minRequests 50: inconclusive, which fails once the canary has traffic', async () => {
    const group = tg();
    await put(group, 0, 20);
    const end = await finished(await start('linear', await input(group)));
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain(`target group ${group} over the last 300s served 20 requests, fewer than the 50 needed`);
  });
});
