// Undoing a deployment on its route: what the rollback step, the abort guard and `abort` do.
// Stable and canary go back to their snapshot weights (a canary the deployment added is
// removed); other targets stay as they are now, and the result says when they differ.
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { routeLabel, type Deployment } from './deployment.ts';
import { DeploymentInProgress } from './errors.ts';
import { lockHolder, type LockTable } from './lock.ts';
import { appMeshRouter } from './routers/appmesh.ts';
import type { RestoreResult } from './routers/router.ts';
import type { KeptChange, WeightedTarget } from './weights.ts';

/**
 * Undoes the deployment unless another execution now holds the route's lock: then the route is
 * that deployment's, and overwriting it would be worse than stopping (DeploymentInProgress).
 */
export async function restoreRoute(client: AppMeshClient, deployment: Deployment, lock?: LockTable): Promise<RestoreResult> {
  const owner = deployment.executionId;
  return appMeshRouter(client, deployment).restore(deployment.snapshot, {
    beforeWrite: lock && owner ? async () => {
      const holder = await lockHolder(lock, deployment.route);
      if (holder && holder.executionId !== owner) {
        throw new DeploymentInProgress(`${routeLabel(deployment.route)} is now deployed by ${holder.executionId}; not restoring ${owner}'s snapshot over it`);
      }
    } : undefined,
  });
}

export const targetsText = (ts: WeightedTarget[]): string => ts.map((t) => `${t.virtualNode} ${t.weight}`).join(', ');

const one = (t: WeightedTarget) => `${t.weight}${t.port === undefined ? '' : ` port ${t.port}`}`;

/** "legacy-vn 30 (snapshot 10), extra-vn 5 (added), old-vn removed (snapshot 10)" */
export function keptChangesText(changes: KeptChange[]): string {
  return changes.map((c) => {
    if (!c.now) return `${c.virtualNode} removed (snapshot ${one(c.snapshot!)})`;
    if (!c.snapshot) return `${c.virtualNode} ${one(c.now)} (added)`;
    return `${c.virtualNode} ${one(c.now)} (snapshot ${one(c.snapshot)})`;
  }).join(', ');
}

/**
 * What a restore did to the route, for summaries: "restored to its snapshot (...)", or, when
 * other targets were changed by someone during the deployment, which were put back and which kept.
 */
export function restoreText(deployment: Deployment, result: RestoreResult): string {
  const route = routeLabel(deployment.route);
  if (result.keptChanges.length === 0) {
    return `Route ${route} restored to its snapshot (${targetsText(result.weightedTargets)})${result.changed ? '' : ', which it already had'}`;
  }
  return `Route ${route}: ${deployment.stableNode} and ${deployment.canaryNode} back to their snapshot weights (${targetsText(result.weightedTargets)}); `
    + `other targets were changed during the deployment and are left as they are, unlike the snapshot: ${keptChangesText(result.keptChanges)}`;
}
