// prepare: validates a deployment input and snapshots the route (every route of a release) before anything changes.
// Event:  { "input": <deployment input>, "executionId"?: string, "machine"?: strategy type }
//         (a state machine passes its own type as "machine": the input's strategy must match)
// Result: the deployment object every later step receives: the input with its defaults written
//         out, the executionId, and the route's snapshot (a release: each route's in `routes`,
//         and the release's snapshot of every route's weighted targets).
import { parsePrepareEvent } from '../commons/events.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { withDefaults, type Deployment } from '../commons/input.ts';
import { requireEnv } from '../commons/env.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { RouteWriter, type WriterDeps } from '../commons/route-writer.ts';
import { settleSecondsOf } from '../commons/settle.ts';
import { maxDurationSeconds } from '../commons/strategy.ts';
import { trafficDefaults } from '../commons/input.ts';
import { watchedAlarms } from '../commons/alarm-watch.ts';

/**
 * With a lock table and an executionId (a state machine run), the route's lock is taken first,
 * so the snapshot is of a route nobody else is changing; it is given back if the snapshot fails.
 */
export async function prepare(event: unknown, deps: WriterDeps): Promise<Deployment> {
  const e = parsePrepareEvent(event);
  // The settle time is the backend's unless the input says: written out, as every default is.
  const input = { ...withDefaults(e.input), settleSeconds: settleSecondsOf(e.input) };
  const executionId = e.executionId;
  // The route's lock lives as long as the longest deployment could last.
  // With trafficVerification, each stage may also hold for the split up to maxWaitSeconds.
  const trafficWait = input.trafficVerification ? input.trafficVerification.maxWaitSeconds ?? trafficDefaults.maxWaitSeconds : 0;
  const lockSeconds = input.strategy ? maxDurationSeconds(input.strategy, input.failureThreshold ?? 1, input.settleSeconds, trafficWait) : 86_400;
  // Its lock items name the alarms it checks: the alarm path rolls it back when one goes to ALARM.
  const prepared = await new RouteWriter(deps).prepareDeployment(input, executionId, lockSeconds, watchedAlarms(input));
  logger.info(prepared.routes ? 'routes snapshot taken' : 'route snapshot taken', { snapshot: prepared.snapshot });
  return { ...input, ...(executionId ? { executionId } : {}), ...prepared } as Deployment;
}

const deps: WriterDeps = { routers: routerClients, lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') } };
export const handler = lambdaHandler('prepare', (event: unknown) => prepare(event, deps));
