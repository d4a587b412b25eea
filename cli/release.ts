// The stable and the canary of a deployment (or an input) as its route's backend names them:
// App Mesh's virtual nodes, VPC Lattice's target groups (by ID, however the input wrote them).
// Read through the routers' seam (routeOf, the backend's codec), so no command names a backend's fields.
import { backendOf, routeLabelOf, routeOf, type Backend } from '../functions/commons/routers/index.ts';
import type { Target } from '../functions/commons/weights.ts';

export interface Release {
  stable?: string;
  canary?: string;
  /** The route's backend (its label, words and codec), when a backend recognises the route. */
  backend?: Backend;
  /** The fields that name the stable and canary, as the deployment wrote them (App Mesh: stableNode, canaryNode): for --output json. */
  wire: Record<string, string>;
}

const MISSING = '\u0000missing';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A target's id as the backend's codec reads it (a Lattice ARN gives its tg- ID). */
function idOf(backend: Backend, value: string): string {
  const [target] = backend.codec.targetsIn([{ [backend.codec.idField]: value, weight: 0 }]);
  return target?.id ?? value;
}

/** The stable and canary of a deployment or input; each undefined when the route is unknown or the field is missing. */
export function releaseOf(d: unknown): Release {
  if (!isObject(d)) return { wire: {} };
  const backend = backendOf(d.route);
  if (!backend) return { wire: {} };
  // routeOf reads the backend's own fields; one that is missing (or not a string) reads as MISSING, not "undefined".
  const read: string[] = [];
  const probe = new Proxy(d, {
    get: (t, k) => {
      if (k === 'route' || typeof k !== 'string') return t[k as string];
      read.push(k);
      return typeof t[k] === 'string' ? t[k] : MISSING;
    },
  });
  const { stable, canary } = routeOf(probe as unknown as Parameters<typeof routeOf>[0]);
  const wire = Object.fromEntries(read.filter((k) => typeof d[k] === 'string').map((k) => [k, d[k] as string]));
  return {
    backend,
    wire,
    ...(stable === MISSING ? {} : { stable: idOf(backend, stable) }),
    ...(canary === MISSING ? {} : { canary: idOf(backend, canary) }),
  };
}

// ---- Several routes in one deployment (issue 11). A deployment or input with `routes` names
// each route in an entry of its own (route, stable, canary; the deployment's entries also carry
// the route's snapshot); the weighted targets of its step results are ReleaseTargets: one
// { route: <label>, weightedTargets: [<the backend's wire targets>] } per route, in input order.

/** Whether a deployment or an input names several routes (`routes`) rather than one (`route`). */
export const isMultiRoute = (d: unknown): d is { routes: unknown[] } & Record<string, unknown> => isObject(d) && Array.isArray(d.routes);

/** One route of a deployment or input as the CLI shows it: its label, stable and canary, backend, and the entry itself. */
export interface RouteRelease extends Release {
  /** The route's label ("demomesh/product-vr/product-r", "svc-…/listener-…/rule-…"), or "?" when no backend recognises it. */
  label: string;
  /** The route reference as the input wrote it. */
  route: unknown;
  /** The route's entry (a multi-route input's `routes[i]`), or the one-route deployment itself. */
  entry: Record<string, unknown>;
}

/** The route entries of a deployment or input: its `routes` for several, itself for one (none when it is not an object). */
export function routeEntriesOf(d: unknown): Record<string, unknown>[] {
  if (isMultiRoute(d)) return d.routes.map((e) => (isObject(e) ? e : {}));
  return isObject(d) ? [d] : [];
}

/** Every route of a deployment or input, in input order. */
export function releasesOf(d: unknown): RouteRelease[] {
  return routeEntriesOf(d).map((entry) => ({ ...releaseOf(entry), label: routeLabelOf(entry.route) ?? '?', route: entry.route, entry }));
}

/** A route's weighted targets, neutral, under its label. */
export interface RouteTargets {
  label: string;
  targets: Target[];
}

/**
 * ReleaseTargets (the wire format of a multi-route step result's weightedTargets) read with
 * each route's backend: matched by label, else by position. Undefined when it is not a list.
 * An entry whose targets cannot be read is left out.
 */
export function releaseTargetsIn(wire: unknown, routes: readonly RouteRelease[]): RouteTargets[] | undefined {
  if (!Array.isArray(wire)) return undefined;
  const out: RouteTargets[] = [];
  wire.forEach((item, i) => {
    if (!isObject(item) || !Array.isArray(item.weightedTargets)) return;
    const label = typeof item.route === 'string' ? item.route : routes[i]?.label;
    const r = routes.find((x) => x.label === label) ?? routes[i];
    if (!r?.backend || label === undefined) return;
    try {
      out.push({ label, targets: r.backend.codec.targetsIn(item.weightedTargets) });
    } catch {
      // a target the backend cannot read: left out rather than breaking the view
    }
  });
  return out;
}

/** Targets per route back to ReleaseTargets (the wire format step results use), for --output json. */
export function releaseTargetsOut(routes: readonly RouteTargets[], releases: readonly RouteRelease[]): { route: string; weightedTargets: unknown[] }[] {
  return routes.map((r) => {
    const backend = releases.find((x) => x.label === r.label)?.backend;
    return { route: r.label, weightedTargets: backend ? backend.codec.targetsOut(r.targets) : r.targets };
  });
}
