// A release: several routes in one deployment (issue 11). The routes move together: every step
// gives each the same canary share, one verdict covers them all, and a failure anywhere puts
// every route back to its own snapshot. This module only reads a deployment's shape; the writing
// is the route writer's (route-writer.ts), the locks lock.ts's.
// Pure: no AWS SDK.
import type { HealthChecks } from './input.ts';
import { routeLabelOf } from './routers/index.ts';

/** A deployment (or an input) that names several routes. */
export interface ReleaseShape {
  routes: Record<string, unknown>[];
  healthChecks?: HealthChecks;
  executionId?: string;
  keepStableTarget?: boolean;
}

/** Whether a deployment or input names its routes in `routes` (a release) rather than one `route`. */
export const isRelease = (d: unknown): d is ReleaseShape =>
  typeof d === 'object' && d !== null && Array.isArray((d as { routes?: unknown }).routes);

/**
 * Each route of a deployment as a one-route deployment: a release's entries with the release's
 * executionId and keepStableTarget, or the deployment itself when it names one route.
 */
export function routeParts<D extends object>(d: D): D[] {
  if (!isRelease(d)) return [d];
  const { executionId, keepStableTarget } = d;
  return d.routes.map((entry) => ({
    ...entry, ...(executionId !== undefined ? { executionId } : {}), ...(keepStableTarget !== undefined ? { keepStableTarget } : {}),
  }) as unknown as D);
}

/** The routes' labels, as people name them ("demomesh/product-vr/product-r", "svc-…/listener-…/rule-…"). */
export function routeLabels(d: unknown): string[] {
  return routeParts(d as object).map((p) => routeLabelOf((p as { route?: unknown }).route) ?? '?');
}

/** One line naming a deployment's route or routes: the label, or "3 routes: a, b, c". */
export function routesText(d: unknown): string {
  const labels = routeLabels(d);
  return labels.length === 1 ? labels[0] : `${labels.length} routes: ${labels.join(', ')}`;
}

/** Every set of health checks of a deployment: a release's own and each route's (check-health evaluates them as one). */
export function checksOf(d: { healthChecks?: HealthChecks; routes?: unknown }): (HealthChecks | undefined)[] {
  return isRelease(d) ? [d.healthChecks, ...d.routes.map((r) => r.healthChecks as HealthChecks | undefined)] : [d.healthChecks];
}
