// prepare: validates a deployment input and snapshots the route before anything changes.
// Event:  { "input": <deployment input>, "executionId"?: string, "machine"?: strategy type }
//         (a state machine passes its own type as "machine": the input's strategy must match)
// Result: the deployment object every later step receives: the input with its defaults written
//         out, the executionId, and the route's snapshot.
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { parseDeploymentInput, withDefaults, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { appMeshRouter } from '../commons/routers/appmesh.ts';
import { strategyTypes, type StrategyType } from '../commons/strategy.ts';

export async function prepare(event: unknown, client: AppMeshClient): Promise<Deployment> {
  const c = new Checker();
  const e = c.object(event, 'event', ['input', 'executionId', 'machine']);
  if (e?.executionId !== undefined) c.string(e.executionId, 'event.executionId', 2048);
  if (e?.machine !== undefined) c.oneOf(e.machine, 'event.machine', strategyTypes);
  if (e && e.input === undefined) c.problems.push('event.input is missing: pass the deployment input as {"input": {...}}');
  c.done();
  const input = withDefaults(parseDeploymentInput(e!.input, e!.machine as StrategyType | undefined));
  const snapshot = await appMeshRouter(client, input).snapshot();
  logger.info('route snapshot taken', { weightedTargets: snapshot.weightedTargets, routeVersion: snapshot.version });
  return { ...input, ...(typeof e!.executionId === 'string' ? { executionId: e!.executionId } : {}), snapshot };
}

export const handler = lambdaHandler('prepare', (event: unknown) => prepare(event, appMesh));
