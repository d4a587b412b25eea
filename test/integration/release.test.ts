// Releases (issue 11: several routes in one deployment, all or nothing) in real executions of the
// state machines on the local AWS: the real function bundles, moto with local/moto_launcher.py's
// VPC Lattice. Every route is read back with its own backend's API (test/support/release.ts),
// never through the router under test, and compared with what it held before the release
// exactly (App Mesh: the whole spec; Lattice: the whole rule). settleSeconds is 0 so releases
// with Lattice routes stay fast (their default is 90).
import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SendTaskSuccessCommand, StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import {
  alarm, appMesh, approvalToken, finished, history, setAlarm, sfn, shifts, stack, start, statesEntered, until,
} from '../support/executions.ts';
import { call } from '../support/invoke.ts';
import {
  allPromoted, canaryPercents, entries, guardEvent, lockItems, releaseRoutes, states, versions, type TestRoute,
} from '../support/release.ts';

const dynamo = new DynamoDBClient({});
const linear = (stepPercent: number, intervalSeconds: number) => ({ strategy: { type: 'linear', stepPercent, intervalSeconds }, settleSeconds: 0 });
const everyRouteAt = (routes: TestRoute[], percent: number) => until(`every route at ${percent}%`, async () =>
  (await canaryPercents(routes)).every((p) => p === percent));

/** The canary's percent on each route after each Shift that succeeded, from the step's own result (ReleaseTargets). */
function sharesAtEachShift(events: HistoryEvent[], routes: TestRoute[]): { weight: number; routes: Record<string, number> }[] {
  return events
    .filter((e, i) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Shift' && events[i - 1]?.type === 'TaskSucceeded')
    .map((e) => {
      const { weight, weightedTargets } = JSON.parse(e.stateExitedEventDetails!.output!).lastShift;
      const byRoute = Object.fromEntries((weightedTargets as { route: string; weightedTargets: Record<string, unknown>[] }[]).map(({ route, weightedTargets: ts }) => {
        const r = routes.find((x) => x.label === route)!;
        const id = (t: Record<string, unknown>) => (t.virtualNode ?? t.targetGroupIdentifier) as string;
        const total = ts.reduce((s, t) => s + (t.weight as number), 0);
        return [route, Math.round((100 * ((ts.find((t) => id(t) === r.canary)?.weight as number) ?? 0)) / total)];
      }));
      return { weight, routes: byRoute };
    });
}

/** Every shift gave every route the step's share. */
function expectEveryRouteAtEachShare(events: HistoryEvent[], routes: TestRoute[], weights: number[]) {
  const shares = sharesAtEachShift(events, routes);
  expect(shares.map((s) => s.weight)).toEqual(weights);
  for (const s of shares) expect(s.routes).toEqual(Object.fromEntries(routes.map((r) => [r.label, s.weight])));
}

/** A task of the given state was scheduled (a write step ran). */
const scheduled = (events: HistoryEvent[], state: string) => statesEntered(events).includes(state);

describe('promoted together', () => {
  test('two routes, product and customer (the seed\'s story), each with its own health check and one release-wide: every step moves both, then both promoted', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'] });
    const before = await states(routes);
    const [productAlarm, customerAlarm, releaseAlarm] = [await alarm(), await alarm(), await alarm()];
    const input = entries(routes);
    input[0].healthChecks = { alarms: { names: [productAlarm] } };
    input[1].healthChecks = { alarms: { names: [customerAlarm] } };
    const arn = await start('linear', { routes: input, ...linear(25, 0), healthChecks: { alarms: { names: [releaseAlarm] } } });
    const end = await finished(arn);
    expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });

    const events = await history(arn);
    expectEveryRouteAtEachShare(events, routes, [25, 50, 75, 100]);
    const output = JSON.parse(end.output!);
    expect(output).toMatchObject({ outcome: 'promoted', checks: 5 });
    expect(output.verdicts.map((v: any) => [v.weight, v.verdict, v.decision])).toEqual([
      [0, 'pass', 'advance'], [25, 'pass', 'advance'], [50, 'pass', 'advance'], [75, 'pass', 'advance'], [100, 'pass', 'promote']]);
    expect(output.weightedTargets).toEqual([
      { route: routes[0].label, weightedTargets: [{ virtualNode: 'product-v15-vn', weight: 100 }] },
      { route: routes[1].label, weightedTargets: [{ virtualNode: 'customer-v2-vn', weight: 100 }] },
    ]);
    expect(await allPromoted(routes, before)).toEqual([true, true]);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });

  test('five routes, App Mesh and VPC Lattice mixed: every step moves all five to the same share, then all promoted', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'], lattice: ['product', 'customer'], order: [0, 3, 1, 4, 2] });
    expect(routes.map((r) => r.backend)).toEqual(['appmesh', 'lattice', 'appmesh', 'lattice', 'appmesh']);
    const before = await states(routes);
    const arn = await start('linear', { routes: entries(routes), ...linear(30, 0), healthChecks: { alarms: { names: [await alarm()] } } });
    const end = await finished(arn);
    expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });
    expectEveryRouteAtEachShare(await history(arn), routes, [30, 60, 90, 100]);
    expect(await allPromoted(routes, before)).toEqual([true, true, true, true, true]);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });
});

describe('a failing verdict rolls every route back to exactly its snapshot', () => {
  test.each([
    ['an alarm of one route\'s own health checks', 'route'],
    ['a release-wide alarm', 'release'],
  ] as const)('%s, at 50%', async (_label, which) => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'], lattice: ['order'] });
    const before = await states(routes);
    const [routeAlarm, releaseAlarm] = [await alarm(), await alarm()];
    const input = entries(routes);
    input[1].healthChecks = { alarms: { names: [routeAlarm] } };
    const arn = await start('linear', { routes: input, ...linear(25, 1), healthChecks: { alarms: { names: [releaseAlarm] } } });
    await everyRouteAt(routes, 50);
    await setAlarm(which === 'route' ? routeAlarm : releaseAlarm, 'ALARM', '5xx rate 12%');

    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'CanaryRolledBack' });
    expect(end.cause).toContain('CanaryUnhealthy');
    expect(end.cause).toContain('5xx rate 12%');
    expect(shifts(await history(arn))).toEqual([25, 50]);
    expect(await states(routes)).toEqual(before);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });
});

describe('a write refused on the third route of five, after the others moved, restores all five', () => {
  // The refusal comes at the 50% step: the release waits at 25% (every route written), then
  // something makes the third route's next write impossible while the others' go through.
  test.each([
    ['its route spec made unsupported (the canary listed twice)', async (r: TestRoute) => {
      const now = await r.targets();
      await r.setByHand([...now, [r.canary, 0]]);
    }, 'UnsupportedRoute'],
    ['its lock item gone (the writer checks it right before its write)', async (r: TestRoute) => {
      await dynamo.send(new DeleteItemCommand({ TableName: stack().outputs.LockTableName, Key: { route: { S: r.lockKey } } }));
    }, 'DeploymentLockLost'],
  ] as const)('%s', async (label, refuse, errorName) => {
    // A refusal the step finds when it reads the route stops it before any route is written; a lost
    // lock is found right before that route's write, when the others have been written.
    const foundAtRead = errorName === 'UnsupportedRoute';
    // App Mesh first: its versions count the writes each route took.
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'], lattice: ['product', 'customer'] });
    const before = await states(routes);
    const versionsBefore = await versions(routes);
    const arn = await start('linear', { routes: entries(routes), ...linear(25, 3) });
    await until('the release waiting at 25%', async () => shifts(await history(arn)).includes(25));
    await refuse(routes[2]);

    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'CanaryRolledBack' });
    expect(end.cause).toContain(errorName);
    expect(end.cause).toContain(routes[2].label);
    const events = await history(arn);
    expect(shifts(events)).toEqual([25]);
    // The failed step refused the third route and said so.
    const failedShift = events.find((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === errorName);
    expect(failedShift?.taskFailedEventDetails?.cause).toContain('[1 of 5 routes failed, 4 succeeded]');
    if (foundAtRead) expect(failedShift?.taskFailedEventDetails?.cause).toContain('no route was written');
    // The first two App Mesh routes: 25% and the restore, plus the 50% write when the refusal came at the write.
    const versionsAfter = await versions(routes);
    const writes = foundAtRead ? 2 : 3;
    expect({ label, writes: [versionsAfter[0], versionsAfter[1]] }).toEqual({ label, writes: [Number(versionsBefore[0]) + writes, Number(versionsBefore[1]) + writes] });
    expect(await states(routes)).toEqual(before);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });
});

describe('a promote refused on one route, and a restore that cannot succeed', () => {
  test('a promote refused on the third route after the others were promoted: every route restored exactly, the promoted ones included', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'], lattice: ['product'] });
    const before = await states(routes);
    const arn = await start('linear', { routes: entries(routes), ...linear(50, 3) });
    // Waiting at 100% before its last verdict and the promote: the third route's spec becomes one the writer refuses.
    await until('the release waiting at 100%', async () => shifts(await history(arn)).includes(100));
    await routes[2].setByHand([...await routes[2].targets(), [routes[2].canary, 0]]);

    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'CanaryRolledBack' });
    expect(end.cause).toContain('UnsupportedRoute');
    const events = await history(arn);
    const failedPromote = events.find((e) => e.type === 'TaskFailed' && e.taskFailedEventDetails?.error === 'UnsupportedRoute');
    expect(failedPromote?.taskFailedEventDetails?.cause).toContain('[1 of 4 routes failed, 3 succeeded]');
    expect(statesEntered(events)).toContain('Promote');
    expect(await states(routes)).toEqual(before);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });

  test('a restore refused for good on one route: the others restored, RollbackFailed naming that route, every lock kept until a person acts', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'] });
    const before = await states(routes);
    const arn = await start('linear', { routes: entries(routes), ...linear(25, 3) });
    await until('the release waiting at 25%', async () => shifts(await history(arn)).includes(25));
    // The second route becomes an http2Route with the same targets: neither a shift nor a restore touches a route whose kind changed.
    const { UpdateRouteCommand } = await import('@aws-sdk/client-app-mesh');
    const spec = structuredClone(await routes[1].state()) as { httpRoute?: unknown; http2Route?: unknown };
    const changed = { http2Route: spec.httpRoute };
    await appMesh.send(new UpdateRouteCommand({ ...(routes[1].entry.route as { meshName: string; virtualRouterName: string; routeName: string }), spec: changed as never }));

    const end = await finished(arn, 90_000);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(end.cause).toContain(routes[1].label);
    expect(end.cause).toContain('UnsupportedRoute');
    expect([await routes[0].state(), await routes[2].state()]).toEqual([before[0], before[2]]);
    expect(await routes[1].state()).toEqual(changed);
    expect(end.cause).toMatch(/needs a person/);
    // As a one-route deployment whose rollback failed keeps its route's lock: no deployment starts on a release a person must look at.
    expect((await lockItems({ executionId: arn })).map((i) => i.route).sort()).toEqual(routes.map((r) => r.lockKey).sort());
  });
});

describe('a hand edit on one route is drift for the whole release', () => {
  test('onDrift halt: every route left as it is, every lock released, FAILED RouteDriftDetected', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'], lattice: ['order'] });
    const arn = await start('linear', { routes: entries(routes), ...linear(25, 3) });
    await until('the release waiting at 25%', async () => shifts(await history(arn)).includes(25));
    const byHand: [string, number][] = [[routes[1].stable, 95], [routes[1].canary, 5]];
    await routes[1].setByHand(byHand);

    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'RouteDriftDetected' });
    expect(end.cause).toMatch(/not restored: onDrift is halt/);
    expect(end.cause).toContain(routes[1].label);
    const events = await history(arn);
    expect(shifts(events)).toEqual([25]);
    expect(scheduled(events, 'Rollback')).toBe(false);
    // The drifted route as the person set it; the others where the release left them (25%): the
    // step that found the drift read and vetted every route before writing any, so it wrote none,
    // and nobody writes them afterwards.
    expect(await routes[1].targets()).toEqual(byHand);
    const left = await states(routes);
    expect(await canaryPercents(routes)).toEqual([25, 5, 25]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await states(routes)).toEqual(left);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });

  test('onDrift rollback: every route restored to exactly its snapshot', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'], lattice: ['order'] });
    const before = await states(routes);
    const arn = await start('linear', { routes: entries(routes), ...linear(25, 3), onDrift: 'rollback' });
    await until('the release waiting at 25%', async () => shifts(await history(arn)).includes(25));
    await routes[2].setByHand([[routes[2].stable, 10], [routes[2].canary, 90]]);

    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'CanaryRolledBack' });
    expect(end.cause).toContain('RouteDriftDetected');
    expect(await states(routes)).toEqual(before);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });
});

test('StopExecution mid-way: the guard, given the event EventBridge sends, restores every route and releases every lock', async () => {
  const routes = await releaseRoutes({ mesh: ['product', 'customer'], lattice: ['product'] });
  const before = await states(routes);
  const arn = await start('linear', { routes: entries(routes), ...linear(25, 1) });
  // Stop while it waits at 50% (its Shift step has ended: no write can still land).
  await until('the release waiting at 50%', async () => shifts(await history(arn)).includes(50));
  await sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'operator pressed stop' }));
  const end = await finished(arn);
  expect(end.status).toBe('ABORTED');
  // Step Functions skips every Catch on stop: every route still half-shifted, every lock still held.
  expect(await canaryPercents(routes)).toEqual([50, 50, 50]);
  expect((await lockItems({ executionId: arn })).map((i) => i.route).sort()).toEqual(routes.map((r) => r.lockKey).sort());

  const event = guardEvent({ ...end, status: 'ABORTED' });
  const result = await call('GuardFunction', event);
  expect(result).toMatchObject({ action: 'restored', changed: true });
  expect(result.weightedTargets.map((t: { route: string }) => t.route)).toEqual(routes.map((r) => r.label));
  expect(await states(routes)).toEqual(before);
  expect(await lockItems({ executionId: arn })).toEqual([]);

  // EventBridge delivers at least once: the second delivery finds nothing to do.
  const versionsNow = await versions(routes);
  expect(await call('GuardFunction', event)).toMatchObject({ action: 'restored', changed: false });
  expect(await versions(routes)).toEqual(versionsNow);
});

describe('a concurrent deployment touching one of the routes is refused and writes nothing, and holds no lock', () => {
  /** A release of product and customer, waiting at 25% for a long time. */
  async function releaseUnderWay(routes: TestRoute[]) {
    const arn = await start('linear', { routes: entries(routes), ...linear(25, 600) });
    await until('the release waiting at 25%', async () => shifts(await history(arn)).includes(25));
    return arn;
  }
  /** Stops the release and lets the guard restore its routes (as EventBridge would). */
  async function stopAndGuard(arn: string) {
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const end = await finished(arn);
    await call('GuardFunction', guardEvent({ ...end, status: 'ABORTED' }));
  }
  async function expectRefused(refused: string, held: TestRoute[], releaseArn: string, versionsBefore: unknown[], routes: TestRoute[]) {
    const end = await finished(refused);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'DeploymentInProgress' });
    for (const r of held) expect(end.cause).toContain(`${r.label} is being deployed by ${releaseArn}`);
    expect(end.cause).toMatch(/one deployment per route\. Nothing was changed$/);
    const events = await history(refused);
    expect(events.some((e) => e.type === 'TaskScheduled' && /SetWeight|Promote|Rollback/.test(e.taskScheduledEventDetails!.parameters!))).toBe(false);
    for (const state of ['Shift', 'Promote', 'Rollback']) expect(scheduled(events, state)).toBe(false);
    expect(await versions(routes)).toEqual(versionsBefore);
    // Nothing half-locked: the refused execution holds no lock item, and the release still holds each of its own.
    expect(await lockItems({ executionId: refused })).toEqual([]);
  }

  test('a one-route deployment of one of the release\'s routes', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'] });
    const releaseArn = await releaseUnderWay(routes);
    const versionsBefore = await versions(routes);
    const refused = await start('linear', { ...routes[1].entry, ...linear(50, 0) });
    await expectRefused(refused, [routes[1]], releaseArn, versionsBefore, routes);
    expect((await lockItems({ executionId: releaseArn })).map((i) => i.route).sort()).toEqual(routes.map((r) => r.lockKey).sort());
    await stopAndGuard(releaseArn);
  });

  test('a second release overlapping one route (its other route free): refused, and the free route is not locked either', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'], lattice: ['customer'] });
    const [product, customer, order, latticeCustomer] = routes;
    const releaseArn = await releaseUnderWay([product, latticeCustomer]);
    const versionsBefore = await versions(routes);
    // customer and order are free; the Lattice customer rule is the first release's.
    const refused = await start('linear', { routes: entries([customer, latticeCustomer, order]), ...linear(50, 0) });
    await expectRefused(refused, [latticeCustomer], releaseArn, versionsBefore, routes);
    expect(await lockItems({ keys: [customer.lockKey, order.lockKey] })).toEqual([]);
    expect((await lockItems({ executionId: releaseArn })).map((i) => i.route).sort()).toEqual([product.lockKey, latticeCustomer.lockKey].sort());
    await stopAndGuard(releaseArn);
  });
});

describe('manual approval of a release', () => {
  const strategy = { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 120, checkIntervalSeconds: 1 };

  test('approve: every route waits at 10% until a person approves, then all promoted', async () => {
    const routes = await releaseRoutes({ mesh: ['order'], lattice: ['order'] });
    const before = await states(routes);
    const arn = await start('manual-approval', { routes: entries(routes), strategy, settleSeconds: 0, healthChecks: { alarms: { names: [await alarm()] } } });
    const token = await approvalToken(arn);
    expect(await canaryPercents(routes)).toEqual([10, 10]);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
    const end = await finished(arn);
    expect({ status: end.status, error: end.error, cause: end.cause }).toEqual({ status: 'SUCCEEDED' });
    expect(JSON.parse(end.output!)).toMatchObject({ outcome: 'promoted', approval: 'approved' });
    expect(await allPromoted(routes, before)).toEqual([true, true]);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });

  test('reject: every route restored exactly, the reason in the cause', async () => {
    const routes = await releaseRoutes({ mesh: ['order'], lattice: ['order'] });
    const before = await states(routes);
    const arn = await start('manual-approval', { routes: entries(routes), strategy, settleSeconds: 0 });
    const token = await approvalToken(arn);
    expect(await canaryPercents(routes)).toEqual([10, 10]);
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Rejected', cause: 'checkout latency doubled' }));
    const end = await finished(arn);
    expect(end.error).toBe('CanaryRolledBack');
    expect(end.cause).toContain('Rejected: checkout latency doubled');
    expect(await states(routes)).toEqual(before);
    expect(await lockItems({ executionId: arn })).toEqual([]);
  });
});

test('two releases started together, overlapping on one route: one proceeds, the other is refused and locks nothing', async () => {
  const [product, customer, order] = await releaseRoutes({ mesh: ['product', 'customer', 'order'] });
  const before = await states([product, customer, order]);
  const [a, b] = await Promise.all([
    start('linear', { routes: entries([product, customer]), ...linear(50, 1) }),
    start('linear', { routes: entries([customer, order]), ...linear(50, 1) }),
  ]);
  const [endA, endB] = await Promise.all([finished(a), finished(b)]);
  expect([endA, endB].map((e) => (e.status === 'SUCCEEDED' ? 'promoted' : e.error)).sort()).toEqual(['DeploymentInProgress', 'promoted']);
  const [winner, loser] = endA.status === 'SUCCEEDED' ? [[product, customer], b] as const : [[customer, order], a] as const;
  const untouched = winner.includes(product) ? order : product;
  const loserEvents = await history(loser);
  for (const state of ['Shift', 'Promote', 'Rollback']) expect(scheduled(loserEvents, state)).toBe(false);
  expect(await lockItems({ executionId: loser })).toEqual([]);
  expect(await untouched.state()).toEqual(before[[product, customer, order].indexOf(untouched)]);
  expect(await allPromoted(winner, winner.map((r) => before[[product, customer, order].indexOf(r)]))).toEqual([true, true]);
});

describe('inputs refused before anything changes: InvalidInput, no route written, no lock item left', () => {
  async function expectRefusedInput(input: unknown, routes: TestRoute[], cause: RegExp) {
    const versionsBefore = await versions(routes);
    const arn = await start('linear', input);
    const end = await finished(arn);
    expect({ status: end.status, error: end.error }).toEqual({ status: 'FAILED', error: 'InvalidInput' });
    expect(end.cause).toMatch(cause);
    const entered = statesEntered(await history(arn));
    for (const state of ['CheckHealth', 'Shift', 'Promote', 'Rollback']) expect(entered).not.toContain(state);
    expect(await versions(routes)).toEqual(versionsBefore);
    expect(await lockItems({ executionId: arn })).toEqual([]);
    return end;
  }

  test('11 routes (the limit is 10)', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer', 'order'] });
    const more = Array.from({ length: 8 }, (_, i) => ({ ...routes[0].entry, route: { ...routes[0].entry.route, routeName: `extra-${i}-r` } }));
    await expectRefusedInput({ routes: [...entries(routes), ...more], ...linear(50, 0) }, routes, /routes must be an array of 1 to 10 items/);
  });

  test('the same route twice, written alike', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'] });
    await expectRefusedInput({ routes: [...entries(routes), routes[0].entry], ...linear(50, 0) }, routes, /routes\[2\]\.route names the same route as routes\[0\]\.route/);
  });

  // Caught by the input's validation (a Lattice part's ARN is read as its ID), before prepare reads anything.
  test('the same Lattice rule twice, by ID and by ARN', async () => {
    const routes = await releaseRoutes({ mesh: ['product'], lattice: ['product'] });
    const byArn = { ...routes[1].entry, route: routes[1].arnRoute! };
    await expectRefusedInput({ routes: [...entries(routes), byArn], ...linear(50, 0) }, routes, /names the same route as routes\[1\]\.route/);
  });

  // Written differently, one route: prepare finds it (both are the same canonical identity) before it takes any lock.
  test('the same App Mesh route twice, its mesh owner left out and written out', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'] });
    const owned = { ...routes[0].entry, route: { ...routes[0].entry.route, meshOwner: '123456789012' } };
    await expectRefusedInput({ routes: [...entries(routes), owned], ...linear(50, 0) }, routes,
      /routes\[2\]\.route names the same route as routes\[0\]\.route \(.* are both 123456789012:rel-\S+\/product-vr\/product-r\)/);
  });

  test('routes together with a top-level route', async () => {
    const routes = await releaseRoutes({ mesh: ['product', 'customer'] });
    await expectRefusedInput({ routes: entries(routes.slice(1)), ...routes[0].entry, ...linear(50, 0) }, routes, /^Invalid input: input\.route is not a known field \(known: routes, /);
  });
});
