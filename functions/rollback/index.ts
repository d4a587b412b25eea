// rollback: puts the route's weighted targets back exactly as the snapshot recorded them; the
// rest of the spec is left as it is now. Idempotent and safe to retry after any partial failure.
// Then releases the route's lock. With "leaveRoute": true (after drift, onDrift "halt") it
// releases the lock and leaves the route as someone else set it.
// Event:  { "deployment": <from prepare>, "reason"?: any, "leaveRoute"?: boolean }
// Result: { changed, weightedTargets, routeVersion, summary }  (summary: why, and what the route is now)
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { requireEnv } from '../commons/env.ts';
import { releaseLock, type LockTable } from '../commons/lock.ts';
import { restoreRoute } from '../commons/restore.ts';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, routeLabel, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export interface RollbackResult extends ShiftResult {
  summary: string;
}

/** A readable why from a reason: a string, or a Step Functions error {Error, Cause}. */
export function describeReason(reason: unknown): string | undefined {
  if (typeof reason === 'string') return reason;
  if (!reason || typeof reason !== 'object') return undefined;
  const { Error: name, Cause: cause } = reason as { Error?: unknown; Cause?: unknown };
  let message = typeof cause === 'string' ? cause : undefined;
  try {
    // A Lambda task's Cause is the function's error as JSON: {errorType, errorMessage, trace}.
    const parsed = message ? JSON.parse(message) : undefined;
    if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: keep the cause as it is
  }
  return [typeof name === 'string' ? name : undefined, message].filter(Boolean).join(': ') || undefined;
}

export async function rollback(event: unknown, client: AppMeshClient, lock?: LockTable): Promise<RollbackResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'reason', 'leaveRoute']);
  if (e) {
    checkDeployment(c, e.deployment);
    if (e.leaveRoute !== undefined) c.boolean(e.leaveRoute, 'event.leaveRoute');
  }
  c.done();
  const { deployment, reason, leaveRoute } = e as { deployment: Deployment; reason?: unknown; leaveRoute?: boolean };
  const why = describeReason(reason);
  const show = (ts: { virtualNode: string; weight: number }[]) => ts.map((t) => `${t.virtualNode} ${t.weight}`).join(', ');
  const owner = deployment.executionId;
  if (leaveRoute) {
    const now = await appMeshRouter(client, deployment).current();
    if (lock && owner) await releaseLock(lock, deployment.route, owner);
    logger.info('route left as it is; lock released', { ...now, reason });
    return { changed: false, ...now, summary: `${why ? `stopped because ${why}. ` : ''}Route ${routeLabel(deployment.route)} left as it is now (${show(now.weightedTargets)}), not restored: onDrift is halt.` };
  }
  const result = await restoreRoute(client, deployment, lock);
  if (lock && owner) await releaseLock(lock, deployment.route, owner);
  logger.info(result.changed ? 'route restored from snapshot' : 'route already matches the snapshot; nothing written', { ...result, reason });
  const summary = `${why ? `rolled back because ${why}. ` : ''}Route ${routeLabel(deployment.route)} restored to its snapshot (${show(result.weightedTargets)})${result.changed ? '' : ', which it already had'}.`;
  return { ...result, summary };
}

const lockTable: LockTable = { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') };
export const handler = lambdaHandler('rollback', (event: unknown) => rollback(event, appMesh, lockTable));
