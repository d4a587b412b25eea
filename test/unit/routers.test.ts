// The router factory and a route's canonical identity (its lock key), against a mocked App Mesh.
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { accountOf } from '../../functions/commons/route-writer.ts';
import { routeOf, routerFor, routerTypeOf } from '../../functions/commons/routers/index.ts';
import { describeRouteOutput, richSpec } from '../support/fixtures.ts';

const appMesh = mockClient(AppMeshClient);
const clients = { appMesh: () => new AppMeshClient({ region: 'us-east-1' }) };
const route = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const naming = { route, stableNode: 'product-vn', canaryNode: 'product-v15-vn' };

beforeEach(() => {
  appMesh.reset();
  appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }])));
});

test('the factory picks the backend from the way the route is written, and refuses one no backend knows', () => {
  expect(routerTypeOf(route)).toBe('appmesh');
  expect(routeOf(naming)).toEqual({ router: 'appmesh', route, stable: 'product-vn', canary: 'product-v15-vn' });
  const r = routerFor(naming, clients);
  expect([r.type, r.label, r.stable, r.canary, r.limits]).toEqual(['appmesh', 'demomesh/product-vr/product-r', 'product-vn', 'product-v15-vn', { maxWeight: 100, maxTargets: 10 }]);
  for (const bad of [undefined, {}, { meshName: 'm', virtualRouterName: 'r' }, { listener: 'listener-1' }]) {
    expect(routerTypeOf(bad)).toBeUndefined();
    expect(() => routerFor({ ...naming, route: bad }, clients)).toThrow(expect.objectContaining({ name: 'InvalidInput', message: expect.stringContaining('route') }));
  }
});

test('an App Mesh route has one identity however meshOwner is written; the route is read only when nothing else settles the owner', async () => {
  const plain = routerFor(naming, clients);
  const owned = routerFor({ ...naming, route: { ...route, meshOwner: '123456789012' } }, clients);
  expect(await plain.identity('123456789012')).toBe('123456789012:demomesh/product-vr/product-r');
  expect(await owned.identity()).toBe('123456789012:demomesh/product-vr/product-r');
  expect(appMesh).toHaveReceivedCommandTimes(DescribeRouteCommand, 0);
  // Neither the reference nor the execution says whose mesh it is: the route says (metadata.meshOwner).
  expect(await plain.identity()).toBe('123456789012:demomesh/product-vr/product-r');
  expect(appMesh).toHaveReceivedCommandTimes(DescribeRouteCommand, 1);
  // A mesh shared by another account is another route.
  expect(await routerFor({ ...naming, route: { ...route, meshOwner: '210987654321' } }, clients).identity('123456789012')).toBe('210987654321:demomesh/product-vr/product-r');
});

test.each([
  ['arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x', '123456789012'],
  ['arn:aws-cn:states:cn-north-1:210987654321:execution:M:x', '210987654321'],
  ['exec-1', undefined],
  [undefined, undefined],
  ['arn:aws:states:us-east-1:123456789012:stateMachine:M', undefined],
])('the account of execution %s is %s', (id, account) => {
  expect(accountOf(id)).toBe(account);
});
