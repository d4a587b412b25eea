// prepare: validates a deployment input and snapshots the route before anything changes.
// Event:  { "input": <deployment input>, "executionId"?: string }
// Result: the deployment object (the input, executionId and snapshot) every later step receives.
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { parseDeploymentInput, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';

export async function prepare(event: unknown, client: AppMeshClient): Promise<Deployment> {
  const c = new Checker();
  const e = c.object(event, 'event', ['input', 'executionId']);
  if (e?.executionId !== undefined) c.string(e.executionId, 'event.executionId', 2048);
  if (e && e.input === undefined) c.problems.push('event.input is missing: pass the deployment input as {"input": {...}}');
  c.done();
  const input = parseDeploymentInput(e!.input);
  const snapshot = await appMeshRouter(client, input).snapshot();
  logger.info('route snapshot taken', { weightedTargets: snapshot.weightedTargets, routeVersion: snapshot.version });
  return { ...input, ...(typeof e!.executionId === 'string' ? { executionId: e!.executionId } : {}), snapshot };
}

export const handler = lambdaHandler('prepare', (event: unknown) => prepare(event, appMesh));
