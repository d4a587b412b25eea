// faults.test.ts for releases (issue 11): with 20% of the functions' AWS calls (App Mesh, VPC
// Lattice, CloudWatch, DynamoDB's lock transactions, SNS) throttled, failed or slowed, a batch
// of releases of 2 or 3 routes, App Mesh and Lattice mixed, some with an alarm firing at 50%, each
// ends promoted or rolled back with every one of its routes exactly promoted or exactly at its
// snapshot: never a release split between versions, and no lock left behind.
// This test runs its own local AWS so its faults do not reach other test files.
import { PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LocalAws } from '../../local/aws.ts';
import type { LocalStack } from '../../local/stack.ts';
import { ownLocalAws, type DirectClients } from '../support/own-aws.ts';
import { unique, until } from '../support/executions.ts';
import { allPromoted, canaryPercents, entries, lockItems, releaseRoutes, states } from '../support/release.ts';
import type { DemoService } from '../../local/demo-lattice.ts';

const FAULTS = {
  rate: 0.2, kinds: ['throttle', 'error', 'latency'] as ('throttle' | 'error' | 'latency')[], latencyMs: 150,
  services: ['appmesh', 'vpc-lattice', 'monitoring', 'dynamodb', 'sns'],
};
let aws: LocalAws;
let stack: LocalStack;
let direct: DirectClients;

beforeAll(async () => {
  ({ aws, stack, direct } = await ownLocalAws('mesh-canary-release-faults', { faults: FAULTS }));
});
afterAll(() => aws?.stop());

interface Case {
  label: string;
  machine: 'linear' | 'step-then-all';
  strategy: object;
  mesh: DemoService[];
  lattice: DemoService[];
  /** An alarm goes to ALARM once every route is at this share: of the release (release-wide) or of its first route. */
  alarmFiresAt?: { percent: number; alarm: 'release' | 'route' };
}
const linear = (intervalSeconds: number) => ({ type: 'linear', stepPercent: 25, intervalSeconds });
const cases: Case[] = [
  { label: 'linear, 2 App Mesh routes', machine: 'linear', strategy: linear(0), mesh: ['product', 'customer'], lattice: [] },
  { label: 'linear, 2 App Mesh routes, again', machine: 'linear', strategy: linear(0), mesh: ['customer', 'order'], lattice: [] },
  { label: 'linear, 3 routes mixed', machine: 'linear', strategy: linear(0), mesh: ['product', 'customer'], lattice: ['order'] },
  { label: 'step-then-all, 2 routes mixed', machine: 'step-then-all', strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 2, checkIntervalSeconds: 1 }, mesh: ['product'], lattice: ['customer'] },
  { label: 'linear, 3 routes mixed, a release-wide alarm at 50%', machine: 'linear', strategy: linear(1), mesh: ['order'], lattice: ['product', 'customer'], alarmFiresAt: { percent: 50, alarm: 'release' } },
  { label: 'linear, 3 routes mixed, a route\'s alarm at 50%', machine: 'linear', strategy: linear(1), mesh: ['product', 'order'], lattice: ['customer'], alarmFiresAt: { percent: 50, alarm: 'route' } },
];

test(`${cases.length} releases at a ${FAULTS.rate * 100}% fault rate: each promoted or rolled back as a whole, every route exactly promoted or exactly at its snapshot`, async () => {
  const newAlarm = async () => {
    const name = unique('release-5xx');
    await direct.cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: name, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'healthy' }));
    return name;
  };
  const results = await Promise.all(cases.map(async (c) => {
    const routes = await releaseRoutes({ mesh: c.mesh, lattice: c.lattice }, direct);
    const [releaseAlarm, routeAlarm] = [await newAlarm(), await newAlarm()];
    const input = entries(routes);
    input[0].healthChecks = { alarms: { names: [routeAlarm] } };
    const before = await states(routes);
    const { executionArn } = await direct.sfn.send(new StartExecutionCommand({
      stateMachineArn: stack.machines[c.machine], name: unique('release'),
      input: JSON.stringify({ routes: input, strategy: c.strategy, settleSeconds: 0, healthChecks: { alarms: { names: [releaseAlarm] } } }),
    }));
    if (c.alarmFiresAt) {
      const { percent, alarm } = c.alarmFiresAt;
      // Unless faults ended it first (a step out of retries rolls the release back).
      const ended = async () => (await direct.sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING';
      await until(`${c.label} at ${percent}%`, async () => (await canaryPercents(routes)).every((p) => p >= percent) || ended(), 90_000);
      await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarm === 'release' ? releaseAlarm : routeAlarm, StateValue: 'ALARM', StateReason: 'failing' }));
    }
    const end = await until(`${c.label} to end`, async () => {
      const d = await direct.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status !== 'RUNNING' && d;
    }, 110_000);
    const promoted = await allPromoted(routes, before);
    const atSnapshot = (await states(routes)).map((s, i) => JSON.stringify(s) === JSON.stringify(before[i]));
    const locks = await lockItems({ executionId: executionArn }, direct.dynamo, stack.outputs.LockTableName);
    return { c, status: end.status, error: end.error, cause: end.cause, promoted, atSnapshot, locks };
  }));

  for (const r of results) {
    const { label } = r.c;
    const n = r.promoted.length;
    // Promoted as a whole, or rolled back as a whole: never some routes one way and some the other.
    if (r.status === 'SUCCEEDED') expect({ label, promoted: r.promoted }).toEqual({ label, promoted: Array(n).fill(true) });
    else {
      expect({ label, error: r.error }).toEqual({ label, error: 'CanaryRolledBack' });
      expect({ label, atSnapshot: r.atSnapshot }).toEqual({ label, atSnapshot: Array(n).fill(true) });
    }
    if (r.c.alarmFiresAt) expect({ label, status: r.status }).toEqual({ label, status: 'FAILED' });
    expect({ label, locks: r.locks }).toEqual({ label, locks: [] });
  }
  const injected = (await (await fetch(`${aws.endpoint}/__local/faults`)).json() as { injected: Record<string, number> }).injected;
  expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(10); // the faults really happened
  for (const service of ['appmesh', 'vpc-lattice', 'dynamodb']) expect(Object.keys(injected).some((k) => k.includes(service))).toBe(true);
  console.log(`faults injected: ${JSON.stringify(injected)}; outcomes: ${results.map((r) => `${r.c.label}: ${r.status === 'SUCCEEDED' ? 'promoted' : `${r.error} (${/CanaryUnhealthy/.test(r.cause ?? '') ? 'unhealthy' : r.cause?.slice(0, 80)})`}`).join(', ')}`);
}, 240_000);
