// promote: the canary takes the whole stable+canary share; the old stable target is removed
// unless the deployment says keepStableTarget. Idempotent.
// Event:  { "deployment": <from prepare>, "expected"?: <targets this deployment last wrote> }
//         (drift and the lock are checked as in set-weight; the lock is released afterwards)
// Result: { changed, weightedTargets, routeVersion, removedStableTarget }
import { parsePromoteEvent } from '../commons/events.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { requireEnv } from '../commons/env.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { RouteWriter, type ShiftResult, type WriterDeps } from '../commons/route-writer.ts';

export interface PromoteResult extends ShiftResult {
  removedStableTarget: boolean;
}

export async function promote(event: unknown, deps: WriterDeps): Promise<PromoteResult> {
  const { deployment, expected } = parsePromoteEvent(event);
  const result = await new RouteWriter(deps).promote(deployment, expected);
  logger.info(result.changed ? 'canary promoted' : 'canary already promoted; nothing written', { ...result });
  return { ...result, removedStableTarget: !(deployment.keepStableTarget ?? false) };
}

const deps: WriterDeps = { routers: routerClients, lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') } };
export const handler = lambdaHandler('promote', (event: unknown) => promote(event, deps));
