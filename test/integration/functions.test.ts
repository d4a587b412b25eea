// The built bundles against a real local App Mesh API (moto): every route kind shifted,
// promoted and rolled back, with the spec byte-identical apart from the weights.
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand, DescribeRouteCommand,
  UpdateRouteCommand, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import { randomUUID } from 'node:crypto';
import { richSpec, routeKinds } from '../support/fixtures.ts';
import { call, invoke } from '../support/invoke.ts';

const appMesh = new AppMeshClient({});
const meshName = `it-${randomUUID().slice(0, 8)}`;
const third = { virtualNode: 'legacy-vn', weight: 10, port: 8080 };

beforeAll(async () => {
  await appMesh.send(new CreateMeshCommand({ meshName }));
  for (const virtualNodeName of ['stable-vn', 'canary-vn', 'legacy-vn']) {
    await appMesh.send(new CreateVirtualNodeCommand({ meshName, virtualNodeName, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] } }));
  }
});

async function createRoute(kind: (typeof routeKinds)[number], purpose: string) {
  const virtualRouterName = `${kind.toLowerCase()}-${purpose}-vr`;
  const spec = richSpec(kind, [{ virtualNode: 'stable-vn', weight: 90, port: 8080 }, third]);
  await appMesh.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName, spec: { listeners: [{ portMapping: { port: 8080, protocol: kind === 'tcpRoute' ? 'tcp' : 'http' } }] } }));
  await appMesh.send(new CreateRouteCommand({ meshName, virtualRouterName, routeName: 'r', spec }));
  return { route: { meshName, virtualRouterName, routeName: 'r' }, spec };
}

const describe_ = async (route: { meshName: string; virtualRouterName: string; routeName: string }) =>
  (await appMesh.send(new DescribeRouteCommand(route))).route!;

describe.each(routeKinds)('%s', (kind) => {
  test('linear shift to 100%, then rollback leaves the route exactly as it was', async () => {
    const { route, spec } = await createRoute(kind, 'shift');
    const deployment = await call('PrepareFunction', { input: { route, stableNode: 'stable-vn', canaryNode: 'canary-vn' } });

    const seen: number[][] = [];
    for (const weight of [10, 40, 70, 100]) {
      await call('SetWeightFunction', { deployment, weight });
      const now = await describe_(route);
      const targets = (now.spec as any)[kind].action.weightedTargets;
      seen.push(targets.map((t: any) => t.weight));
      // Everything but the weights is what we created.
      const expected = structuredClone(spec) as any;
      expected[kind].action.weightedTargets = targets;
      expect(now.spec).toEqual(expected);
    }
    expect(seen).toEqual([[81, 10, 9], [54, 10, 36], [27, 10, 63], [0, 10, 90]]);

    const first = await call('RollbackFunction', { deployment, reason: 'test' });
    const second = await call('RollbackFunction', { deployment, reason: 'retry' });
    expect(first.changed).toBe(true);
    expect(second).toMatchObject({ changed: false, routeVersion: first.routeVersion });
    expect((await describe_(route)).spec).toEqual(spec);
  });

  test('promote removes the stable and is idempotent', async () => {
    const { route } = await createRoute(kind, 'promote');
    const deployment = await call('PrepareFunction', { input: { route, stableNode: 'stable-vn', canaryNode: 'canary-vn' } });
    await call('SetWeightFunction', { deployment, weight: 50 });
    const first = await call('PromoteFunction', { deployment });
    const second = await call('PromoteFunction', { deployment });
    expect(first).toMatchObject({ changed: true, weightedTargets: [third, { virtualNode: 'canary-vn', weight: 90, port: 8080 }] });
    expect(second).toMatchObject({ changed: false, routeVersion: first.routeVersion });
  });
});

describe('failures are named and change nothing', () => {
  let route: { meshName: string; virtualRouterName: string; routeName: string };
  let spec: RouteSpec;
  beforeAll(async () => {
    const virtualRouterName = 'failures-vr';
    spec = { httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [{ virtualNode: 'stable-vn', weight: 100 }] } } };
    await appMesh.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] } }));
    await appMesh.send(new CreateRouteCommand({ meshName, virtualRouterName, routeName: 'r', spec }));
    route = { meshName, virtualRouterName, routeName: 'r' };
  });

  test.each([
    ['a route that does not exist', () => ({ input: { route: { ...route, routeName: 'nope' }, stableNode: 'stable-vn', canaryNode: 'canary-vn' } }), 'RouteNotFound'],
    ['a mesh that does not exist', () => ({ input: { route: { ...route, meshName: 'no-such-mesh' }, stableNode: 'stable-vn', canaryNode: 'canary-vn' } }), 'RouteNotFound'],
    ['a canary node that does not exist', () => ({ input: { route, stableNode: 'stable-vn', canaryNode: 'ghost-vn' } }), 'VirtualNodeNotFound'],
    ['a stable node that is not in the route', () => ({ input: { route, stableNode: 'legacy-vn', canaryNode: 'canary-vn' } }), 'TargetNotInRoute'],
    ['a weight in the input', () => ({ input: { route, stableNode: 'stable-vn', canaryNode: 'canary-vn', weight: 10 } }), 'InvalidInput'],
  ])('prepare with %s', async (_label, make, name) => {
    const before = await describe_(route);
    const out = await invoke('PrepareFunction', make());
    expect(out.error?.errorType).toBe(name);
    expect((await describe_(route)).metadata!.version).toBe(before.metadata!.version);
  });

  test.each([[101], [-1], [2.5], ['50'], [null]])('set-weight %p is InvalidInput and no write', async (weight) => {
    const deployment = await call('PrepareFunction', { input: { route, stableNode: 'stable-vn', canaryNode: 'canary-vn' } });
    const before = await describe_(route);
    const out = await invoke('SetWeightFunction', { deployment, weight });
    expect(out.error?.errorType).toBe('InvalidInput');
    expect(out.error?.errorMessage).toMatch(/event.weight/);
    expect((await describe_(route)).metadata!.version).toBe(before.metadata!.version);
  });

  test('rollback restores the snapshot after someone else also changed the route', async () => {
    const deployment = await call('PrepareFunction', { input: { route, stableNode: 'stable-vn', canaryNode: 'canary-vn' } });
    await call('SetWeightFunction', { deployment, weight: 20 });
    const mid = await describe_(route);
    const hand = structuredClone(mid.spec!) as any;
    hand.httpRoute.action.weightedTargets = [{ virtualNode: 'canary-vn', weight: 100 }];
    await appMesh.send(new UpdateRouteCommand({ ...route, spec: hand }));
    await call('RollbackFunction', { deployment });
    expect((await describe_(route)).spec).toEqual(spec);
  });
});
