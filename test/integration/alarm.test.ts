// The alarm path (issue 12) in real executions on the local AWS, with the events EventBridge would
// deliver: SetAlarmState makes the local AWS send "CloudWatch Alarm State Change" to the template's
// rule targets (AlarmFunction), and the execution's end reaches the abort guard, with no test
// invoking either. Intervals, bakes and approval waits are long (120 s and more); the alarm goes to
// ALARM in the middle of one, and every route must be back at its snapshot within seconds, the
// execution ABORTED with AlarmFired and a cause that names the alarm. Routes are read back with
// their own backend's API (test/support/release.ts), never through the router under test.
// This file runs its own local AWS (events delivered), as the sandbox and the demo do.
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, StartExecutionCommand, StopExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { GetListenerCommand } from '@aws-sdk/client-vpc-lattice';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalAws } from '../../local/aws.ts';
import type { LocalStack } from '../../local/stack.ts';
import { ownLocalAws, type DirectClients } from '../support/own-aws.ts';
import { createDemoLattice } from '../../local/demo-lattice.ts';
import { cli } from '../support/cli-run.ts';
import { event } from '../support/fixtures.ts';
import { runsFor } from '../support/local-events.ts';
import { unique, until } from '../support/executions.ts';
import { canaryPercents, entries, lockItems, releaseRoutes, states, versions, type TestRoute } from '../support/release.ts';

/** Long enough that a verdict cannot be what rolled the deployment back: the next one is minutes away. */
const INTERVAL_SECONDS = 120;
/** What "within seconds" means here, from SetAlarmState to every route back (the bench measures it). */
const WITHIN_MS = 15_000;

let aws: LocalAws;
let stack: LocalStack;
let direct: DirectClients;

beforeAll(async () => {
  ({ aws, stack, direct } = await ownLocalAws('mesh-canary-alarm-path', { events: true }));
});
afterAll(() => aws?.stop());

async function newAlarm(prefix = 'canary-5xx'): Promise<string> {
  const name = unique(prefix);
  await direct.cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: name, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
  await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'healthy' }));
  return name;
}
const alarmArn = (name: string) => `arn:aws:cloudwatch:${aws.region}:${aws.accountId}:alarm:${name}`;
const setAlarm = (name: string, value: 'OK' | 'ALARM', reason: string) =>
  direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: value, StateReason: reason }));
const describe_ = (executionArn: string) => direct.sfn.send(new DescribeExecutionCommand({ executionArn }));

async function startRelease(machine: 'linear' | 'step-then-all' | 'manual-approval', input: object): Promise<string> {
  const { executionArn } = await direct.sfn.send(new StartExecutionCommand({ stateMachineArn: stack.machines[machine], name: unique(machine), input: JSON.stringify({ settleSeconds: 0, ...input }) }));
  return executionArn!;
}

/**
 * Sets the alarm to ALARM and waits until every route holds exactly what it held before the
 * deployment (`before`), then for the execution's end; returns how long the routes took.
 */
async function alarmAndWait(alarm: string, routes: TestRoute[], before: unknown[], executionArn: string): Promise<{ restoredMs: number; end: DescribeExecutionCommandOutput }> {
  const t0 = Date.now();
  await setAlarm(alarm, 'ALARM', 'Threshold Crossed: 12 5xx responses in 1 minute');
  await until('every route back at its snapshot', async () => JSON.stringify(await states(routes)) === JSON.stringify(before), WITHIN_MS);
  const restoredMs = Date.now() - t0;
  const end = await until('the execution to end', async () => {
    const d = await describe_(executionArn);
    return d.status !== 'RUNNING' && d;
  }, 10_000);
  return { restoredMs, end };
}

/** The execution is a rollback that names the alarm, and no lock is left. */
async function expectAlarmRollback(end: DescribeExecutionCommandOutput, alarm: string, executionArn: string) {
  expect({ status: end.status, error: end.error }).toEqual({ status: 'ABORTED', error: 'AlarmFired' });
  expect(end.cause).toMatch(new RegExp(`^alarm ${alarm} went to ALARM at \\S+: Threshold Crossed`));
  await until('every lock released', async () => (await lockItems({ executionId: executionArn }, direct.dynamo, stack.outputs.LockTableName)).length === 0, 10_000);
}

test(`linear, mid-interval (${INTERVAL_SECONDS} s): the route is back within seconds, the execution ends as a rollback naming the alarm, and watch and report say so`, async () => {
  const routes = await releaseRoutes({ mesh: ['product'] }, direct);
  const before = await states(routes);
  const alarm = await newAlarm();
  const arn = await startRelease('linear', { ...routes[0].entry, strategy: { type: 'linear', stepPercent: 10, intervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { names: [alarm] } } });
  await until('the first step (10%)', async () => (await canaryPercents(routes))[0] === 10);
  const { restoredMs, end } = await alarmAndWait(alarm, routes, before, arn);
  expect(restoredMs).toBeLessThan(INTERVAL_SECONDS * 1000);
  await expectAlarmRollback(end, alarm, arn);

  const common = ['--endpoint-url', aws.endpoint, '--stack-name', stack.stackName];
  const watched = await cli('watch', arn, ...common, '--output', 'json');
  expect(watched.code).toBe(1);
  expect(JSON.parse(watched.stdout)).toMatchObject({ status: 'ABORTED', outcome: 'rolled back', exitCode: 1, error: 'AlarmFired', restored: true });
  const out = join(mkdtempSync(join(tmpdir(), 'alarm-report-')), 'report.svg');
  expect((await cli('report', arn, ...common, '--out', out)).code).toBe(0);
  expect(readFileSync(out, 'utf8')).toContain(`rolled back: alarm ${alarm} went to ALARM`);
});

test('step-then-all, mid-bake, an alarm matched by prefix: restored within seconds', async () => {
  const routes = await releaseRoutes({ lattice: ['product'] }, direct);
  const before = await states(routes);
  const prefix = unique('shop');
  const alarm = await newAlarm(`${prefix}-latency`);
  const arn = await startRelease('step-then-all', {
    ...routes[0].entry, strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 600, checkIntervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { prefix } },
  });
  await until('the bake (20%)', async () => (await canaryPercents(routes))[0] === 20);
  const { end } = await alarmAndWait(alarm, routes, before, arn);
  await expectAlarmRollback(end, alarm, arn);
});

test('manual-approval, while it waits for approval: restored within seconds, the approval never comes', async () => {
  const routes = await releaseRoutes({ mesh: ['customer'] }, direct);
  const before = await states(routes);
  const alarm = await newAlarm();
  const arn = await startRelease('manual-approval', {
    ...routes[0].entry, strategy: { type: 'manual-approval', canaryPercent: 25, approvalTimeoutSeconds: 3600, checkIntervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { names: [alarm] } },
  });
  await until('the approval wait (25%)', async () => (await canaryPercents(routes))[0] === 25);
  const { end } = await alarmAndWait(alarm, routes, before, arn);
  await expectAlarmRollback(end, alarm, arn);
});

test('a VPC Lattice listener\'s default action, mid-interval: back to its snapshot within seconds', async () => {
  const demo = await createDemoLattice(direct.lattice, unique('al'));
  const { service, listener } = demo.services.product;
  const action = async () => {
    const { $metadata: _m, lastUpdatedAt: _u, ...rest } = await direct.lattice.send(new GetListenerCommand({ serviceIdentifier: service, listenerIdentifier: listener }));
    return rest;
  };
  const before = await action();
  const alarm = await newAlarm();
  const arn = await startRelease('linear', {
    route: { service, listener }, stableTargetGroup: demo.targetGroups['product-v1'], canaryTargetGroup: demo.targetGroups['product-v15'],
    strategy: { type: 'linear', stepPercent: 10, intervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { names: [alarm] } },
  });
  await until('the first step (10%)', async () => (await action()).defaultAction?.forward?.targetGroups?.length === 2);
  const t0 = Date.now();
  await setAlarm(alarm, 'ALARM', 'Threshold Crossed: 12 5xx responses in 1 minute');
  await until('the default action back at its snapshot', async () => JSON.stringify(await action()) === JSON.stringify(before), WITHIN_MS);
  expect(Date.now() - t0).toBeLessThan(INTERVAL_SECONDS * 1000);
  const end = await until('the execution to end', async () => {
    const d = await describe_(arn);
    return d.status !== 'RUNNING' && d;
  }, 10_000);
  await expectAlarmRollback(end, alarm, arn);
});

test('a release of three routes, App Mesh and VPC Lattice, one route\'s alarm fires: every route restored; duplicate and late events change nothing', async () => {
  const routes = await releaseRoutes({ mesh: ['product', 'order'], lattice: ['customer'] }, direct);
  const before = await states(routes);
  const [releaseAlarm, routeAlarm] = [await newAlarm(), await newAlarm()];
  const input = entries(routes);
  input[2].healthChecks = { alarms: { names: [routeAlarm] } };
  const arn = await startRelease('linear', { routes: input, strategy: { type: 'linear', stepPercent: 30, intervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { names: [releaseAlarm] } } });
  await until('every route at 30%', async () => (await canaryPercents(routes)).every((p) => p === 30));
  const firedAt = new Date().toISOString();
  const { end } = await alarmAndWait(routeAlarm, routes, before, arn);
  await expectAlarmRollback(end, routeAlarm, arn);

  // The same alarm again (OK, then ALARM: a new event), and the release-wide one: each reaches the
  // alarm path (its run recorded by the front), and nothing is written.
  const after = await versions(routes);
  const runs = async (name: string) => (await runsFor(aws, 'AlarmFunction', alarmArn(name))).filter((r) => r.ok).length;
  const ran = { route: await runs(routeAlarm), release: await runs(releaseAlarm) };
  await setAlarm(routeAlarm, 'OK', 'recovered');
  await setAlarm(routeAlarm, 'ALARM', 'Threshold Crossed: again');
  await setAlarm(releaseAlarm, 'ALARM', 'Threshold Crossed: late');
  await until('the alarm path to run on both events', async () => (await runs(routeAlarm)) > ran.route && (await runs(releaseAlarm)) > ran.release, 10_000);
  expect(await versions(routes)).toEqual(after);
  expect((await describe_(arn)).cause).toMatch(new RegExp(`^alarm ${routeAlarm} went to ALARM`));

  // A newer release of the same routes, then the first ALARM's event delivered again (EventBridge
  // retries for up to an hour): it concerns the deployments that ran when it fired, not this one.
  await setAlarm(routeAlarm, 'OK', 'recovered');
  await setAlarm(releaseAlarm, 'OK', 'recovered');
  const newer = await startRelease('linear', { routes: input, strategy: { type: 'linear', stepPercent: 30, intervalSeconds: INTERVAL_SECONDS }, healthChecks: { alarms: { names: [releaseAlarm] } } });
  await until('the newer release at 30%', async () => (await canaryPercents(routes)).every((p) => p === 30));
  const late = { ...event<any>('alarm-state-change.json'), resources: [alarmArn(routeAlarm)] };
  late.detail = { ...late.detail, alarmName: routeAlarm, state: { ...late.detail.state, timestamp: new Date(Date.parse(firedAt)).toISOString().replace('Z', '+0000') } };
  const res = await fetch(`${aws.endpoint}/2015-03-31/functions/AlarmFunction/invocations`, { method: 'POST', body: JSON.stringify(late) });
  expect(await res.json()).toEqual({ alarmName: routeAlarm, state: 'ALARM', deployments: [] });
  expect((await describe_(newer)).status).toBe('RUNNING');
  expect(await canaryPercents(routes)).toEqual([30, 30, 30]);
  await direct.sfn.send(new StopExecutionCommand({ executionArn: newer }));
});

test('an alarm no running deployment checks stops nothing; a promoted deployment\'s alarm, later, leaves its route promoted', async () => {
  const routes = await releaseRoutes({ mesh: ['product'] }, direct);
  const [watched, other] = [await newAlarm(), await newAlarm()];
  const arn = await startRelease('linear', { ...routes[0].entry, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 3 }, healthChecks: { alarms: { names: [watched] } } });
  await until('the first step (50%)', async () => (await canaryPercents(routes))[0] === 50);
  await setAlarm(other, 'ALARM', 'Threshold Crossed: not this deployment\'s');
  const end = await until('the execution to end', async () => {
    const d = await describe_(arn);
    return d.status !== 'RUNNING' && d;
  }, 30_000);
  expect(end.status).toBe('SUCCEEDED');
  const promoted = await versions(routes);
  const ran = (await runsFor(aws, 'AlarmFunction', alarmArn(watched))).filter((r) => r.ok).length;
  await setAlarm(watched, 'ALARM', 'Threshold Crossed: after the promotion');
  await until('the alarm path to run on the late alarm', async () => (await runsFor(aws, 'AlarmFunction', alarmArn(watched))).filter((r) => r.ok).length > ran, 10_000);
  expect(await versions(routes)).toEqual(promoted);
  expect(await canaryPercents(routes)).toEqual([100]);
});
