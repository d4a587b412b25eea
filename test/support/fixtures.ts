// Shared test fixtures: App Mesh routes of every kind, a typed Lambda context, the events/ files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import type { DescribeRouteCommandOutput, RouteSpec } from '@aws-sdk/client-app-mesh';
import type { AppMeshTarget as WeightedTarget } from '../../functions/commons/routers/appmesh/index.ts';
import type { Deployment } from '../../functions/commons/input.ts';
import { appMeshIdentity } from '../../functions/commons/routers/appmesh/reference.ts';

export const root = join(__dirname, '..', '..');

export function event<T = any>(file: string): T {
  return JSON.parse(readFileSync(join(root, 'events', file), 'utf8')) as T;
}

export const routeKinds = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;
export type Kind = (typeof routeKinds)[number];

/** A route spec of the given kind with everything App Mesh lets a route carry besides its targets. */
export function richSpec(kind: Kind, targets: WeightedTarget[]): RouteSpec {
  const action = { weightedTargets: targets.map((t) => ({ ...t })) };
  const timeoutHttp = { idle: { unit: 's', value: 30 }, perRequest: { unit: 'ms', value: 1500 } };
  switch (kind) {
    case 'httpRoute':
    case 'http2Route':
      return {
        priority: 10,
        [kind]: {
          action,
          match: {
            prefix: '/products',
            method: 'GET',
            scheme: kind === 'httpRoute' ? 'http' : 'https',
            port: 8080,
            headers: [
              { name: 'x-canary', invert: false, match: { exact: 'true' } },
              { name: 'x-build', invert: true, match: { range: { start: 1, end: 5 } } },
            ],
            queryParameters: [{ name: 'version', match: { exact: 'v2' } }],
          },
          retryPolicy: { maxRetries: 3, perRetryTimeout: { unit: 'ms', value: 500 }, httpRetryEvents: ['server-error', 'gateway-error'], tcpRetryEvents: ['connection-error'] },
          timeout: timeoutHttp,
        },
      } as RouteSpec;
    case 'grpcRoute':
      return {
        priority: 5,
        grpcRoute: {
          action,
          match: { serviceName: 'products.Catalog', methodName: 'List', metadata: [{ name: 'tenant', invert: false, match: { prefix: 'eu-' } }] },
          retryPolicy: { maxRetries: 2, perRetryTimeout: { unit: 's', value: 1 }, grpcRetryEvents: ['unavailable', 'deadline-exceeded'] },
          timeout: timeoutHttp,
        },
      } as RouteSpec;
    case 'tcpRoute':
      return { tcpRoute: { action, match: { port: 9000 }, timeout: { idle: { unit: 's', value: 600 } } } } as RouteSpec;
  }
}

export function describeRouteOutput(spec: RouteSpec, version = 3, names = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' }): DescribeRouteCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    route: {
      ...names,
      spec,
      metadata: {
        arn: `arn:aws:appmesh:us-east-1:123456789012:mesh/${names.meshName}/virtualRouter/${names.virtualRouterName}/route/${names.routeName}`,
        version, uid: 'uid-1', createdAt: new Date(0), lastUpdatedAt: new Date(0), meshOwner: '123456789012', resourceOwner: '123456789012',
      },
      status: { status: 'ACTIVE' },
    },
  };
}

/** A prepared deployment (as the prepare step returns it) for the given snapshot targets. */
export function deploymentFor(kind: Kind, snapshotTargets: WeightedTarget[], extra: Partial<Deployment> = {}): Deployment {
  return {
    route: { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' },
    stableNode: 'product-vn',
    canaryNode: 'product-v15-vn',
    snapshot: { router: 'appmesh', routeKind: kind, weightedTargets: snapshotTargets, version: 3, takenAt: '2026-11-27T09:00:00.000Z' },
    ...extra,
  };
}

/** An AWS SDK service error as the SDK raises it (name, $fault, $metadata). */
export function awsError(name: string, status: number, message = `${name} from the test`): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export const context: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'mesh-canary-SetWeightFunction',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:mesh-canary-SetWeightFunction',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/mesh-canary-SetWeightFunction',
  logStreamName: '2026/11/27/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** The local AWS's (moto's) account: where the stack, its executions and the demo meshes live. */
export const LOCAL_ACCOUNT = '123456789012';

/** The key of a route's lock item on the local AWS: the route's canonical identity, the mesh owner always written out. */
export const lockKeyOf = (route: { meshName: string; virtualRouterName: string; routeName: string; meshOwner?: string }): string =>
  appMeshIdentity(route, route.meshOwner ?? LOCAL_ACCOUNT);
