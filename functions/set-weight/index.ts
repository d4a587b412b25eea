// set-weight: gives the canary a share of the traffic stable and canary held in the snapshot.
// Event:  { "deployment": <from prepare>, "weight": 0-100, "expected"?: <targets this deployment last wrote> }
//         With "expected", a route whose stable/canary weights someone else changed is not
//         overwritten (RouteDriftDetected); in an execution, the write needs the route's lock.
// Result: { weight, changed, weightedTargets, routeVersion }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { requireEnv } from '../commons/env.ts';
import { assertLockHeld, type LockTable } from '../commons/lock.ts';
import { checkTargets } from '../commons/deployment.ts';
import type { WeightedTarget } from '../commons/weights.ts';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export interface SetWeightResult extends ShiftResult {
  weight: number;
}

export async function setWeight(event: unknown, client: AppMeshClient, lock?: LockTable): Promise<SetWeightResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'weight', 'expected']);
  if (e) {
    checkDeployment(c, e.deployment);
    c.integer(e.weight, 'event.weight', 0, 100);
    if (e.expected !== undefined) checkTargets(c, e.expected, 'event.expected');
  }
  c.done();
  const { deployment, weight, expected } = e as { deployment: Deployment; weight: number; expected?: WeightedTarget[] };
  const owner = deployment.executionId;
  const result = await appMeshRouter(client, deployment).setCanaryShare(deployment.snapshot, weight, {
    expected,
    // Right before UpdateRoute: a stopped execution's step must not write once its lock is gone.
    beforeWrite: lock && owner ? () => assertLockHeld(lock, deployment.route, owner) : undefined,
  });
  logger.info(result.changed ? 'canary weight set' : 'canary weight already set; nothing written', { weight, ...result });
  return { weight, ...result };
}

const lockTable: LockTable = { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') };
export const handler = lambdaHandler('set-weight', (event: unknown) => setWeight(event, appMesh, lockTable));
