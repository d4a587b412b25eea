// guard: the abort guard. Step Functions' StopExecution skips every Catch, so a stopped canary
// would stay at whatever weight it had. An EventBridge rule sends this function every ABORTED,
// TIMED_OUT and FAILED execution of the mesh-canary machines; it reads the execution's history
// and, unless a rollback already completed (or the execution halted on drift, which must leave
// the route as a person set it), restores the route from the snapshot and releases the lock.
// Idempotent: a second event for the same execution finds nothing left to do.
// Event:  the "Step Functions Execution Status Change" event (events/guard-aborted.json)
// Result: { executionArn, status, action, weightedTargets?, changed? }
import type { AppMeshClient } from '@aws-sdk/client-app-mesh';
import type { SFNClient, HistoryEvent } from '@aws-sdk/client-sfn';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { Checker } from '../commons/check.ts';
import { appMesh } from '../commons/clients/appmesh.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { sfn } from '../commons/clients/sfn.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { requireEnv } from '../commons/env.ts';
import { wrapAwsError } from '../commons/errors.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { releaseLock, type LockTable } from '../commons/lock.ts';
import { sameTargets } from '../commons/weights.ts';
import { restoreRoute } from '../commons/restore.ts';

export type GuardAction = 'ignored' | 'nothing-changed' | 'already-rolled-back' | 'left-after-drift' | 'restored';

export interface GuardResult {
  executionArn: string;
  status: string;
  action: GuardAction;
  changed?: boolean;
  weightedTargets?: { virtualNode: string; weight: number; port?: number }[];
}

const watched = ['ABORTED', 'TIMED_OUT', 'FAILED'];

async function history(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true }));
    } catch (err) {
      throw wrapAwsError(err, `GetExecutionHistory ${executionArn}`);
    }
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const exited = (events: HistoryEvent[], name: string) =>
  events.filter((e) => e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === name);

export interface GuardDeps {
  sfn: SFNClient;
  appMesh: AppMeshClient;
  lock: LockTable;
  /** How long to wait before checking the route once more (a Lambda task in flight at the stop can still write). */
  settleMs?: number;
}

export async function guard(event: unknown, deps: GuardDeps): Promise<GuardResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail']);
  let detail: Record<string, unknown> | undefined;
  if (e) {
    if (e.source !== 'aws.states' || e['detail-type'] !== 'Step Functions Execution Status Change') {
      c.problems.push('event must be a "Step Functions Execution Status Change" event from aws.states');
    }
    detail = c.object(e.detail, 'event.detail', ['executionArn', 'stateMachineArn', 'name', 'status', 'startDate', 'stopDate', 'input', 'output', 'inputDetails', 'outputDetails', 'error', 'cause', 'redriveCount', 'redriveDate', 'redriveStatus', 'redriveStatusReason']);
    if (detail) {
      c.string(detail.executionArn, 'event.detail.executionArn', 2048);
      c.string(detail.status, 'event.detail.status', 64);
    }
  }
  c.done();
  const executionArn = detail!.executionArn as string;
  const status = detail!.status as string;
  logger.appendKeys({ execution: executionArn });
  if (!watched.includes(status)) return { executionArn, status, action: 'ignored' };

  const events = await history(deps.sfn, executionArn);
  const prepared = exited(events, 'Prepare').at(-1);
  if (!prepared) {
    logger.info('the execution ended before its snapshot: nothing changed');
    return { executionArn, status, action: 'nothing-changed' };
  }
  const deployment = JSON.parse(prepared.stateExitedEventDetails!.output!).deployment as Deployment;
  const dc = new Checker();
  checkDeployment(dc, deployment, 'the Prepare state\'s deployment');
  dc.done();
  logger.appendKeys({ route: `${deployment.route.meshName}/${deployment.route.virtualRouterName}/${deployment.route.routeName}` });
  const owner = deployment.executionId ?? executionArn;

  if (exited(events, 'Rollback').length) {
    await releaseLock(deps.lock, deployment.route, owner);
    logger.info('the execution already rolled back; lock released if it was still held');
    return { executionArn, status, action: 'already-rolled-back' };
  }
  if (exited(events, 'HaltOnDrift').length || (status === 'FAILED' && detail!.error === 'RouteDriftDetected')) {
    await releaseLock(deps.lock, deployment.route, owner);
    logger.info('the execution halted on drift: the route stays as it was set by hand');
    return { executionArn, status, action: 'left-after-drift' };
  }

  const first = await restoreRoute(deps.appMesh, deployment, deps.lock);
  // A set-weight that was running when the execution stopped can still land its write.
  // Releasing the lock stops it from writing (it checks the lock right before UpdateRoute);
  // then look once more and restore again if it got in first.
  await releaseLock(deps.lock, deployment.route, owner);
  await new Promise((r) => setTimeout(r, deps.settleMs ?? 3000));
  const second = await restoreRoute(deps.appMesh, deployment, deps.lock);
  const changed = first.changed || second.changed;
  logger.info(changed ? 'route restored from the snapshot' : 'route already at its snapshot', { status, weightedTargets: second.weightedTargets });
  if (!sameTargets(second.weightedTargets, deployment.snapshot.weightedTargets)) throw new Error('restore did not reach the snapshot');
  return { executionArn, status, action: 'restored', changed, weightedTargets: second.weightedTargets };
}

const deps: GuardDeps = {
  sfn, appMesh,
  lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') },
  settleMs: Number(process.env.GUARD_SETTLE_MS ?? 3000),
};
export const handler = lambdaHandler('guard', (event: unknown) => guard(event, deps));
