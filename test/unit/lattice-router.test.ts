// The VPC Lattice router, through the route writer, against a mocked VPC Lattice API
// (aws-sdk-client-mock) with Lattice's real error classes: rule and default-action routes, 1-10
// target groups, rescaled weights that keep every other target group's share, no write when
// nothing changes, drift refused, an exact restore, identifiers as IDs or ARNs giving one identity,
// and every failure named.
import {
  AccessDeniedException, ConflictException, GetListenerCommand, GetRuleCommand, InternalServerException,
  ResourceNotFoundException, ThrottlingException, UpdateListenerCommand, UpdateRuleCommand, ValidationException,
  VPCLatticeClient, type GetRuleCommandOutput,
} from '@aws-sdk/client-vpc-lattice';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { routerFor, routeLabelOf } from '../../functions/commons/routers/index.ts';
import type { LatticeTarget } from '../../functions/commons/routers/lattice/index.ts';

const lattice = mockClient(VPCLatticeClient);
const client = new VPCLatticeClient({ region: 'us-east-1' });
const clients = { lattice: () => client };

const PREFIX = 'arn:aws:vpc-lattice:us-east-1:123456789012';
const id = (kind: string, n: number) => `${kind}-${String(n).padStart(17, '0')}`;
const svc = id('svc', 1);
const listener = id('listener', 2);
const rule = id('rule', 3);
const [S, C, X, Y] = [id('tg', 10), id('tg', 11), id('tg', 12), id('tg', 13)];
const RULE_ARN = `${PREFIX}:service/${svc}/listener/${listener}/rule/${rule}`;
const LISTENER_ARN = `${PREFIX}:service/${svc}/listener/${listener}`;
const updated = new Date('2026-11-27T08:00:00Z');

const tg = (targetGroupIdentifier: string, weight: number): LatticeTarget => ({ targetGroupIdentifier, weight });
const ruleOutput = (groups: LatticeTarget[], arn = RULE_ARN): GetRuleCommandOutput => ({
  $metadata: {}, arn, id: rule, isDefault: false, priority: 10,
  match: { httpMatch: { pathMatch: { match: { prefix: '/' } } } },
  action: { forward: { targetGroups: groups } }, lastUpdatedAt: updated,
});
const listenerOutput = (groups: LatticeTarget[]) => ({
  $metadata: {}, arn: LISTENER_ARN, id: listener, serviceId: svc, protocol: 'HTTP' as const, port: 80,
  defaultAction: { forward: { targetGroups: groups } }, lastUpdatedAt: updated,
});

const ruleRoute = { route: { service: svc, listener, rule }, stableTargetGroup: S, canaryTargetGroup: C };
const defaultRoute = { route: { service: svc, listener }, stableTargetGroup: S, canaryTargetGroup: C };
const writer = () => new RouteWriter({ routers: clients });
const callNames = () => lattice.calls().map((c) => c.args[0].constructor.name);

/** A deployment prepared on a route that holds `groups`. */
async function prepared(naming: typeof ruleRoute | typeof defaultRoute, groups: LatticeTarget[]) {
  const isRule = 'rule' in naming.route;
  if (isRule) lattice.on(GetRuleCommand).resolves(ruleOutput(groups));
  else lattice.on(GetListenerCommand).resolves(listenerOutput(groups));
  const snapshot = await writer().prepare(naming);
  lattice.resetHistory();
  return { ...naming, snapshot };
}

beforeEach(() => {
  lattice.reset();
  lattice.on(UpdateRuleCommand).callsFake((input) => ({ arn: RULE_ARN, id: rule, action: input.action }));
  lattice.on(UpdateListenerCommand).callsFake((input) => ({ arn: LISTENER_ARN, id: listener, defaultAction: input.defaultAction }));
});

describe('a listener rule', () => {
  test('set 33%: GetRule, then UpdateRule with only the action (a PATCH), every weight explicit, rescaled so 33% is exact', async () => {
    const d = await prepared(ruleRoute, [tg(S, 80), tg(X, 20)]);
    expect(d.snapshot).toEqual({ router: 'lattice', routeKind: 'rule', weightedTargets: [tg(S, 80), tg(X, 20)], lastUpdatedAt: updated.toISOString(), takenAt: expect.any(String) });

    const result = await writer().shift(d, 33);

    // 33% of 80 is 26.4; of the pool times 5 (400), 132 exactly. X keeps its 20% of the traffic (100 of 500).
    const next = [tg(S, 268), tg(X, 100), tg(C, 132)];
    expect(result).toEqual({ changed: true, weightedTargets: next, routeVersion: null });
    expect(callNames()).toEqual(['GetRuleCommand', 'UpdateRuleCommand']);
    expect(lattice.commandCalls(UpdateRuleCommand)[0].args[0].input).toEqual({
      serviceIdentifier: svc, listenerIdentifier: listener, ruleIdentifier: rule, action: { forward: { targetGroups: next } },
    });
  });

  test('no write when the rule already holds the weights (a retry whose first attempt landed)', async () => {
    const d = await prepared(ruleRoute, [tg(S, 80), tg(X, 20)]);
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 268), tg(X, 100), tg(C, 132)]));
    const result = await writer().shift(d, 33, [tg(S, 268), tg(X, 100), tg(C, 132)]);
    expect(result.changed).toBe(false);
    expect(result.routeVersion).toBe(updated.toISOString());
    expect(callNames()).toEqual(['GetRuleCommand']);
  });

  test('a weight of 0 is written out, not left to Lattice\'s default', async () => {
    const d = await prepared(ruleRoute, [tg(S, 100)]);
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 0), tg(C, 100)]));
    await writer().restore(d);
    expect(lattice.commandCalls(UpdateRuleCommand)[0].args[0].input.action).toEqual({ forward: { targetGroups: [tg(S, 100)] } });
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 100)]));
    lattice.resetHistory();
    await writer().promote({ ...d, keepStableTarget: true });
    expect(lattice.commandCalls(UpdateRuleCommand)[0].args[0].input.action).toEqual({ forward: { targetGroups: [tg(S, 0), tg(C, 100)] } });
  });

  test('drift: someone changed the stable or canary weight since the last write; refused, nothing written', async () => {
    const d = await prepared(ruleRoute, [tg(S, 100)]);
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 95), tg(C, 5)]));
    await expect(writer().shift(d, 20, [tg(S, 90), tg(C, 10)])).rejects.toMatchObject({ name: 'RouteDriftDetected', message: expect.stringContaining(`${svc}/${listener}/${rule}`) });
    expect(callNames()).toEqual(['GetRuleCommand']);
  });

  test('restore: exactly the snapshot, rescaled weights divided back; a person\'s later edit of another group kept and reported', async () => {
    const d = await prepared(ruleRoute, [tg(S, 60), tg(X, 30), tg(Y, 10)]);
    // At 12%: factor 5 (12% of 60 × 5 = 300 is 36). Then someone set Y to 7.
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 264), tg(X, 150), tg(Y, 7), tg(C, 36)]));
    const { result } = await writer().restore(d);
    expect(result.weightedTargets).toEqual([tg(S, 60), tg(X, 30), tg(Y, 7)]);
    expect(result.keptChanges).toEqual([{ targetGroupIdentifier: Y, snapshot: tg(Y, 10), now: tg(Y, 7) }]);

    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 264), tg(X, 150), tg(Y, 50), tg(C, 36)]));
    lattice.resetHistory();
    const exact = await writer().restore(d);
    expect(exact.result).toMatchObject({ changed: true, weightedTargets: [tg(S, 60), tg(X, 30), tg(Y, 10)], keptChanges: [] });
    expect(lattice.commandCalls(UpdateRuleCommand)[0].args[0].input.action).toEqual({ forward: { targetGroups: [tg(S, 60), tg(X, 30), tg(Y, 10)] } });
  });

  test('a step from one factor to another moves every rescaled group, and promotion writes the snapshot\'s scale back', async () => {
    const d = await prepared(ruleRoute, [tg(S, 70), tg(X, 30)]);
    // At 15%: factor 2 (15% of 140 is 21).
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 119), tg(X, 60), tg(C, 21)]));
    expect((await writer().shift(d, 33, [tg(S, 119), tg(X, 60), tg(C, 21)])).weightedTargets).toEqual([tg(S, 469), tg(X, 300), tg(C, 231)]);
    const result = await writer().promote(d, [tg(S, 119), tg(X, 60), tg(C, 21)]);
    expect(result.weightedTargets).toEqual([tg(X, 30), tg(C, 70)]);
  });

  test('a fixed-response rule cannot be shifted: UnsupportedRoute', async () => {
    lattice.on(GetRuleCommand).resolves({ ...ruleOutput([]), action: { fixedResponse: { statusCode: 404 } } });
    await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining('fixed response') });
  });

  test('weights left out: a lone target group carries all the traffic; among several, UnsupportedRoute', async () => {
    lattice.on(GetRuleCommand).resolves({ ...ruleOutput([]), action: { forward: { targetGroups: [{ targetGroupIdentifier: S }] } } });
    expect(await writer().prepare(ruleRoute)).toMatchObject({ weightedTargets: [tg(S, 100)] });
    lattice.on(GetRuleCommand).resolves({ ...ruleOutput([]), action: { forward: { targetGroups: [{ targetGroupIdentifier: S }, { targetGroupIdentifier: X, weight: 5 }] } } });
    await expect(writer().prepare(ruleRoute)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining(`${S} of the rule has no explicit weight`) });
  });
});

describe('a listener\'s default action (no rule)', () => {
  test('set 10%: GetListener, then UpdateListener with the whole default action; no rule call', async () => {
    const d = await prepared(defaultRoute, [tg(S, 100)]);
    expect(d.snapshot).toMatchObject({ routeKind: 'defaultAction' });
    const result = await writer().shift(d, 10);
    expect(result.weightedTargets).toEqual([tg(S, 90), tg(C, 10)]);
    expect(callNames()).toEqual(['GetListenerCommand', 'UpdateListenerCommand']);
    expect(lattice.commandCalls(UpdateListenerCommand)[0].args[0].input).toEqual({
      serviceIdentifier: svc, listenerIdentifier: listener, defaultAction: { forward: { targetGroups: [tg(S, 90), tg(C, 10)] } },
    });
    expect(routeLabelOf(defaultRoute.route)).toBe(`${svc}/${listener}/default`);
  });
});

describe('1 to 10 target groups', () => {
  const others = [X, Y, id('tg', 14), id('tg', 15), id('tg', 16), id('tg', 17), id('tg', 18), id('tg', 19), id('tg', 20)];
  test.each([
    [0, 37], [1, 37], [2, 80], [5, 37], [8, 37], [8, 3],
  ])('stable and %i others (stable weight %i): every share from 1 to 100 gives the canary exactly its percent when a factor within 0-999 can, else the closest; every other group keeps exactly its share', async (n, stableWeight) => {
    const groups = [tg(S, stableWeight), ...others.slice(0, n).map((o, i) => tg(o, 3 + 7 * i))];
    const d = await prepared(ruleRoute, groups);
    const total = groups.reduce((a, g) => a + g.weight, 0);
    const most = Math.floor(999 / Math.max(...groups.map((g) => g.weight)));
    let exact = 0;
    for (let share = 1; share <= 100; share++) {
      lattice.on(GetRuleCommand).resolves(ruleOutput(groups));
      const { weightedTargets } = await writer().shift(d, share) as { weightedTargets: LatticeTarget[] };
      const w = (g: string) => weightedTargets.find((t) => t.targetGroupIdentifier === g)?.weight ?? 0;
      const sum = weightedTargets.reduce((a, g) => a + g.weight, 0);
      const pool = w(S) + w(C);
      // Each other group holds exactly what it held (in integers: no rounding anywhere).
      for (const g of groups.slice(1)) expect(w(g.targetGroupIdentifier) * total).toBe(g.weight * sum);
      expect(pool * total).toBe(stableWeight * sum);
      expect(Math.max(...weightedTargets.map((t) => t.weight))).toBeLessThanOrEqual(999);
      const canExact = Array.from({ length: most }, (_, i) => i + 1).some((k) => (k * stableWeight * share) % 100 === 0);
      if (canExact) {
        expect(w(C) * 100).toBe(pool * share);
        exact++;
      } else {
        // Never further from the percent than without rescaling.
        const plain = Math.round((stableWeight * share) / 100) / stableWeight;
        expect(Math.abs(w(C) / pool - share / 100)).toBeLessThanOrEqual(Math.abs(plain - share / 100) + 1e-12);
      }
    }
    // Rescaling makes more shares exact than the weights as they were (37: only 100%; 80: every fifth).
    const exactWithout = Array.from({ length: 100 }, (_, i) => i + 1).filter((share) => (stableWeight * share) % 100 === 0).length;
    expect(exact).toBeGreaterThan(exactWithout);
  });

  test('ten target groups without the canary: it cannot be added (UnsupportedRoute, nothing written); nine: it can', async () => {
    const nine = [tg(S, 10), ...others.slice(0, 8).map((o) => tg(o, 10))];
    await expect(prepared(ruleRoute, [...nine, tg(others[8], 10)])).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining('VPC Lattice\'s limit') });
    const d = await prepared(ruleRoute, nine);
    const { weightedTargets } = await writer().shift(d, 50);
    expect(weightedTargets).toHaveLength(10);
    expect(lattice.commandCalls(UpdateRuleCommand)).toHaveLength(1);
  });
});

describe('identity: IDs or ARNs, one rule, one lock key', () => {
  test('an ARN settles it without a call; IDs alone take one GetRule; all give the rule ARN', async () => {
    lattice.on(GetRuleCommand).resolves(ruleOutput([tg(S, 100)]));
    const namings = [
      { route: { service: svc, listener, rule: RULE_ARN } },
      { route: { service: `${PREFIX}:service/${svc}`, listener, rule } },
      { route: { service: svc, listener: LISTENER_ARN, rule } },
    ];
    for (const n of namings) expect(await routerFor({ ...n, stableTargetGroup: S, canaryTargetGroup: C }, clients).identity('123456789012')).toBe(RULE_ARN);
    expect(lattice.calls()).toHaveLength(0);
    expect(await routerFor(ruleRoute, clients).identity('123456789012')).toBe(RULE_ARN);
    expect(callNames()).toEqual(['GetRuleCommand']);
    // An ARN reference is sent as ARNs (a service shared from another account is found by ARN).
    await routerFor({ ...namings[0], stableTargetGroup: S, canaryTargetGroup: C }, clients).read();
    expect(lattice.commandCalls(GetRuleCommand)[1].args[0].input).toEqual({ serviceIdentifier: `${PREFIX}:service/${svc}`, listenerIdentifier: LISTENER_ARN, ruleIdentifier: RULE_ARN });
  });

  test('a default action\'s identity is its listener ARN; target groups given as ARNs are the same target groups', async () => {
    lattice.on(GetListenerCommand).resolves(listenerOutput([tg(S, 100)]));
    const router = routerFor({ ...defaultRoute, stableTargetGroup: `${PREFIX}:targetgroup/${S}`, canaryTargetGroup: `${PREFIX}:targetgroup/${C}` }, clients);
    expect(await router.identity()).toBe(LISTENER_ARN);
    expect([router.stable, router.canary]).toEqual([S, C]);
    const d = await prepared({ ...defaultRoute, stableTargetGroup: `${PREFIX}:targetgroup/${S}`, canaryTargetGroup: `${PREFIX}:targetgroup/${C}` } as typeof defaultRoute, [tg(`${PREFIX}:targetgroup/${S}`, 100)]);
    expect((await writer().shift(d, 50)).weightedTargets).toEqual([tg(S, 50), tg(C, 50)]);
  });
});

describe('Lattice\'s errors, named', () => {
  test.each([
    ['GetRule', 'ResourceNotFoundException', new ResourceNotFoundException({ message: 'Rule not found', resourceId: rule, resourceType: 'RULE', $metadata: { httpStatusCode: 404 } }), 'RouteNotFound', `RULE ${rule}`],
    ['GetRule', 'AccessDeniedException', new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 403 } }), 'AwsRequestRejected', 'AccessDeniedException'],
    ['GetRule', 'ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }), 'TransientAwsError', 'ThrottlingException'],
    ['GetRule', 'InternalServerException', new InternalServerException({ message: 'oops', $metadata: { httpStatusCode: 500 } }), 'TransientAwsError', 'InternalServerException'],
    ['UpdateRule', 'ResourceNotFoundException (target group)', new ResourceNotFoundException({ message: 'Target group not found', resourceId: C, resourceType: 'TARGET_GROUP', $metadata: { httpStatusCode: 404 } }), 'TargetGroupNotFound', `TARGET_GROUP ${C}`],
    ['UpdateRule', 'ValidationException', new ValidationException({ message: 'weight out of range', reason: 'fieldValidationFailed', $metadata: { httpStatusCode: 400 } }), 'AwsRequestRejected', 'ValidationException'],
    ['UpdateRule', 'ConflictException', new ConflictException({ message: 'conflict', resourceId: rule, resourceType: 'RULE', $metadata: { httpStatusCode: 409 } }), 'AwsRequestRejected', 'ConflictException'],
    ['UpdateRule', 'ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: { httpStatusCode: 429 } }), 'TransientAwsError', 'ThrottlingException'],
  ])('%s %s → %s', async (call, _label, error, name, mentions) => {
    const d = await prepared(ruleRoute, [tg(S, 100)]);
    if (call === 'GetRule') lattice.on(GetRuleCommand).rejects(error);
    else lattice.on(UpdateRuleCommand).rejects(error);
    const err = await writer().shift(d, 10).catch((e: Error) => e);
    expect(err).toMatchObject({ name, message: expect.stringContaining(mentions) });
    expect((err as Error).message).toContain(`${call} ${svc}/${listener}/${rule}`);
  });

  test('GetListener ResourceNotFoundException → RouteNotFound naming the listener', async () => {
    lattice.on(GetListenerCommand).rejects(new ResourceNotFoundException({ message: 'Listener not found', resourceId: listener, resourceType: 'LISTENER', $metadata: { httpStatusCode: 404 } }));
    await expect(writer().prepare(defaultRoute)).rejects.toMatchObject({ name: 'RouteNotFound', message: expect.stringContaining(`LISTENER ${listener}`) });
  });
});
