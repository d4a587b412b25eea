// promote: the canary takes the whole stable+canary share; the old stable target is removed
// unless the deployment says keepStableTarget. Idempotent.
// Event:  { "deployment": <from prepare>, "expected"?: <targets this deployment last wrote> }
//         (drift and the lock are checked as in set-weight; the lock is released afterwards)
// Result: { changed, weightedTargets, routeVersion, removedStableTarget }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { requireEnv } from '../commons/env.ts';
import { assertLockHeld, releaseLock, type LockTable } from '../commons/lock.ts';
import { checkTargets } from '../commons/deployment.ts';
import type { WeightedTarget } from '../commons/weights.ts';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export interface PromoteResult extends ShiftResult {
  removedStableTarget: boolean;
}

export async function promote(event: unknown, client: AppMeshClient, lock?: LockTable): Promise<PromoteResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'expected']);
  if (e) {
    checkDeployment(c, e.deployment);
    if (e.expected !== undefined) checkTargets(c, e.expected, 'event.expected');
  }
  c.done();
  const { deployment, expected } = e as { deployment: Deployment; expected?: WeightedTarget[] };
  const keepStableTarget = deployment.keepStableTarget ?? false;
  const owner = deployment.executionId;
  const result = await appMeshRouter(client, deployment).promote(deployment.snapshot, { keepStableTarget }, {
    expected,
    // Right before UpdateRoute: a stopped execution's step must not write once its lock is gone.
    beforeWrite: lock && owner ? () => assertLockHeld(lock, deployment.route, owner) : undefined,
  });
  if (lock && owner) await releaseLock(lock, deployment.route, owner);
  logger.info(result.changed ? 'canary promoted' : 'canary already promoted; nothing written', { ...result });
  return { ...result, removedStableTarget: !keepStableTarget };
}

const lockTable: LockTable = { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') };
export const handler = lambdaHandler('promote', (event: unknown) => promote(event, appMesh, lockTable));
