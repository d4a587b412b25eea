// Settle time: how long a backend takes to apply a weight change to traffic. A verdict taken
// sooner judges the old split, so after each shift the first verdict waits at least this long
// (the gate folds it into the wait it already computes: no extra state, no extra invocation).
// The default comes from the route's backend; a deployment's `settleSeconds` overrides it.
// Pure apart from reading the route's shape: each backend's default may later move into its
// folder (routers/<backend>), and settleSecondsFor stays the one place that reads it.
import { routerTypeOf, type RouterType } from './routers/index.ts';

/**
 * Seconds a backend takes to apply a weight change, by router type. App Mesh: 0, today's
 * behaviour (Envoy picks up a route change within seconds, well inside any verdict window).
 * VPC Lattice: 90 (ECS documents waiting about 90 s after each Lattice weight change before
 * judging it). `lattice` is keyed ahead of its router so the backend that adds it finds its default.
 */
export const settleDefaults: Readonly<Record<RouterType | 'lattice', number>> = { appmesh: 0, lattice: 90 };

/** Why a backend needs its settle time, for `watch` and the report; none when it needs none. */
const settleNotes: Readonly<Partial<Record<RouterType | 'lattice', string>>> = {
  lattice: 'VPC Lattice applies weight changes in about 90 s',
};

/** The default settle time of a backend (0 when the backend is unknown: today's behaviour). */
export function settleSecondsFor(type: RouterType | 'lattice' | undefined): number {
  return type === undefined ? 0 : settleDefaults[type] ?? 0;
}

/** The backends of a deployment's routes (several for a release), the slowest to settle first. */
function backendsOf(d: { route?: unknown; routes?: unknown }): (RouterType | undefined)[] {
  const types = Array.isArray(d.routes) ? d.routes.map((r) => routerTypeOf((r as { route?: unknown })?.route)) : [routerTypeOf(d.route)];
  return types.sort((a, b) => settleSecondsFor(b) - settleSecondsFor(a));
}

/** A deployment's settle time: its own settleSeconds, else its backend's default (a release: the slowest of its routes' backends). */
export function settleSecondsOf(d: { route?: unknown; routes?: unknown; settleSeconds?: number }): number {
  return d.settleSeconds ?? settleSecondsFor(backendsOf(d)[0]);
}

/** Why this deployment settles for `seconds`: the backend's reason, or the input's own choice. */
export function settleNote(d: { route?: unknown; routes?: unknown; settleSeconds?: number }): string {
  const type = backendsOf(d)[0];
  const backendDefault = settleSecondsFor(type);
  if (d.settleSeconds !== undefined && d.settleSeconds !== backendDefault) return `settleSeconds: ${d.settleSeconds}`;
  return (type && settleNotes[type]) ?? `settleSeconds: ${settleSecondsOf(d)}`;
}
