// Pure edits of an App Mesh route spec. Only `action.weightedTargets` of the route's one kind
// is ever replaced; match rules, retry policies, timeouts and priority are carried over as-is.
import { UnsupportedRoute } from '../../errors.ts';
import type { AppMeshTarget } from './reference.ts';
import { routeKinds, type RouteKind } from './schema.ts';

export { routeKinds, type RouteKind };

/** The part of an App Mesh RouteSpec this module reads; everything else passes through untouched. */
export type RouteSpecLike = {
  [K in RouteKind]?: { action?: { weightedTargets?: AppMeshTarget[] }; [other: string]: unknown };
} & { [other: string]: unknown };

export function routeKindOf(spec: RouteSpecLike, routeLabel: string): RouteKind {
  const kinds = routeKinds.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (kinds.length !== 1) {
    throw new UnsupportedRoute(`${routeLabel}: expected exactly one of ${routeKinds.join(', ')} in the route spec, found ${kinds.length ? kinds.join(', ') : 'none'}`);
  }
  return kinds[0];
}

/** Targets as plain {virtualNode, weight, port?}, as App Mesh returns and accepts them. */
export function plainTargets(targets: readonly AppMeshTarget[]): AppMeshTarget[] {
  return targets.map((t) => (t.port === undefined || t.port === null
    ? { virtualNode: t.virtualNode, weight: t.weight }
    : { virtualNode: t.virtualNode, weight: t.weight, port: t.port }));
}

/** A copy of the spec with new weighted targets (limits are the route writer's to check). */
export function withWeightedTargets<S extends RouteSpecLike>(spec: S, kind: RouteKind, targets: readonly AppMeshTarget[]): S {
  const copy = structuredClone(spec);
  const route = copy[kind]!;
  route.action = { ...route.action, weightedTargets: targets.map((t) => ({ ...t })) };
  return copy;
}
