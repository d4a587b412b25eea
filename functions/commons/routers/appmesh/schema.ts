// What App Mesh adds to the input contract: its route reference and virtual node names with App
// Mesh's name rules, the snapshot of a route it takes, and its weighted targets (the list
// set-weight and promote receive as `expected`). Pure: zod only, no AWS SDK.
import * as z from 'zod/mini';
import type { Limits } from '../types.ts';
import { array, integer, object, oneOf, text } from '../../validate.ts';

/** App Mesh's limits: each weight 0-100, at most 10 weighted targets per route. */
export const appMeshLimits: Limits = { maxWeight: 100, maxTargets: 10 };
const { maxWeight: MAX_WEIGHT, maxTargets: MAX_TARGETS } = appMeshLimits;

/** The kinds of App Mesh route; a route has exactly one. */
export const routeKinds = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;
export type RouteKind = (typeof routeKinds)[number];

/** An App Mesh name: 1-255 of letters, digits, '.', '_' and '-', starting with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** A mesh, virtual router, route or virtual node (the stable, the canary, a weighted target) by name. */
export const appMeshName = z.string({ error: 'a name of 1-255 letters, digits, . _ or - (starting with a letter or digit)' })
  .check(z.regex(NAME_PATTERN));

export const appMeshRoute = object({
  meshName: appMeshName,
  virtualRouterName: appMeshName,
  routeName: appMeshName,
  /** Account that owns a mesh shared through AWS RAM. */
  meshOwner: z.optional(z.string({ error: 'a 12-digit AWS account ID' }).check(z.regex(/^[0-9]{12}$/))),
});
export type AppMeshRouteRef = z.infer<typeof appMeshRoute>;

/** A weighted target as App Mesh holds it: {virtualNode, weight 0-100, port?}. */
export const weightedTarget = object({
  virtualNode: appMeshName,
  weight: integer(0, MAX_WEIGHT),
  port: z.optional(integer(1, 65535)),
});

/** A route's weighted targets as App Mesh allows them: 1 to 10. */
export const weightedTargets = array(weightedTarget, 1, MAX_TARGETS);
export type AppMeshWeightedTarget = z.infer<typeof weightedTarget>;

/** The route as it was before the deployment, as the prepare step records it. */
export const appMeshSnapshot = object({
  router: oneOf(['appmesh']),
  routeKind: oneOf(routeKinds),
  /** The route's weighted targets exactly as they were before the deployment. */
  weightedTargets,
  /** The route's metadata.version when the snapshot was taken. */
  version: integer(0, Number.MAX_SAFE_INTEGER),
  takenAt: text(64),
}, 'pass the deployment object the prepare step returned');
export type AppMeshSnapshot = z.infer<typeof appMeshSnapshot>;
