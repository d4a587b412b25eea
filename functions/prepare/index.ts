// prepare: validates a deployment input and snapshots the route before anything changes.
// Event:  { "input": <deployment input>, "executionId"?: string, "machine"?: strategy type }
//         (a state machine passes its own type as "machine": the input's strategy must match)
// Result: the deployment object every later step receives: the input with its defaults written
//         out, the executionId, and the route's snapshot.
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { requireEnv } from '../commons/env.ts';
import { acquireLock, releaseLock, type LockTable } from '../commons/lock.ts';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { parseDeploymentInput, withDefaults, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import { maxDurationSeconds, strategyTypes, type StrategyType } from '../commons/strategy.ts';

/**
 * With a lock table and an executionId (a state machine run), the route's lock is taken first,
 * so the snapshot is of a route nobody else is changing; it is given back if the snapshot fails.
 */
export async function prepare(event: unknown, client: AppMeshClient, lock?: LockTable): Promise<Deployment> {
  const c = new Checker();
  const e = c.object(event, 'event', ['input', 'executionId', 'machine']);
  if (e?.executionId !== undefined) c.string(e.executionId, 'event.executionId', 2048);
  if (e?.machine !== undefined) c.oneOf(e.machine, 'event.machine', strategyTypes);
  if (e && e.input === undefined) c.problems.push('event.input is missing: pass the deployment input as {"input": {...}}');
  c.done();
  const input = withDefaults(parseDeploymentInput(e!.input, e!.machine as StrategyType | undefined));
  const executionId = typeof e!.executionId === 'string' ? e!.executionId : undefined;
  if (lock && executionId) {
    const ttl = input.strategy ? maxDurationSeconds(input.strategy, input.failureThreshold ?? 1) : 86_400;
    await acquireLock(lock, input.route, executionId, ttl);
  }
  let snapshot;
  try {
    snapshot = await appMeshRouter(client, input).snapshot();
  } catch (err) {
    if (lock && executionId) await releaseLock(lock, input.route, executionId);
    throw err;
  }
  logger.info('route snapshot taken', { weightedTargets: snapshot.weightedTargets, routeVersion: snapshot.version });
  return { ...input, ...(executionId ? { executionId } : {}), snapshot };
}

const lockTable: LockTable = { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') };
export const handler = lambdaHandler('prepare', (event: unknown) => prepare(event, appMesh, lockTable));
