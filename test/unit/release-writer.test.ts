// A release's writes through the route writer, against a mocked App Mesh and lock table: every
// route is read and its write vetted before any route is written (drift or a refusal on one
// route leaves all as they were), a restore refuses before writing when another execution holds
// one of the routes, and `expected` must be the release's own targets.
import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand, type RouteSpec } from '@aws-sdk/client-app-mesh';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { describeRouteOutput } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const dynamo = mockClient(DynamoDBClient);
const me = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:release-1';
const names = ['a', 'b', 'c'];
const ref = (n: string) => ({ meshName: 'm', virtualRouterName: `${n}-vr`, routeName: `${n}-r` });
const spec = (n: string, stable: number, canary?: number): RouteSpec => ({
  httpRoute: {
    match: { prefix: '/' },
    action: { weightedTargets: [{ virtualNode: `${n}-vn`, weight: stable }, ...(canary === undefined ? [] : [{ virtualNode: `${n}-v2-vn`, weight: canary }])] },
  },
});
const routes = new Map<string, RouteSpec>();
const release = {
  routes: names.map((n) => ({
    route: ref(n), stableNode: `${n}-vn`, canaryNode: `${n}-v2-vn`,
    snapshot: { router: 'appmesh', routeKind: 'httpRoute', weightedTargets: [{ virtualNode: `${n}-vn`, weight: 100 }], version: 1, takenAt: '2026-11-27T10:00:00.000Z' },
  })),
  executionId: me,
  snapshot: { weightedTargets: [], takenAt: '2026-11-27T10:00:00.000Z' },
};
const at = (share: number) => names.map((n) => ({ route: `m/${n}-vr/${n}-r`, weightedTargets: [{ virtualNode: `${n}-vn`, weight: 100 - share }, { virtualNode: `${n}-v2-vn`, weight: share }] }));
const writer = new RouteWriter({ routers: { appMesh: () => new AppMeshClient({ region: 'us-east-1' }) }, lock: { client: new DynamoDBClient({ region: 'us-east-1' }), tableName: 'locks' } });
const updated = () => appMesh.commandCalls(UpdateRouteCommand).map((c) => c.args[0].input.routeName);
const holder = (executionId: string) => ({ Item: { route: { S: 'k' }, executionId: { S: executionId }, expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) } } });

beforeEach(() => {
  appMesh.reset();
  dynamo.reset();
  for (const n of names) routes.set(n, spec(n, 75, 25));
  appMesh.on(DescribeRouteCommand).callsFake((input) => {
    const n = input.routeName.slice(0, -2);
    return describeRouteOutput(routes.get(n)!, 2, { meshName: 'm', virtualRouterName: `${n}-vr`, routeName: `${n}-r` });
  });
  appMesh.on(UpdateRouteCommand).callsFake((input) => describeRouteOutput(input.spec, 3, { meshName: 'm', virtualRouterName: input.virtualRouterName, routeName: input.routeName }));
  dynamo.on(GetItemCommand).resolves(holder(me));
});

test('a step writes every route to the same share', async () => {
  const result = await writer.shift(release as any, 50, at(25));
  expect(updated().sort()).toEqual(['a-r', 'b-r', 'c-r']);
  expect(result.weightedTargets).toEqual(at(50));
  expect(result.routeVersion).toEqual([3, 3, 3]);
});

test.each([
  ['a step', (exp: unknown[]) => writer.shift(release as any, 50, exp)],
  ['the promotion', (exp: unknown[]) => writer.promote(release as any, exp)],
])('drift on one route refuses %s before any route is written: the others stay as they were', async (_, step) => {
  routes.set('b', spec('b', 95, 5));
  await expect(step(at(25))).rejects.toMatchObject({ name: 'RouteDriftDetected', message: expect.stringContaining('m/b-vr/b-r: the route changed') });
  expect(updated()).toEqual([]);
});

test('a write one route\'s backend would refuse (its limits) refuses the step before any route is written', async () => {
  routes.set('c', { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'c-vn', weight: 75 }, { virtualNode: 'c-v2-vn', weight: 25 }, ...Array.from({ length: 8 }, (_, i) => ({ virtualNode: `x${i}`, weight: 0 }))] } } });
  routes.set('c', { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'c-vn', weight: 100 }, ...Array.from({ length: 9 }, (_, i) => ({ virtualNode: `x${i}`, weight: 0 }))] } } });
  await expect(writer.shift(release as any, 50)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining('m/c-vr/c-r') });
  expect(updated()).toEqual([]);
});

test('a restore refuses before writing any route when another execution now holds one of them', async () => {
  dynamo.on(GetItemCommand).callsFake((input) => (input.Key.route.S.includes('b-vr') ? holder('arn:other') : holder(me)));
  await expect(writer.restore(release as any, { release: true })).rejects.toMatchObject({ name: 'DeploymentInProgress', message: expect.stringContaining('m/b-vr/b-r is now deployed by arn:other') });
  expect(updated()).toEqual([]);
});

test.each([
  ['one route\'s targets', () => at(25)[0].weightedTargets],
  ['two of three routes', () => at(25).slice(0, 2)],
  ['the routes in another order', () => [at(25)[1], at(25)[0], at(25)[2]]],
])('`expected` with %s is InvalidInput, never a drift check silently skipped', async (_, exp) => {
  routes.set('b', spec('b', 95, 5));
  await expect(writer.shift(release as any, 50, exp())).rejects.toMatchObject({ name: 'InvalidInput' });
  expect(updated()).toEqual([]);
});

test('a one-route deployment given a release\'s `expected` is InvalidInput, as before releases', async () => {
  const one = { ...release.routes[0], executionId: me };
  await expect(writer.shift(one as any, 50, at(25))).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('the deployment names one route') });
  expect(updated()).toEqual([]);
});
