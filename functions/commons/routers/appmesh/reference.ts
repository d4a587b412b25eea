// How a deployment names an App Mesh route and its targets, and how its snapshot and step
// results carry them (the "wire" format: the deployment object, events/ and step outputs).
// Labels and identity only: no AWS SDK here, so the CLI and pure code can use them. The shapes
// themselves (route, target, snapshot) are the input contract's, in schema.ts.
import type { Target } from '../../weights.ts';
import type { AppMeshRouteRef, AppMeshSnapshot, AppMeshWeightedTarget as AppMeshTarget, RouteKind } from './schema.ts';

export type { AppMeshRouteRef, AppMeshSnapshot, AppMeshTarget, RouteKind };

/** A neutral target with App Mesh's port carried along. */
export interface MeshTarget extends Target {
  port?: number;
}

export const isAppMeshRoute = (route: unknown): route is AppMeshRouteRef =>
  !!route && typeof route === 'object' && ['meshName', 'virtualRouterName', 'routeName'].every((k) => typeof (route as Record<string, unknown>)[k] === 'string');

export const appMeshLabel = (r: AppMeshRouteRef): string => `${r.meshName}/${r.virtualRouterName}/${r.routeName}`;

/** The route's canonical identity: the owner's account always written out, so one route has one lock. */
export const appMeshIdentity = (r: AppMeshRouteRef, owner: string): string => `${owner}:${appMeshLabel(r)}`;
