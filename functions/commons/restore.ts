// Restoring a route to its snapshot: what the rollback step and the abort guard both do.
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { routeLabel, type Deployment } from './deployment.ts';
import { DeploymentInProgress } from './errors.ts';
import { lockHolder, type LockTable } from './lock.ts';
import { appMeshRouter } from './routers/appmesh.ts';
import type { ShiftResult } from './routers/router.ts';

/**
 * Restores the snapshot unless another execution now holds the route's lock: then the route is
 * that deployment's, and overwriting it would be worse than stopping (DeploymentInProgress).
 */
export async function restoreRoute(client: AppMeshClient, deployment: Deployment, lock?: LockTable): Promise<ShiftResult> {
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
