// Every payload in events/ (the ones `sam local invoke <Fn> -e events/<file>` takes) run through
// its built bundle against the local AWS, in the order a deployment uses them: they cannot rot.
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import { event } from '../support/fixtures.ts';
import { call } from '../support/invoke.ts';

const appMesh = new AppMeshClient({});
const cloudWatch = new CloudWatchClient({});
const productRoute = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const routeSpec = async () => (await appMesh.send(new DescribeRouteCommand(productRoute))).route!;

beforeAll(async () => {
  await createDemoMesh(appMesh);
  await cloudWatch.send(new PutMetricAlarmCommand({
    AlarmName: 'product-v15-5xx', Namespace: 'mesh-canary/demo', MetricName: 'Http5xx', Statistic: 'Sum',
    Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  }));
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'product-v15-5xx', StateValue: 'OK', StateReason: 'no 5xx' }));
  await cloudWatch.send(new PutMetricDataCommand({
    Namespace: 'mesh-canary/demo',
    MetricData: Array.from({ length: 6 }, (_, i) => ({
      MetricName: 'LatencyMs', Dimensions: [{ Name: 'VirtualNode', Value: 'product-v15-vn' }], Value: 100 + i * 10, Timestamp: new Date(Date.now() - 10_000 - i * 20_000),
    })),
  }));
});

test('prepare → set-weight → check-health → promote → rollback, each from its events/ file', async () => {
  const before = await routeSpec();

  const deployment = await call('PrepareFunction', event('prepare.json'));
  expect(deployment.snapshot.weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100 }]);
  expect(deployment.snapshot.version).toBe(before.metadata!.version);

  const shifted = await call('SetWeightFunction', event('set-weight.json'));
  expect(shifted).toMatchObject({ weight: 30, changed: true });
  expect((await routeSpec()).spec!.httpRoute!.action!.weightedTargets).toEqual([
    { virtualNode: 'product-vn', weight: 70 }, { virtualNode: 'product-v15-vn', weight: 30 }]);
  expect(await call('SetWeightFunction', event('set-weight.json'))).toMatchObject({ changed: false, routeVersion: shifted.routeVersion });

  const healthy = await call('CheckHealthFunction', event('check-health.json'));
  expect(healthy.verdict).toBe('pass');
  expect(healthy.checks).toEqual([
    expect.objectContaining({ check: 'alarm:product-v15-5xx', verdict: 'pass' }),
    expect.objectContaining({ check: 'metric:canary-latency', verdict: 'pass', samples: 6, value: 125 }),
  ]);
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: 'product-v15-5xx', StateValue: 'ALARM', StateReason: '5xx on v1.5' }));
  expect((await call('CheckHealthFunction', event('check-health.json'))).verdict).toBe('fail');

  const promoted = await call('PromoteFunction', event('promote.json'));
  expect(promoted).toMatchObject({ changed: true, removedStableTarget: true, weightedTargets: [{ virtualNode: 'product-v15-vn', weight: 100 }] });

  const restored = await call('RollbackFunction', event('rollback.json'));
  expect(restored).toMatchObject({ changed: true, weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] });
  const after = await routeSpec();
  expect(after.spec).toEqual(before.spec);
  expect(after.metadata!.version).toBe(before.metadata!.version! + 3);
});
