// set-weight: gives the canary a share of the traffic stable and canary held in the snapshot.
// Event:  { "deployment": <from prepare>, "weight": 0-100 }
// Result: { weight, changed, weightedTargets, routeVersion }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import type { ShiftResult } from '../commons/routers/router.ts';

export interface SetWeightResult extends ShiftResult {
  weight: number;
}

export async function setWeight(event: unknown, client: AppMeshClient): Promise<SetWeightResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'weight']);
  if (e) {
    checkDeployment(c, e.deployment);
    c.integer(e.weight, 'event.weight', 0, 100);
  }
  c.done();
  const { deployment, weight } = e as { deployment: Deployment; weight: number };
  const result = await appMeshRouter(client, deployment).setCanaryShare(deployment.snapshot, weight);
  logger.info(result.changed ? 'canary weight set' : 'canary weight already set; nothing written', { weight, ...result });
  return { weight, ...result };
}

export const handler = lambdaHandler('set-weight', (event: unknown) => setWeight(event, appMesh));
