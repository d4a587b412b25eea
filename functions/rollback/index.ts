// rollback: puts the route's weighted targets back exactly as the snapshot recorded them; the
// rest of the spec is left as it is now. Idempotent and safe to retry after any partial failure.
// Event:  { "deployment": <from prepare>, "reason"?: any }
// Result: { changed, weightedTargets, routeVersion }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export async function rollback(event: unknown, client: AppMeshClient): Promise<ShiftResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'reason']);
  if (e) checkDeployment(c, e.deployment);
  c.done();
  const { deployment, reason } = e as { deployment: Deployment; reason?: unknown };
  const result = await appMeshRouter(client, deployment).restore(deployment.snapshot);
  logger.info(result.changed ? 'route restored from snapshot' : 'route already matches the snapshot; nothing written', { ...result, reason });
  return result;
}

export const handler = lambdaHandler('rollback', (event: unknown) => rollback(event, appMesh));
