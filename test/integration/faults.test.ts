// Under injected faults (20% of the functions' AWS calls throttled, failed with a 5xx, or slowed),
// a batch of deployments each ends promoted or rolled back, and every route ends exactly at its
// snapshot or exactly at the promoted target: none anywhere in between.
// This test runs its own local AWS so its faults do not reach other test files.
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalAws, type LocalAws } from '../../local/aws.ts';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import { deployStack, type LocalStack } from '../../local/stack.ts';
import { unique, until } from '../support/executions.ts';

const FAULTS = { rate: 0.2, kinds: ['throttle', 'error', 'latency'] as ('throttle' | 'error' | 'latency')[], latencyMs: 150 };
let aws: LocalAws;
let stack: LocalStack;
let direct: { appMesh: AppMeshClient; cloudWatch: CloudWatchClient; sfn: SFNClient };

beforeAll(async () => {
  aws = await startLocalAws({ quiet: true, faults: FAULTS });
  stack = await deployStack(aws, 'mesh-canary-faults');
  // The test's own calls go straight to moto: only the functions' calls meet the faults.
  const config = { endpoint: aws.motoEndpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  direct = { appMesh: new AppMeshClient(config), cloudWatch: new CloudWatchClient(config), sfn: new SFNClient(config) };
});
afterAll(() => aws?.stop());

interface Case { label: string; machine: 'linear' | 'step-then-all'; strategy: object; alarmFiresAt?: number }
const cases: Case[] = [
  ...Array.from({ length: 4 }, (_, i): Case => ({ label: `linear ${i}`, machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 0 } })),
  ...Array.from({ length: 2 }, (_, i): Case => ({ label: `step-then-all ${i}`, machine: 'step-then-all', strategy: { type: 'step-then-all', canaryPercent: 20, bakeSeconds: 2, checkIntervalSeconds: 1 } })),
  ...Array.from({ length: 3 }, (_, i): Case => ({ label: `linear, alarm at 50% ${i}`, machine: 'linear', strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 1 }, alarmFiresAt: 50 })),
];

test(`${cases.length} deployments at a ${FAULTS.rate * 100}% fault rate: each promoted or rolled back, no route in between`, async () => {
  const results = await Promise.all(cases.map(async (c) => {
    const meshName = unique('faults');
    await createDemoMesh(direct.appMesh, meshName);
    const route = { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' };
    const alarmName = `${meshName}-5xx`;
    await direct.cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: alarmName, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
    await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'OK', StateReason: 'healthy' }));
    const snapshot = (await direct.appMesh.send(new DescribeRouteCommand(route))).route!.spec!;
    const { executionArn } = await direct.sfn.send(new StartExecutionCommand({
      stateMachineArn: stack.machines[c.machine], name: meshName,
      input: JSON.stringify({ route, stableNode: 'product-vn', canaryNode: 'product-v15-vn', strategy: c.strategy, healthChecks: { alarms: { names: [alarmName] } } }),
    }));
    const weight = async () => (await direct.appMesh.send(new DescribeRouteCommand(route))).route!.spec!.httpRoute!.action!.weightedTargets!
      .find((t) => t.virtualNode === 'product-v15-vn')?.weight ?? 0;
    if (c.alarmFiresAt) {
      await until(`${c.label} at ${c.alarmFiresAt}%`, async () => (await weight()) >= c.alarmFiresAt!, 90_000);
      await direct.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: 'ALARM', StateReason: 'failing' }));
    }
    const end = await until(`${c.label} to end`, async () => {
      const d = await direct.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return d.status !== 'RUNNING' && d;
    }, 110_000);
    const final = (await direct.appMesh.send(new DescribeRouteCommand(route))).route!.spec!;
    return { c, status: end.status, error: end.error, final, snapshot };
  }));

  for (const r of results) {
    const promotedSpec = structuredClone(r.snapshot);
    promotedSpec.httpRoute!.action!.weightedTargets = [{ virtualNode: 'product-v15-vn', weight: 100 }];
    if (r.status === 'SUCCEEDED') expect({ label: r.c.label, spec: r.final }).toEqual({ label: r.c.label, spec: promotedSpec });
    else {
      expect({ label: r.c.label, error: r.error }).toEqual({ label: r.c.label, error: 'CanaryRolledBack' });
      expect({ label: r.c.label, spec: r.final }).toEqual({ label: r.c.label, spec: r.snapshot });
    }
    if (r.c.alarmFiresAt) expect(r.status).toBe('FAILED');
  }
  const injected = (await (await fetch(`${aws.endpoint}/__local/faults`)).json() as { injected: Record<string, number> }).injected;
  const total = Object.values(injected).reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(10); // the faults really happened
  console.log(`faults injected: ${JSON.stringify(injected)}; outcomes: ${results.map((r) => `${r.c.label}: ${r.status === 'SUCCEEDED' ? 'promoted' : r.error}`).join(', ')}`);
});
