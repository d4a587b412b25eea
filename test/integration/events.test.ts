// Every payload in events/ (the ones `sam local invoke <Fn> -e events/<file>` takes) run through
// its built bundle against the local AWS, in the order a deployment uses them: they cannot rot.
// The *-lattice.json ones name placeholder IDs (svc-0123456789abcdef0...): this test creates a
// Lattice service, listener, rule and two target groups on the local AWS and puts their IDs in.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { demoLattice, latticeTargets } from '../support/lattice.ts';
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

describe('the VPC Lattice payloads, on a Lattice rule of the local AWS', () => {
  const placeholders = {
    service: 'svc-0123456789abcdef0', listener: 'listener-0123456789abcdef0', rule: 'rule-0123456789abcdef0',
    stable: 'tg-0123456789abcdef0', canary: 'tg-0fedcba9876543210',
  };
  let real: typeof placeholders;
  /** An events/ file with the placeholder IDs replaced by the local resources'. */
  const latticeEvent = (file: string) => {
    let text = JSON.stringify(event(file));
    for (const k of Object.keys(placeholders) as (keyof typeof placeholders)[]) text = text.split(placeholders[k]).join(real[k]);
    return JSON.parse(text);
  };
  const ruleTargets = async () => (await latticeTargets(real)).map((g) => ({ id: g.targetGroupIdentifier, weight: g.weight }));
  const share = (targets: { id?: string; weight?: number }[], id: string) => {
    const total = targets.reduce((s, t) => s + (t.weight ?? 0), 0);
    return Math.round((100 * (targets.find((t) => t.id === id)?.weight ?? 0)) / total);
  };
  const putRates = (errors: number, requests: number) => cloudWatch.send(new PutMetricDataCommand({
    Namespace: 'AWS/VpcLattice',
    MetricData: ['HTTPCode_5XX_Count', 'TotalRequestCount'].map((MetricName, i) => ({
      MetricName, Dimensions: [{ Name: 'TargetGroup', Value: real.canary }], Value: i === 0 ? errors : requests, Unit: 'Count', Timestamp: new Date(Date.now() - 5000),
    })),
  }));

  beforeAll(async () => {
    const { input: { route, stableTargetGroup, canaryTargetGroup } } = await demoLattice();
    real = { service: route.service, listener: route.listener, rule: route.rule!, stable: stableTargetGroup, canary: canaryTargetGroup };
  });

  test('every Lattice file in events/ is run here', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'events')).filter((f) => f.includes('lattice')).sort();
    expect(files).toEqual([
      'check-health-lattice.json', 'execution-lattice-linear.json', 'execution-lattice-manual-approval.json', 'execution-lattice-step-then-all.json',
      'prepare-lattice.json', 'promote-lattice.json', 'request-approval-lattice.json', 'rollback-lattice.json', 'set-weight-lattice.json',
    ]);
  });

  test('prepare → set-weight → check-health (errorRates) → request-approval → promote → rollback, each from its events/ file', async () => {
    const deployment = await call('PrepareFunction', latticeEvent('prepare-lattice.json'));
    expect(deployment.snapshot).toMatchObject({ router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: real.stable, weight: 100 }] });

    const shifted = await call('SetWeightFunction', latticeEvent('set-weight-lattice.json'));
    expect(shifted).toMatchObject({ weight: 30, changed: true });
    expect(share(await ruleTargets(), real.canary)).toBe(30);
    expect(await call('SetWeightFunction', latticeEvent('set-weight-lattice.json'))).toMatchObject({ changed: false });

    await putRates(0, 100);
    const healthy = await call('CheckHealthFunction', latticeEvent('check-health-lattice.json'));
    expect(healthy.verdict).toBe('pass');
    expect(healthy.checks).toEqual([expect.objectContaining({ check: 'errorRate:canary-5xx-rate', verdict: 'pass' })]);
    await putRates(10, 100);
    const unhealthy = await call('CheckHealthFunction', latticeEvent('check-health-lattice.json'));
    expect(unhealthy.verdict).toBe('fail');

    const asked = await call('RequestApprovalFunction', latticeEvent('request-approval-lattice.json'));
    expect(typeof asked.notified).toBe('boolean');

    const promoted = await call('PromoteFunction', latticeEvent('promote-lattice.json'));
    expect(promoted).toMatchObject({ changed: true, removedStableTarget: true });
    expect(await ruleTargets()).toEqual([{ id: real.canary, weight: expect.any(Number) }]);

    const restored = await call('RollbackFunction', latticeEvent('rollback-lattice.json'));
    expect(restored).toMatchObject({ changed: true });
    expect(await ruleTargets()).toEqual([{ id: real.stable, weight: 100 }]);
  });

  test.each(['linear', 'step-then-all', 'manual-approval'] as const)('execution-lattice-%s.json names the local rule once its IDs are put in, and is valid for its machine', (machine) => {
    const input = latticeEvent(`execution-lattice-${machine}.json`);
    expect(parseDeploymentInput(input, machine)).toEqual(input);
    expect(input.route).toEqual({ service: real.service, listener: real.listener, rule: real.rule });
  });
});

describe('the release payloads (*-release.json): product and customer to v2 together, on the demo mesh', () => {
  const routes = ['product', 'customer'].map((s) => ({ meshName: 'demomesh', virtualRouterName: `${s}-vr`, routeName: `${s}-r` }));
  const routeSpecs = () => Promise.all(routes.map(async (r) => (await appMesh.send(new DescribeRouteCommand(r))).route!));
  const targetsNow = async () => (await routeSpecs()).map((r) => r.spec!.httpRoute!.action!.weightedTargets);
  const alarmState = (AlarmName: string, StateValue: 'OK' | 'ALARM') =>
    cloudWatch.send(new SetAlarmStateCommand({ AlarmName, StateValue, StateReason: `events.test: ${StateValue}` }));

  beforeAll(async () => {
    // The release's checks: each route's canary 5xx, and the caller's (order calls both) for the release as a whole.
    for (const AlarmName of ['product-v2-5xx', 'customer-v2-5xx', 'order-5xx']) {
      await cloudWatch.send(new PutMetricAlarmCommand({
        AlarmName, Namespace: 'mesh-canary/demo', MetricName: 'Http5xx', Statistic: 'Sum',
        Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }));
      await alarmState(AlarmName, 'OK');
    }
  });

  test('every release file in events/ is run here', () => {
    const files = readdirSync(join(__dirname, '..', '..', 'events')).filter((f) => f.includes('release')).sort();
    expect(files).toEqual([
      'check-health-release.json', 'execution-release-linear.json', 'prepare-release.json', 'promote-release.json', 'rollback-release.json', 'set-weight-release.json',
    ]);
  });

  test('execution-release-linear.json is valid for the linear machine and names both routes', () => {
    const input = event('execution-release-linear.json');
    expect(parseDeploymentInput(input, 'linear')).toEqual(input);
    expect(input.routes.map((r: { route: object }) => r.route)).toEqual(routes);
  });

  test('prepare → set-weight → check-health → promote → rollback, both routes at every step, each from its events/ file', async () => {
    const before = await routeSpecs();

    const deployment = await call('PrepareFunction', event('prepare-release.json'));
    expect(deployment.snapshot.weightedTargets).toEqual([
      { route: 'demomesh/product-vr/product-r', weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] },
      { route: 'demomesh/customer-vr/customer-r', weightedTargets: [{ virtualNode: 'customer-vn', weight: 100 }] },
    ]);
    expect(deployment.routes.map((r: { snapshot: { version: number } }) => r.snapshot.version)).toEqual(before.map((r) => r.metadata!.version));

    const shifted = await call('SetWeightFunction', event('set-weight-release.json'));
    expect(shifted).toMatchObject({ weight: 30, changed: true });
    expect(shifted.routeVersion).toHaveLength(2);
    expect(await targetsNow()).toEqual([
      [{ virtualNode: 'product-vn', weight: 70 }, { virtualNode: 'product-v2-vn', weight: 30 }],
      [{ virtualNode: 'customer-vn', weight: 70 }, { virtualNode: 'customer-v2-vn', weight: 30 }],
    ]);
    expect(await call('SetWeightFunction', event('set-weight-release.json'))).toMatchObject({ changed: false, routeVersion: shifted.routeVersion });

    const healthy = await call('CheckHealthFunction', event('check-health-release.json'));
    expect(healthy.verdict).toBe('pass');
    expect(healthy.checks.map((c: { check: string }) => c.check).sort()).toEqual(['alarm:customer-v2-5xx', 'alarm:order-5xx', 'alarm:product-v2-5xx']);
    // One route's own check fails the whole release, and so does the release-wide one.
    for (const alarm of ['customer-v2-5xx', 'order-5xx']) {
      await alarmState(alarm, 'ALARM');
      expect((await call('CheckHealthFunction', event('check-health-release.json'))).verdict).toBe('fail');
      await alarmState(alarm, 'OK');
    }

    const promoted = await call('PromoteFunction', event('promote-release.json'));
    expect(promoted).toMatchObject({
      changed: true, removedStableTarget: true,
      weightedTargets: [
        { route: 'demomesh/product-vr/product-r', weightedTargets: [{ virtualNode: 'product-v2-vn', weight: 100 }] },
        { route: 'demomesh/customer-vr/customer-r', weightedTargets: [{ virtualNode: 'customer-v2-vn', weight: 100 }] },
      ],
    });

    const restored = await call('RollbackFunction', event('rollback-release.json'));
    expect(restored).toMatchObject({ changed: true });
    const after = await routeSpecs();
    expect(after.map((r) => r.spec)).toEqual(before.map((r) => r.spec));
    expect(after.map((r) => r.metadata!.version)).toEqual(before.map((r) => r.metadata!.version! + 3));
  });
});
