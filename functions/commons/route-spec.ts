// Pure edits of an App Mesh route spec. Only `action.weightedTargets` of the route's one kind
// is ever replaced; match rules, retry policies, timeouts and priority are carried over as-is.
import { UnsupportedRoute } from './errors.ts';
import { MAX_TARGETS, MAX_WEIGHT, type WeightedTarget } from './weights.ts';

export const routeKinds = ['httpRoute', 'http2Route', 'grpcRoute', 'tcpRoute'] as const;
export type RouteKind = (typeof routeKinds)[number];

/** The part of an App Mesh RouteSpec this module reads; everything else passes through untouched. */
export type RouteSpecLike = {
  [K in RouteKind]?: { action?: { weightedTargets?: WeightedTarget[] }; [other: string]: unknown };
} & { [other: string]: unknown };

export function routeKindOf(spec: RouteSpecLike, routeLabel: string): RouteKind {
  const kinds = routeKinds.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (kinds.length !== 1) {
    throw new UnsupportedRoute(`${routeLabel}: expected exactly one of ${routeKinds.join(', ')} in the route spec, found ${kinds.length ? kinds.join(', ') : 'none'}`);
  }
  return kinds[0];
}

export function weightedTargetsOf(spec: RouteSpecLike, kind: RouteKind, routeLabel: string): WeightedTarget[] {
  const targets = spec[kind]?.action?.weightedTargets;
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new UnsupportedRoute(`${routeLabel}: ${kind}.action has no weightedTargets to shift`);
  }
  const seen = new Set<string>();
  for (const t of targets) {
    if (seen.has(t.virtualNode)) {
      throw new UnsupportedRoute(`${routeLabel}: virtual node ${t.virtualNode} appears twice in weightedTargets; mesh-canary cannot tell which one to shift`);
    }
    seen.add(t.virtualNode);
  }
  return plainTargets(targets);
}

/** Targets as plain {virtualNode, weight, port?}, as App Mesh returns and accepts them. */
export function plainTargets(targets: WeightedTarget[]): WeightedTarget[] {
  return targets.map((t) => (t.port === undefined || t.port === null
    ? { virtualNode: t.virtualNode, weight: t.weight }
    : { virtualNode: t.virtualNode, weight: t.weight, port: t.port }));
}

/** A copy of the spec with new weighted targets; refuses targets App Mesh would reject. */
export function withWeightedTargets<S extends RouteSpecLike>(spec: S, kind: RouteKind, targets: WeightedTarget[], routeLabel: string): S {
  if (targets.length === 0 || targets.length > MAX_TARGETS) {
    throw new UnsupportedRoute(`${routeLabel}: a route needs 1 to ${MAX_TARGETS} weighted targets; this change would leave ${targets.length}`);
  }
  for (const t of targets) {
    if (!Number.isInteger(t.weight) || t.weight < 0 || t.weight > MAX_WEIGHT) {
      throw new UnsupportedRoute(`${routeLabel}: weight ${t.weight} for ${t.virtualNode} is outside App Mesh's 0-${MAX_WEIGHT}`);
    }
  }
  const copy = structuredClone(spec);
  const route = copy[kind]!;
  route.action = { ...route.action, weightedTargets: targets.map((t) => ({ ...t })) };
  return copy;
}
