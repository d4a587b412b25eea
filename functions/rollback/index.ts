// rollback: undoes this deployment on its route: stable and canary back to their snapshot
// weights (a canary the deployment added removed); other targets stay as they are now, and the
// result says when someone changed them meanwhile. The rest of the spec is left as it is now.
// Idempotent and safe to retry after any partial failure. Then releases the route's lock.
// Event:  { "deployment": <from prepare>, "reason"?: any }
//         with "leaveRoute": true (after drift, onDrift "halt"): releases the lock and leaves the
//           route as someone else set it;
//         with "refused": true (the deployment stopped before any change: a failing baseline
//           verdict, a misconfigured health check): releases the lock, never reads or writes the route.
//         Or { "releaseLock": { "route": {...}, "executionId": "..." } }: releases the route's lock
//           if that execution holds it (an execution stopped during its prepare step has no deployment).
// Result: { changed, weightedTargets, routeVersion, keptChanges, summary }
//         (refused: { changed: false, summary }; releaseLock: { released, summary })
import { parseRollbackEvent } from '../commons/events.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { requireEnv } from '../commons/env.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { RouteWriter, type RestoreResult, type WriterDeps } from '../commons/route-writer.ts';
import { isRelease, routeLabels, routesText } from '../commons/release.ts';

export interface RollbackResult extends RestoreResult {
  summary: string;
}

export interface RefusedResult {
  changed: false;
  summary: string;
}

export interface ReleaseResult {
  released: boolean;
  summary: string;
}

/** The error name and readable message of a reason: a string, or a Step Functions error {Error, Cause}. */
export function reasonParts(reason: unknown): { name?: string; message?: string } {
  if (typeof reason === 'string') return { message: reason };
  if (!reason || typeof reason !== 'object') return {};
  const { Error: name, Cause: cause } = reason as { Error?: unknown; Cause?: unknown };
  let message = typeof cause === 'string' && cause ? cause : undefined;
  try {
    // A Lambda task's Cause is the function's error as JSON: {errorType, errorMessage, trace}.
    const parsed = message ? JSON.parse(message) : undefined;
    if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: keep the cause as it is
  }
  return { name: typeof name === 'string' && name ? name : undefined, message };
}

/** A readable why from a reason: "Name: message". */
export function describeReason(reason: unknown): string | undefined {
  const { name, message } = reasonParts(reason);
  return [name, message].filter(Boolean).join(': ') || undefined;
}

export async function rollback(event: unknown, deps: WriterDeps): Promise<RollbackResult | RefusedResult | ReleaseResult> {
  const writer = new RouteWriter(deps);
  const e = parseRollbackEvent(event);
  if ('releaseLock' in e) {
    const { executionId, ...named } = e.releaseLock;
    const released = await writer.releaseBeforeSnapshot(named, executionId);
    const several = 'routes' in named;
    logger.info(released ? 'lock released' : 'the execution held no lock on the route', { executionId });
    return { released, summary: `${released ? 'Released' : 'No lock to release:'} the deployment lock${several ? 's' : ''} of ${executionId} on ${routesText(named)}${released ? '' : ' was not held (any more)'}; ${several ? 'no route was' : 'the route was not'} touched.` };
  }

  const { deployment, reason, leaveRoute, refused } = e;
  const why = describeReason(reason);
  const route = routesText(deployment);
  if (refused) {
    // Nothing was changed: the route is not read (a read could fail, and would say nothing new).
    // The lock's key needs no read either when a state machine runs it (the execution's ARN names
    // the account); only a hand invocation with another executionId and no meshOwner reads it.
    await writer.release(deployment);
    logger.info('refused before any change; lock released', { reason });
    const message = reasonParts(reason).message;
    const untouched = isRelease(deployment)
      ? `routes ${routeLabels(deployment).join(', ')} were not touched, and their deployment locks are released`
      : `route ${route} was not touched, and its deployment lock is released`;
    return { changed: false, summary: `${message ? `${message}. ` : ''}Nothing was changed: ${untouched}.` };
  }
  if (leaveRoute) {
    const { text, ...now } = await writer.current(deployment);
    await writer.release(deployment);
    logger.info('route left as it is; lock released', { ...now, reason });
    const left = isRelease(deployment) ? `Routes left as they are now (${text})` : `Route ${route} left as it is now (${text})`;
    return { changed: false, ...now, keptChanges: [], summary: `${why ? `stopped because ${why}. ` : ''}${left}, not restored: onDrift is halt.` };
  }
  const { result, summary } = await writer.restore(deployment, { release: true });
  logger.info(result.changed ? 'deployment undone on the route' : 'the route already had this deployment undone; nothing written', { ...result, reason });
  return { ...result, summary: `${why ? `rolled back because ${why}. ` : ''}${summary}.` };
}

const deps: WriterDeps = { routers: routerClients, lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') } };
export const handler = lambdaHandler('rollback', (event: unknown) => rollback(event, deps));
