// The App Mesh router, through the route writer, against a mocked App Mesh API: every route
// kind, with and without a write needed; everything but the weights comes back byte-identical.
import { AppMeshClient, DescribeRouteCommand, DescribeVirtualNodeCommand, UpdateRouteCommand } from '@aws-sdk/client-app-mesh';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { Deployment } from '../../functions/commons/input.ts';
import type { AppMeshTarget as WeightedTarget } from '../../functions/commons/routers/appmesh/index.ts';
import { RouteWriter, type RestoreResult, type ShiftResult } from '../../functions/commons/route-writer.ts';
import { awsError, deploymentFor, describeRouteOutput, richSpec, routeKinds } from '../support/fixtures.ts';

/** The writer's calls for one deployment, with the step results typed as App Mesh's. */
function appMeshRouter(client: AppMeshClient, d: Deployment) {
  const writer = new RouteWriter({ routers: { appMesh: () => client } });
  type Shift = Omit<ShiftResult, 'weightedTargets'> & { weightedTargets: WeightedTarget[] };
  return {
    snapshot: async () => await writer.prepare(d) as Deployment['snapshot'],
    setCanaryShare: async (snapshot: Deployment['snapshot'], share: number) => await writer.shift({ ...d, snapshot }, share) as Shift,
    promote: async (snapshot: Deployment['snapshot'], o: { keepStableTarget: boolean }) => await writer.promote({ ...d, snapshot, keepStableTarget: o.keepStableTarget }) as Shift,
    restore: async (snapshot: Deployment['snapshot']) => (await writer.restore({ ...d, snapshot })).result as RestoreResult & Shift,
  };
}

const appMesh = mockClient(AppMeshClient);
const client = new AppMeshClient({ region: 'us-east-1' });
const other: WeightedTarget = { virtualNode: 'product-legacy-vn', weight: 20, port: 8080 };

beforeEach(() => {
  appMesh.reset();
  appMesh.on(UpdateRouteCommand).callsFake((input) => describeRouteOutput(input.spec, 4));
  appMesh.on(DescribeVirtualNodeCommand).resolves({ virtualNode: { meshName: 'demomesh', virtualNodeName: 'product-v15-vn', spec: {}, metadata: undefined, status: { status: 'ACTIVE' } } });
});

/** What the spec must look like after a write: the original, with only the targets replaced. */
function expectedSpec(kind: (typeof routeKinds)[number], targets: WeightedTarget[]) {
  const spec = richSpec(kind, [other]) as any;
  spec[kind].action.weightedTargets = targets;
  return spec;
}

describe.each(routeKinds)('%s', (kind) => {
  const snapshotTargets = [{ virtualNode: 'product-vn', weight: 80, port: 8080 }, other];
  const deployment = deploymentFor(kind, snapshotTargets);
  const router = appMeshRouter(client, deployment);

  test.each([
    ['write needed', snapshotTargets, true],
    ['no write: already at the target weights', [{ virtualNode: 'product-vn', weight: 60, port: 8080 }, other, { virtualNode: 'product-v15-vn', weight: 20, port: 8080 }], false],
  ])('set 25%%: %s', async (_label, current, write) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec(kind, current as WeightedTarget[])));

    const result = await router.setCanaryShare(deployment.snapshot, 25);

    // 25% of the pool (80) is 20: stable 60, canary 20 (appended with the stable's port), other untouched.
    const next = [{ virtualNode: 'product-vn', weight: 60, port: 8080 }, other, { virtualNode: 'product-v15-vn', weight: 20, port: 8080 }];
    expect(result).toEqual({ changed: write, weightedTargets: next, routeVersion: write ? 4 : 3 });
    expect(appMesh.calls().map((c) => c.args[0].constructor.name)).toEqual(
      write ? ['DescribeRouteCommand', 'UpdateRouteCommand'] : ['DescribeRouteCommand']);
    if (write) {
      expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, {
        meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r', spec: expectedSpec(kind, next),
      });
    }
  });

  test.each([
    ['write needed', [{ virtualNode: 'product-vn', weight: 40, port: 8080 }, other, { virtualNode: 'product-v15-vn', weight: 40, port: 8080 }], true],
    ['no write: already promoted', [other, { virtualNode: 'product-v15-vn', weight: 80, port: 8080 }], false],
  ])('promote: %s', async (_label, current, write) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec(kind, current as WeightedTarget[])));

    const result = await router.promote(deployment.snapshot, { keepStableTarget: false });

    const next = [other, { virtualNode: 'product-v15-vn', weight: 80, port: 8080 }];
    expect(result.weightedTargets).toEqual(next);
    expect(result.changed).toBe(write);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, write ? 1 : 0);
    if (write) expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, { spec: expectedSpec(kind, next) });
  });

  test.each([
    ['write needed', [{ virtualNode: 'product-vn', weight: 40, port: 8080 }, other, { virtualNode: 'product-v15-vn', weight: 40, port: 8080 }], true],
    ['no write: already restored', snapshotTargets, false],
  ])('restore: %s', async (_label, current, write) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec(kind, current as WeightedTarget[])));

    const result = await router.restore(deployment.snapshot);

    expect(result.weightedTargets).toEqual(snapshotTargets);
    expect(result.changed).toBe(write);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, write ? 1 : 0);
    if (write) expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, { spec: expectedSpec(kind, snapshotTargets) });
  });

  test.each([
    ['a third target re-weighted during the deployment keeps its weight', [{ virtualNode: 'product-vn', weight: 40, port: 8080 }, { ...other, weight: 35 }, { virtualNode: 'product-v15-vn', weight: 40, port: 8080 }],
      [{ virtualNode: 'product-vn', weight: 80, port: 8080 }, { ...other, weight: 35 }], [{ virtualNode: other.virtualNode, snapshot: other, now: { ...other, weight: 35 } }]],
    ['a third target removed during the deployment stays removed', [{ virtualNode: 'product-vn', weight: 40, port: 8080 }, { virtualNode: 'product-v15-vn', weight: 40, port: 8080 }],
      [{ virtualNode: 'product-vn', weight: 80, port: 8080 }], [{ virtualNode: other.virtualNode, snapshot: other, now: null }]],
    ['after a promotion: the stable comes back, the added canary goes', [other, { virtualNode: 'product-v15-vn', weight: 80, port: 8080 }], snapshotTargets, []],
  ])('restore undoes only this deployment: %s', async (_label, current, next, keptChanges) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec(kind, current as WeightedTarget[])));

    const result = await router.restore(deployment.snapshot);

    expect(result).toEqual({ changed: true, weightedTargets: next, routeVersion: 4, keptChanges });
    expect(appMesh).toHaveReceivedCommandWith(UpdateRouteCommand, { spec: expectedSpec(kind, next as WeightedTarget[]) });
  });

  test('snapshot records the targets, kind and version without writing', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec(kind, snapshotTargets), 7));

    const snapshot = await router.snapshot();

    expect(snapshot).toMatchObject({ router: 'appmesh', routeKind: kind, weightedTargets: snapshotTargets, version: 7 });
    expect(appMesh).toHaveReceivedCommandWith(DescribeVirtualNodeCommand, { meshName: 'demomesh', virtualNodeName: 'product-v15-vn' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });
});

describe('a full deployment on a route with a third target', () => {
  test('every step leaves the third target and the spec alone, and rollback is exact', async () => {
    const start = [{ virtualNode: 'product-vn', weight: 90 }, { virtualNode: 'product-legacy-vn', weight: 10 }];
    let spec = richSpec('httpRoute', start);
    const original = structuredClone(spec);
    appMesh.on(DescribeRouteCommand).callsFake(() => describeRouteOutput(spec));
    appMesh.on(UpdateRouteCommand).callsFake((input) => { spec = input.spec; return describeRouteOutput(spec, 9); });
    const router = appMeshRouter(client, deploymentFor('httpRoute', start));
    const snapshot = await router.snapshot();

    const weights: number[][] = [];
    for (const share of [10, 33, 50, 100]) {
      const r = await router.setCanaryShare(snapshot, share);
      weights.push(r.weightedTargets.map((t) => t.weight));
    }
    await router.restore(snapshot);

    expect(weights).toEqual([[81, 10, 9], [60, 10, 30], [45, 10, 45], [0, 10, 90]]);
    expect(spec).toEqual(original);
  });
});

describe('refusals', () => {
  const deployment = deploymentFor('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]);
  const router = appMeshRouter(client, deployment);

  test.each([
    ['the stable is not in the route', [{ virtualNode: 'other-vn', weight: 100 }], 'TargetNotInRoute'],
    ['stable and canary carry no weight', [{ virtualNode: 'product-vn', weight: 0 }, { virtualNode: 'other-vn', weight: 100 }], 'UnsupportedRoute'],
    ['stable and canary carry more than 100', [{ virtualNode: 'product-vn', weight: 100 }, { virtualNode: 'product-v15-vn', weight: 50 }], 'UnsupportedRoute'],
    ['the canary already has traffic (a re-run after a promotion that kept the stable)', [{ virtualNode: 'product-vn', weight: 0 }, { virtualNode: 'product-v15-vn', weight: 100 }], 'UnsupportedRoute'],
    ['the canary already has part of the traffic', [{ virtualNode: 'product-vn', weight: 80 }, { virtualNode: 'product-v15-vn', weight: 20 }], 'UnsupportedRoute'],
    ['a node appears twice', [{ virtualNode: 'product-vn', weight: 50, port: 80 }, { virtualNode: 'product-vn', weight: 50, port: 81 }], 'UnsupportedRoute'],
    ['ten targets and no room for the canary', Array.from({ length: 10 }, (_, i) => ({ virtualNode: i ? `n${i}` : 'product-vn', weight: 10 })), 'UnsupportedRoute'],
  ])('snapshot refuses when %s', async (_label, targets, name) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', targets)));
    await expect(router.snapshot()).rejects.toMatchObject({ name });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('a route without weighted targets is unsupported', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput({ httpRoute: { match: { prefix: '/' }, action: { weightedTargets: [] } } } as any));
    await expect(router.snapshot()).rejects.toMatchObject({ name: 'UnsupportedRoute' });
  });

  test('a route whose kind changed since the snapshot is not touched', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('http2Route', [{ virtualNode: 'product-vn', weight: 100 }])));
    await expect(router.restore(deployment.snapshot)).rejects.toMatchObject({ name: 'UnsupportedRoute' });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('a restore that would need an 11th target (targets added during a deployment that removed the stable) is refused, nothing written', async () => {
    const d = deploymentFor('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }, { virtualNode: 'product-v15-vn', weight: 0 }]);
    const current = [{ virtualNode: 'product-v15-vn', weight: 10 }, ...Array.from({ length: 9 }, (_, i) => ({ virtualNode: `n${i}`, weight: 10 }))];
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', current)));
    await expect(appMeshRouter(client, d).restore(d.snapshot)).rejects.toMatchObject({ name: 'UnsupportedRoute', message: expect.stringContaining('11 weighted targets') });
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test('a canary virtual node that does not exist', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
    appMesh.on(DescribeVirtualNodeCommand).rejects(awsError('NotFoundException', 404));
    await expect(router.snapshot()).rejects.toMatchObject({ name: 'VirtualNodeNotFound' });
  });
});

describe('AWS errors become named errors', () => {
  const router = appMeshRouter(client, deploymentFor('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]));
  const snapshot = deploymentFor('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]).snapshot;

  test.each([
    ['NotFoundException', 404, 'RouteNotFound'],
    ['TooManyRequestsException', 429, 'TransientAwsError'],
    ['ServiceUnavailableException', 503, 'TransientAwsError'],
    ['InternalServerErrorException', 500, 'TransientAwsError'],
    ['ForbiddenException', 403, 'AwsRequestRejected'],
    ['BadRequestException', 400, 'AwsRequestRejected'],
  ])('DescribeRoute %s (HTTP %i) → %s', async (awsName, status, ours) => {
    appMesh.on(DescribeRouteCommand).rejects(awsError(awsName, status));
    const err = await router.setCanaryShare(snapshot, 10).catch((e) => e);
    expect(err.name).toBe(ours);
    expect(err.message).toContain(awsName);
    expect(appMesh).toHaveReceivedCommandTimes(UpdateRouteCommand, 0);
  });

  test.each([
    ['TooManyRequestsException', 429, 'TransientAwsError'],
    ['BadRequestException', 400, 'AwsRequestRejected'],
    ['NotFoundException', 404, 'VirtualNodeNotFound'],
    ['ConflictException', 409, 'AwsRequestRejected'],
  ])('UpdateRoute %s (HTTP %i) → %s', async (awsName, status, ours) => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
    appMesh.on(UpdateRouteCommand).rejects(awsError(awsName, status));
    await expect(router.setCanaryShare(snapshot, 10)).rejects.toMatchObject({ name: ours });
  });

  test('the same write carries the same client token, so a retried UpdateRoute applies once', async () => {
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
    await router.setCanaryShare(snapshot, 10);
    await router.setCanaryShare(snapshot, 10);
    await router.setCanaryShare(snapshot, 20);
    const tokens = appMesh.commandCalls(UpdateRouteCommand).map((c) => c.args[0].input.clientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[0]).toMatch(/^[0-9a-f]{36}$/);
  });
});
