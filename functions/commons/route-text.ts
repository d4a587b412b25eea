// How routes and their changes read in summaries, logs and the CLI: "product-vn 90, product-v2-vn 10".
import type { KeptChange, Target } from './weights.ts';

export const targetsText = (ts: readonly Target[]): string => ts.map((t) => `${t.id} ${t.weight}`).join(', ');

const one = (t: Target & { port?: number }) => `${t.weight}${t.port === undefined ? '' : ` port ${t.port}`}`;

/** "legacy-vn 30 (snapshot 10), extra-vn 5 (added), old-vn removed (snapshot 10)" */
export function keptChangesText(changes: readonly KeptChange[]): string {
  return changes.map((c) => {
    if (!c.now) return `${c.id} removed (snapshot ${one(c.snapshot!)})`;
    if (!c.snapshot) return `${c.id} ${one(c.now)} (added)`;
    return `${c.id} ${one(c.now)} (snapshot ${one(c.snapshot)})`;
  }).join(', ');
}

/**
 * What a restore did to the route, for summaries: "restored to its snapshot (...)", or, when
 * other targets were changed by someone during the deployment, which were put back and which kept.
 */
export function restoreText(r: { label: string; stable: string; canary: string }, result: { changed: boolean; targets: readonly Target[]; keptChanges: readonly KeptChange[] }): string {
  if (result.keptChanges.length === 0) {
    return `Route ${r.label} restored to its snapshot (${targetsText(result.targets)})${result.changed ? '' : ', which it already had'}`;
  }
  return `Route ${r.label}: ${r.stable} and ${r.canary} back to their snapshot weights (${targetsText(result.targets)}); `
    + `other targets were changed during the deployment and are left as they are, unlike the snapshot: ${keptChangesText(result.keptChanges)}`;
}
