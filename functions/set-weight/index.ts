// set-weight: gives the canary a share of the traffic stable and canary held in the snapshot.
// Event:  { "deployment": <from prepare>, "weight": 0-100, "expected"?: <targets this deployment last wrote> }
//         With "expected", a route whose stable/canary weights someone else changed is not
//         overwritten (RouteDriftDetected); in an execution, the write needs the route's lock.
// Result: { weight, changed, weightedTargets, routeVersion }
import { parseSetWeightEvent } from '../commons/events.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { requireEnv } from '../commons/env.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { RouteWriter, type ShiftResult, type WriterDeps } from '../commons/route-writer.ts';

export interface SetWeightResult extends ShiftResult {
  weight: number;
}

export async function setWeight(event: unknown, deps: WriterDeps): Promise<SetWeightResult> {
  // The event's "weight" is the canary's share (0-100) of the pool stable and canary held.
  const { deployment, weight, expected } = parseSetWeightEvent(event);
  const result = await new RouteWriter(deps).shift(deployment, weight, expected);
  logger.info(result.changed ? 'canary weight set' : 'canary weight already set; nothing written', { weight, ...result });
  return { weight, ...result };
}

const deps: WriterDeps = { routers: routerClients, lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') } };
export const handler = lambdaHandler('set-weight', (event: unknown) => setWeight(event, deps));
