// How a deployment names an App Mesh route and its targets, and how its snapshot and step
// results carry them (the "wire" format: the deployment object, events/ and step outputs).
// Types and labels only: no AWS SDK here, so the CLI and pure code can use them.
import type { Target } from '../../weights.ts';

/** The kinds of App Mesh route; a route has exactly one. */
export const routeKinds = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;
export type RouteKind = (typeof routeKinds)[number];

/** An App Mesh route as a deployment input names it. */
export interface AppMeshRouteRef {
  meshName: string;
  virtualRouterName: string;
  routeName: string;
  /** Account that owns a mesh shared through AWS RAM. */
  meshOwner?: string;
}

/** A weighted target as App Mesh holds it (and as step results carry it). */
export interface AppMeshTarget {
  virtualNode: string;
  weight: number;
  port?: number;
}

/** The route before the deployment, as the deployment object carries it. */
export interface AppMeshSnapshot {
  router: 'appmesh';
  routeKind: RouteKind;
  /** The route's weighted targets exactly as they were before the deployment. */
  weightedTargets: AppMeshTarget[];
  /** The route's metadata.version when the snapshot was taken. */
  version: number;
  takenAt: string;
}

/** A neutral target with App Mesh's port carried along. */
export interface MeshTarget extends Target {
  port?: number;
}

export const isAppMeshRoute = (route: unknown): route is AppMeshRouteRef =>
  !!route && typeof route === 'object' && ['meshName', 'virtualRouterName', 'routeName'].every((k) => typeof (route as Record<string, unknown>)[k] === 'string');

export const appMeshLabel = (r: AppMeshRouteRef): string => `${r.meshName}/${r.virtualRouterName}/${r.routeName}`;

/** The route's canonical identity: the owner's account always written out, so one route has one lock. */
export const appMeshIdentity = (r: AppMeshRouteRef, owner: string): string => `${owner}:${appMeshLabel(r)}`;
