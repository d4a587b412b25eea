// promote: the canary takes the whole stable+canary share; the old stable target is removed
// unless the deployment says keepStableTarget. Idempotent.
// Event:  { "deployment": <from prepare> }
// Result: { changed, weightedTargets, routeVersion, removedStableTarget }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export interface PromoteResult extends ShiftResult {
  removedStableTarget: boolean;
}

export async function promote(event: unknown, client: AppMeshClient): Promise<PromoteResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment']);
  if (e) checkDeployment(c, e.deployment);
  c.done();
  const { deployment } = e as { deployment: Deployment };
  const keepStableTarget = deployment.keepStableTarget ?? false;
  const result = await appMeshRouter(client, deployment).promote(deployment.snapshot, { keepStableTarget });
  logger.info(result.changed ? 'canary promoted' : 'canary already promoted; nothing written', { ...result });
  return { ...result, removedStableTarget: !keepStableTarget };
}

export const handler = lambdaHandler('promote', (event: unknown) => promote(event, appMesh));
