// rollback: puts the route's weighted targets back exactly as the snapshot recorded them; the
// rest of the spec is left as it is now. Idempotent and safe to retry after any partial failure.
// Event:  { "deployment": <from prepare>, "reason"?: any }
// Result: { changed, weightedTargets, routeVersion, summary }  (summary: why, and what the route is now)
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
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

export async function rollback(event: unknown, client: AppMeshClient): Promise<RollbackResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'reason']);
  if (e) checkDeployment(c, e.deployment);
  c.done();
  const { deployment, reason } = e as { deployment: Deployment; reason?: unknown };
  const result = await appMeshRouter(client, deployment).restore(deployment.snapshot);
  logger.info(result.changed ? 'route restored from snapshot' : 'route already matches the snapshot; nothing written', { ...result, reason });
  const why = describeReason(reason);
  const targets = result.weightedTargets.map((t) => `${t.virtualNode} ${t.weight}`).join(', ');
  const summary = `${why ? `rolled back because ${why}. ` : ''}Route ${routeLabel(deployment.route)} restored to its snapshot (${targets})${result.changed ? '' : ', which it already had'}.`;
  return { ...result, summary };
}

export const handler = lambdaHandler('rollback', (event: unknown) => rollback(event, appMesh));
