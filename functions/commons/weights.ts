// Pure weight arithmetic on a route's weighted targets, the same for every traffic backend:
// a target is an id (a virtual node, a target group) and an absolute weight. A backend may
// carry more fields on a target (App Mesh's port); the arithmetic keeps them as they are.
// No AWS SDK here, and no backend's limits: each router states its own (routers/types.ts).

export interface Target {
  /** The target's id in its backend: an App Mesh virtual node name, a VPC Lattice target group. */
  id: string;
  /** Its absolute weight, in the backend's range. */
  weight: number;
}

function find<T extends Target>(targets: readonly T[], id: string): T | undefined {
  return targets.find((t) => t.id === id);
}

/**
 * The weight stable and canary hold together: the "pool" a deployment shares between them.
 * Taken from the snapshot, so every step divides the same pool.
 */
export function poolOf(targets: readonly Target[], stable: string, canary: string): number {
  return (find(targets, stable)?.weight ?? 0) + (find(targets, canary)?.weight ?? 0);
}

/** canary = round(pool × share / 100); stable gets the rest. */
export function splitPool(pool: number, share: number): { stable: number; canary: number } {
  const canary = Math.round((pool * share) / 100);
  return { stable: pool - canary, canary };
}

/**
 * For a backend whose weights are relative (VPC Lattice: only each weight's part of the sum
 * counts), the factor a shift multiplies every weight of the route (as the snapshot had it) by,
 * so that `share` percent of the pool is a whole weight: the smallest such factor that keeps
 * every weight within `maxWeight`, or, when none does, the one that comes closest to the share
 * (the smallest of equals). Multiplying every weight by one factor keeps every target's share of
 * the traffic exactly. 100% needs no factor, so a promotion writes the snapshot's scale back.
 */
export function scaleFor(snapshot: readonly Target[], stable: string, canary: string, share: number, maxWeight: number): number {
  const pool = poolOf(snapshot, stable, canary);
  if (pool === 0) return 1;
  const largest = Math.max(pool, ...snapshot.map((t) => t.weight));
  const most = Math.max(1, Math.floor(maxWeight / largest));
  let best = 1;
  let bestError = Infinity;
  for (let k = 1; k <= most; k++) {
    if ((k * pool * share) % 100 === 0) return k;
    const exact = (k * pool * share) / 100;
    const error = Math.abs(Math.round(exact) - exact) / (k * pool);
    if (error < bestError) [best, bestError] = [k, error];
  }
  return best;
}

/**
 * The factor the route's weights are at now: what stable and canary hold over the pool they held
 * in the snapshot (every shift keeps that pool times its factor). 1 when that is not a whole
 * number, as after someone else changed them (which the drift check refuses).
 */
export function scaleNow(current: readonly Target[], snapshot: readonly Target[], stable: string, canary: string): number {
  const pool = poolOf(snapshot, stable, canary);
  const held = poolOf(current, stable, canary);
  return pool > 0 && held > 0 && held % pool === 0 ? held / pool : 1;
}

/**
 * The route's targets moved from one factor to another (see `scaleFor`), before stable and
 * canary are set: every other target at its snapshot weight times `from` (this deployment's
 * doing) goes to its snapshot weight times `to`; a target someone re-weighted or added is theirs
 * and keeps its weight. With equal factors (always 1 on a backend with absolute weights) nothing changes.
 */
export function rescaled<T extends Target>(current: readonly T[], snapshot: readonly T[], stable: string, canary: string, from: number, to: number): T[] {
  if (from === to) return [...current];
  return current.map((t) => {
    if (t.id === stable || t.id === canary) return t;
    const s = find(snapshot, t.id);
    return s && sameTarget(t, { ...s, weight: s.weight * from }) ? { ...t, weight: s.weight * to } : t;
  });
}

/** How a backend makes a target it adds (App Mesh gives the canary the stable's port). */
export type NewTarget<T extends Target> = (id: string, weight: number, stable: T | undefined) => T;

const plainTarget = <T extends Target>(id: string, weight: number) => ({ id, weight }) as T;

/**
 * Targets with the canary at `share` percent of the pool. Other targets keep their weights and
 * their order; a canary that is not in the route yet is appended (made by `newTarget`).
 */
export function withCanaryShare<T extends Target>(
  current: readonly T[],
  p: { stable: string; canary: string; pool: number; share: number; newTarget?: NewTarget<T> },
): T[] {
  const { stable, canary } = splitPool(p.pool, p.share);
  const next = current.map((t) => {
    if (t.id === p.stable) return { ...t, weight: stable };
    if (t.id === p.canary) return { ...t, weight: canary };
    return t;
  });
  if (!find(current, p.canary) && canary > 0) next.push((p.newTarget ?? plainTarget)(p.canary, canary, find(current, p.stable)));
  return next;
}

/** Targets after promotion: the canary holds the whole pool; the stable is removed unless kept (at 0). */
export function promoted<T extends Target>(
  current: readonly T[],
  p: { stable: string; canary: string; pool: number; keepStableTarget: boolean; newTarget?: NewTarget<T> },
): T[] {
  const next = withCanaryShare(current, { ...p, share: 100 });
  return p.keepStableTarget ? next : next.filter((t) => t.id !== p.stable);
}

/** Same id, weight and every other field a backend carries (absent and null count as the same). */
export function sameTarget(a: Target, b: Target): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => ((a as unknown as Record<string, unknown>)[k] ?? null) === ((b as unknown as Record<string, unknown>)[k] ?? null));
}

/** Same targets, same order, same weights and fields. */
export function sameTargets(a: readonly Target[], b: readonly Target[]): boolean {
  return a.length === b.length && a.every((t, i) => sameTarget(t, b[i]));
}

const weightOf = (targets: readonly Target[], id: string): number | undefined => find(targets, id)?.weight;

/**
 * True when the route's stable or canary weight is neither what this deployment last wrote
 * (`expected`) nor what it is about to write (`next`: a retry whose first attempt landed).
 * Other targets are not this deployment's business and never count as drift.
 */
export function drifted(current: readonly Target[], expected: readonly Target[], next: readonly Target[], stable: string, canary: string): boolean {
  const same = (a: readonly Target[], b: readonly Target[]) =>
    weightOf(a, stable) === weightOf(b, stable) && weightOf(a, canary) === weightOf(b, canary);
  return !same(current, expected) && !same(current, next);
}

/** A target other than stable and canary that is not on the route as the snapshot had it. */
export interface KeptChange<T extends Target = Target> {
  id: string;
  /** As the snapshot had it, or null: someone added it during the deployment. */
  snapshot: T | null;
  /** As the route has it now, or null: someone removed it during the deployment. */
  now: T | null;
}

/**
 * The targets that undo this deployment and nothing else. Stable and canary go back to their
 * snapshot weights and fields: a canary the deployment added is removed, a stable a promotion
 * removed comes back. Every other target stays as it is now (someone may have re-weighted,
 * added or removed one during the deployment; that is theirs, not ours to revert), and
 * `keptChanges` lists those that differ from the snapshot. With a `scale` (the route's factor
 * now, see `scaleNow`), a target at its snapshot weight times the scale was rescaled by this
 * deployment and goes back to its snapshot weight; one at any other weight is someone's. Targets of the snapshot keep the
 * snapshot's order, targets added since follow in their order now: when nobody else touched
 * the route, the result is exactly the snapshot.
 */
export function undone<T extends Target>(current: readonly T[], snapshot: readonly T[], stable: string, canary: string, scale = 1): { targets: T[]; keptChanges: KeptChange<T>[] } {
  const ours = (id: string) => id === stable || id === canary;
  const targets: T[] = [];
  const keptChanges: KeptChange<T>[] = [];
  for (const s of snapshot) {
    if (ours(s.id)) {
      targets.push({ ...s });
      continue;
    }
    const found = find(current, s.id);
    // A target this deployment rescaled (see `rescaled`) goes back to the snapshot's weight.
    const now = scale !== 1 && found && sameTarget(found, { ...s, weight: s.weight * scale }) ? { ...found, weight: s.weight } : found;
    if (now) targets.push({ ...now });
    if (!now || !sameTarget(now, s)) keptChanges.push({ id: s.id, snapshot: { ...s }, now: now ? { ...now } : null });
  }
  for (const t of current) {
    if (ours(t.id) || find(snapshot, t.id)) continue;
    targets.push({ ...t });
    keptChanges.push({ id: t.id, snapshot: null, now: { ...t } });
  }
  return { targets, keptChanges };
}

/** True when the route holds what undoing this deployment gives (see `undone`): nothing of it is left. */
export function isUndone(current: readonly Target[], snapshot: readonly Target[], stable: string, canary: string, scale = 1): boolean {
  return sameTargets(current, undone(current, snapshot, stable, canary, scale).targets);
}
