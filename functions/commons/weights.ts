// Pure weight arithmetic on a route's weighted targets. No AWS SDK here.

export interface WeightedTarget {
  virtualNode: string;
  weight: number;
  port?: number;
}

/** App Mesh limits: each weight 0-100, at most 10 weighted targets per route. */
export const MAX_WEIGHT = 100;
export const MAX_TARGETS = 10;

function find(targets: WeightedTarget[], node: string): WeightedTarget | undefined {
  return targets.find((t) => t.virtualNode === node);
}

/**
 * The weight stable and canary hold together: the "pool" a deployment shares between them.
 * Taken from the snapshot, so every step divides the same pool.
 */
export function poolOf(targets: WeightedTarget[], stable: string, canary: string): number {
  return (find(targets, stable)?.weight ?? 0) + (find(targets, canary)?.weight ?? 0);
}

/** canary = round(pool × share / 100); stable gets the rest. */
export function splitPool(pool: number, share: number): { stable: number; canary: number } {
  const canary = Math.round((pool * share) / 100);
  return { stable: pool - canary, canary };
}

/**
 * Targets with the canary at `share` percent of the pool. Other targets keep their weights and
 * their order; a canary that is not in the route yet is appended (with the stable's port).
 */
export function withCanaryShare(
  current: WeightedTarget[],
  p: { stable: string; canary: string; pool: number; share: number },
): WeightedTarget[] {
  const { stable, canary } = splitPool(p.pool, p.share);
  const stableTarget = find(current, p.stable);
  const next = current.map((t) => {
    if (t.virtualNode === p.stable) return { ...t, weight: stable };
    if (t.virtualNode === p.canary) return { ...t, weight: canary };
    return t;
  });
  if (!find(current, p.canary) && canary > 0) {
    next.push(stableTarget?.port === undefined
      ? { virtualNode: p.canary, weight: canary }
      : { virtualNode: p.canary, weight: canary, port: stableTarget.port });
  }
  return next;
}

/** Targets after promotion: the canary holds the whole pool; the stable is removed unless kept (at 0). */
export function promoted(
  current: WeightedTarget[],
  p: { stable: string; canary: string; pool: number; keepStableTarget: boolean },
): WeightedTarget[] {
  const next = withCanaryShare(current, { ...p, share: 100 });
  return p.keepStableTarget ? next : next.filter((t) => t.virtualNode !== p.stable);
}

/** Same targets, same order, same weights and ports. */
export function sameTargets(a: WeightedTarget[], b: WeightedTarget[]): boolean {
  return a.length === b.length && a.every((t, i) =>
    t.virtualNode === b[i].virtualNode && t.weight === b[i].weight && t.port === b[i].port);
}


const weightOf = (targets: WeightedTarget[], node: string): number | undefined => find(targets, node)?.weight;

/**
 * True when the route's stable or canary weight is neither what this deployment last wrote
 * (`expected`) nor what it is about to write (`next`: a retry whose first attempt landed).
 * Other targets are not this deployment's business and never count as drift.
 */
export function drifted(current: WeightedTarget[], expected: WeightedTarget[], next: WeightedTarget[], stable: string, canary: string): boolean {
  const same = (a: WeightedTarget[], b: WeightedTarget[]) =>
    weightOf(a, stable) === weightOf(b, stable) && weightOf(a, canary) === weightOf(b, canary);
  return !same(current, expected) && !same(current, next);
}

/** A target other than stable and canary that is not on the route as the snapshot had it. */
export interface KeptChange {
  virtualNode: string;
  /** As the snapshot had it, or null: someone added it during the deployment. */
  snapshot: WeightedTarget | null;
  /** As the route has it now, or null: someone removed it during the deployment. */
  now: WeightedTarget | null;
}

const sameTarget = (a: WeightedTarget, b: WeightedTarget) => a.weight === b.weight && a.port === b.port;

/**
 * The targets that undo this deployment and nothing else. Stable and canary go back to their
 * snapshot weights and ports: a canary the deployment added is removed, a stable a promotion
 * removed comes back. Every other target stays as it is now (someone may have re-weighted,
 * added or removed one during the deployment; that is theirs, not ours to revert), and
 * `keptChanges` lists those that differ from the snapshot. Targets of the snapshot keep the
 * snapshot's order, targets added since follow in their order now: when nobody else touched
 * the route, the result is exactly the snapshot.
 */
export function undone(current: WeightedTarget[], snapshot: WeightedTarget[], stable: string, canary: string): { targets: WeightedTarget[]; keptChanges: KeptChange[] } {
  const ours = (node: string) => node === stable || node === canary;
  const targets: WeightedTarget[] = [];
  const keptChanges: KeptChange[] = [];
  for (const s of snapshot) {
    if (ours(s.virtualNode)) {
      targets.push({ ...s });
      continue;
    }
    const now = find(current, s.virtualNode);
    if (now) targets.push({ ...now });
    if (!now || !sameTarget(now, s)) keptChanges.push({ virtualNode: s.virtualNode, snapshot: { ...s }, now: now ? { ...now } : null });
  }
  for (const t of current) {
    if (ours(t.virtualNode) || find(snapshot, t.virtualNode)) continue;
    targets.push({ ...t });
    keptChanges.push({ virtualNode: t.virtualNode, snapshot: null, now: { ...t } });
  }
  return { targets, keptChanges };
}

/** True when the route holds what undoing this deployment gives (see `undone`): nothing of it is left. */
export function isUndone(current: WeightedTarget[], snapshot: WeightedTarget[], stable: string, canary: string): boolean {
  return sameTargets(current, undone(current, snapshot, stable, canary).targets);
}
