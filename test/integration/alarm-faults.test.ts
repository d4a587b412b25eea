// The alarm path (issue 12) with 20% of the functions' AWS calls (App Mesh, VPC Lattice,
// CloudWatch, DynamoDB, SNS, Step Functions) throttled, failed or slowed: deployments with long
// intervals, one route or several, App Mesh and Lattice, each with its alarm set to ALARM at its
// first step. Every route must end exactly at its snapshot (the alarm path, retried as Lambda
// retries an asynchronous event, and the abort guard behind it), and no lock is left.
// This test runs its own local AWS (events delivered) so its faults do not reach other test files.
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LocalAws } from '../../local/aws.ts';
import type { LocalStack } from '../../local/stack.ts';
import { ownLocalAws, type DirectClients } from '../support/own-aws.ts';
import type { DemoService } from '../../local/demo-lattice.ts';
import { unique, until } from '../support/executions.ts';
import { canaryPercents, entries, lockItems, releaseRoutes, states } from '../support/release.ts';

const FAULTS = {
  rate: 0.2, kinds: ['throttle', 'error', 'latency'] as ('throttle' | 'error' | 'latency')[], latencyMs: 150,
  services: ['appmesh', 'vpc-lattice', 'monitoring', 'dynamodb', 'sns', 'states'],
};
let aws: LocalAws;
let stack: LocalStack;
let direct: DirectClients;

beforeAll(async () => {
  ({ aws, stack, direct } = await ownLocalAws('mesh-canary-alarm-faults', { faults: FAULTS, events: true }));
});
afterAll(() => aws?.stop());

const cases: { label: string; mesh: DemoService[]; lattice: DemoService[] }[] = [
  { label: 'one App Mesh route', mesh: ['product'], lattice: [] },
  { label: 'one VPC Lattice rule', mesh: [], lattice: ['order'] },
  { label: 'two App Mesh routes', mesh: ['customer', 'order'], lattice: [] },
  { label: 'three routes mixed', mesh: ['product', 'customer'], lattice: ['customer'] },
  { label: 'two routes mixed', mesh: ['order'], lattice: ['product'] },
];

test(`${cases.length} deployments at a ${FAULTS.rate * 100}% fault rate, each alarm firing mid-interval: every route ends exactly at its snapshot, no lock left`, async () => {
  const results = await Promise.all(cases.map(async (c) => {
    const routes = await releaseRoutes({ mesh: c.mesh, lattice: c.lattice }, direct);
    const before = await states(routes);
    const alarm = unique('faults-5xx');
    await direct.cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarm, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'OK', StateReason: 'healthy' }));
    const { executionArn } = await direct.sfn.send(new StartExecutionCommand({
      stateMachineArn: stack.machines.linear, name: unique('alarm-faults'),
      input: JSON.stringify({ routes: entries(routes), strategy: { type: 'linear', stepPercent: 20, intervalSeconds: 300 }, settleSeconds: 0, healthChecks: { alarms: { names: [alarm] } } }),
    }));
    const describe = () => direct.sfn.send(new DescribeExecutionCommand({ executionArn }));
    // Unless faults ended it first (a step out of retries rolls it back).
    await until(`${c.label} at its first step`, async () => (await canaryPercents(routes)).every((p) => p >= 20) || (await describe()).status !== 'RUNNING', 90_000);
    await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: 'Threshold Crossed: failing' }));
    const end = await until(`${c.label} to end`, async () => {
      const d = await describe();
      return d.status !== 'RUNNING' && d;
    }, 120_000);
    await until(`${c.label}: every route at its snapshot and no lock`, async () => JSON.stringify(await states(routes)) === JSON.stringify(before)
      && (await lockItems({ executionId: executionArn }, direct.dynamo, stack.outputs.LockTableName)).length === 0, 120_000);
    return { label: c.label, status: end.status, error: end.error };
  }));
  // Each ended ABORTED by the alarm path, or (when faults ended it before the alarm) rolled back on its own: never promoted.
  for (const r of results) expect([['ABORTED', 'AlarmFired'], ['FAILED', 'CanaryRolledBack']]).toContainEqual([r.status, r.error]);
  expect(results.filter((r) => r.error === 'AlarmFired').length).toBeGreaterThan(0);
});
