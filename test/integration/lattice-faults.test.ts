// faults.test.ts on VPC Lattice: with 20% of the functions' AWS calls (VPC Lattice's included,
// in its own protocol: ThrottlingException 429, InternalServerException 500) throttled, failed
// or slowed, a batch of deployments on Lattice rules and default actions each ends promoted or
// rolled back, and every route ends exactly at its snapshot or exactly promoted: none in between.
// This test runs its own local AWS so its faults do not reach other test files.
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetListenerCommand, GetRuleCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { startLocalAws, type LocalAws } from '../../local/aws.ts';
import { createDemoLattice } from '../../local/demo-lattice.ts';
import { deployStack, type LocalStack } from '../../local/stack.ts';
import { unique, until } from '../support/executions.ts';

const FAULTS = {
  rate: 0.2, kinds: ['throttle', 'error', 'latency'] as ('throttle' | 'error' | 'latency')[], latencyMs: 150,
  services: ['vpc-lattice', 'monitoring', 'dynamodb', 'sns'],
};
let aws: LocalAws;
let stack: LocalStack;
let direct: { lattice: VPCLatticeClient; cloudWatch: CloudWatchClient; sfn: SFNClient };

beforeAll(async () => {
  aws = await startLocalAws({ quiet: true, faults: FAULTS });
  stack = await deployStack(aws, 'mesh-canary-lattice-faults');
  // The test's own calls go straight to moto: only the functions' calls meet the faults.
  const config = { endpoint: aws.motoEndpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  direct = { lattice: new VPCLatticeClient(config), cloudWatch: new CloudWatchClient(config), sfn: new SFNClient(config) };
});
afterAll(() => aws?.stop());

interface Case { label: string; machine: 'linear' | 'step-then-all'; strategy: object; defaultAction?: boolean; alarmFiresAt?: number }
const cases: Case[] = [
  ...Array.from({ length: 3 }, (_, i): Case => ({ label: `linear rule ${i}`, machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 } })),
  { label: 'linear default action', machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 }, defaultAction: true },
  ...Array.from({ length: 2 }, (_, i): Case => ({ label: `step-then-all ${i}`, machine: 'step-then-all', strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 2, checkIntervalSeconds: 1 } })),
  ...Array.from({ length: 2 }, (_, i): Case => ({ label: `linear, alarm at 50% ${i}`, machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, alarmFiresAt: 50 })),
  { label: 'linear default action, alarm at 50%', machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, alarmFiresAt: 50, defaultAction: true },
];

test(`${cases.length} Lattice deployments at a ${FAULTS.rate * 100}% fault rate: each promoted or rolled back, no route in between`, async () => {
  const results = await Promise.all(cases.map(async (c) => {
    const name = unique('lf');
    const demo = await createDemoLattice(direct.lattice, name);
    const s = demo.services.product;
    const route = c.defaultAction ? { service: s.service, listener: s.listener } : { service: s.service, listener: s.listener, rule: s.rule };
    const [stable, canary] = [demo.targetGroups['product-v1'], demo.targetGroups['product-v15']];
    const groups = async () => {
      const ids = { serviceIdentifier: s.service, listenerIdentifier: s.listener };
      const action = c.defaultAction
        ? (await direct.lattice.send(new GetListenerCommand(ids))).defaultAction
        : (await direct.lattice.send(new GetRuleCommand({ ...ids, ruleIdentifier: s.rule }))).action;
      return (action as { forward: { targetGroups: { targetGroupIdentifier: string; weight: number }[] } }).forward.targetGroups;
    };
    const alarmName = `${name}-5xx`;
    await direct.cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'healthy' }));
    const snapshot = await groups();
    const { executionArn } = await direct.sfn.send(new StartExecutionCommand({
      stateMachineArn: stack.machines[c.machine], name,
      input: JSON.stringify({ route, stableTargetGroup: stable, canaryTargetGroup: canary, strategy: c.strategy, settleSeconds: 0, healthChecks: { alarms: { names: [alarmName] } } }),
    }));
    const percent = async () => {
      const gs = await groups();
      const total = gs.reduce((sum, g) => sum + g.weight, 0);
      return Math.round((100 * (gs.find((g) => g.targetGroupIdentifier === canary)?.weight ?? 0)) / total);
    };
    if (c.alarmFiresAt) {
      await until(`${c.label} at ${c.alarmFiresAt}%`, async () => (await percent()) >= c.alarmFiresAt!, 90_000);
      await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'failing' }));
    }
    const end = await until(`${c.label} to end`, async () => {
      const d = await direct.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status !== 'RUNNING' && d;
    }, 110_000);
    return { c, status: end.status, error: end.error, final: await groups(), snapshot, canary };
  }));

  for (const r of results) {
    if (r.status === 'SUCCEEDED') {
      // Promoted: the canary alone (its weight may be rescaled; it holds all the traffic).
      expect({ label: r.c.label, groups: r.final.map((g) => g.targetGroupIdentifier) }).toEqual({ label: r.c.label, groups: [r.canary] });
    } else {
      expect({ label: r.c.label, error: r.error }).toEqual({ label: r.c.label, error: 'CanaryRolledBack' });
      expect({ label: r.c.label, groups: r.final }).toEqual({ label: r.c.label, groups: r.snapshot });
    }
    if (r.c.alarmFiresAt) expect({ label: r.c.label, status: r.status }).toEqual({ label: r.c.label, status: 'FAILED' });
  }
  const injected = (await (await fetch(`${aws.endpoint}/__local/faults`)).json() as { injected: Record<string, number> }).injected;
  expect(Object.values(injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(10); // the faults really happened
  expect(Object.keys(injected).some((k) => k.includes('vpc-lattice'))).toBe(true); // Lattice's calls among them
  console.log(`faults injected: ${JSON.stringify(injected)}; outcomes: ${results.map((r) => `${r.c.label}: ${r.status === 'SUCCEEDED' ? 'promoted' : r.error}`).join(', ')}`);
});
