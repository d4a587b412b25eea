// guard: the abort guard. Step Functions' StopExecution skips every Catch, so a stopped canary
// would stay at whatever weight it had. An EventBridge rule sends this function every ABORTED,
// TIMED_OUT and FAILED execution of the mesh-canary machines; it reads the execution's history
// and, unless a rollback already completed (or the execution halted on drift, which must leave
// the route as a person set it), undoes the deployment on the route (stable and canary back to
// their snapshot weights, other targets as they are now) and releases the lock.
// A step that was running when the execution stopped keeps running until its function times
// out: a writer (Shift, Promote) can still write, so the guard looks again once every such step
// must have ended; a Prepare can still take the route's lock, so the guard releases it only
// once Prepare must have ended. Idempotent: a second event for the same execution finds nothing left to do.
// Event:  the "Step Functions Execution Status Change" event (events/guard-aborted.json)
// Result: { executionArn, status, action, weightedTargets?, changed?, keptChanges?, lockReleased? }
import type { SFNClient } from '@aws-sdk/client-sfn';
import { parseGuardEvent, parsePreparedDeployment } from '../commons/events.ts';
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { sfn } from '../commons/clients/sfn.ts';
import { requireEnv } from '../commons/env.ts';
import { RouteNotRestored, wrapAwsError } from '../commons/errors.ts';
import { fullHistory, inFlightDeadline, preparedDeployment, routeTouched, succeededExits } from '../commons/history.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import type { LockTable } from '../commons/lock.ts';
import { targetsText } from '../commons/route-text.ts';
import { functionErrors, states } from '../commons/states.ts';
import { RouteWriter } from '../commons/route-writer.ts';
import { routesText } from '../commons/release.ts';
import { routerTypeOf, type RouterClients } from '../commons/routers/index.ts';

export type GuardAction = 'ignored' | 'nothing-changed' | 'already-rolled-back' | 'left-after-drift' | 'restored';

export interface GuardResult {
  executionArn: string;
  status: string;
  action: GuardAction;
  changed?: boolean;
  /** The route's targets after the restore, in its backend's wire format. */
  weightedTargets?: unknown[];
  /** Targets besides stable and canary that someone changed during the deployment, left as they are. */
  keptChanges?: unknown[];
  /** With nothing-changed: whether the execution still held the route's lock (and the guard released it). */
  lockReleased?: boolean;
}

const watched = ['ABORTED', 'TIMED_OUT', 'FAILED'];

export interface GuardDeps {
  sfn: SFNClient;
  routers: RouterClients;
  lock: LockTable;
  /** How long a writer step's Lambda can run (its function's Timeout, plus a margin). */
  writerTimeoutMs: number;
  /** How long the prepare step's Lambda can run (its function's Timeout, plus a margin). */
  prepareTimeoutMs: number;
  /** Waits (tests replace it). */
  sleep?: (ms: number) => Promise<void>;
}

export async function guard(event: unknown, deps: GuardDeps): Promise<GuardResult> {
  const e = parseGuardEvent(event);
  const detail = e.detail;
  const executionArn = detail!.executionArn as string;
  const status = detail!.status as string;
  logger.appendKeys({ execution: executionArn });
  if (!watched.includes(status)) return { executionArn, status, action: 'ignored' };

  let events;
  try {
    events = await fullHistory(deps.sfn, executionArn);
  } catch (err) {
    throw wrapAwsError(err, `GetExecutionHistory ${executionArn}`);
  }
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const writer = new RouteWriter({ routers: deps.routers, lock: deps.lock });
  const deployment = preparedDeployment(events);
  if (!deployment && routeTouched(events)) {
    // A writer ran, yet no snapshot can be read: never guess what the route held before.
    throw new RouteNotRestored(`${executionArn}: the route was changed but the history holds no readable snapshot; someone must restore it`);
  }
  if (!deployment) {
    // Stopped before its snapshot: the route is untouched, but Prepare may have taken the lock
    // (its owner is the execution's ARN). A Prepare still running can take it until its function
    // times out, after the stop: release it only once that Prepare must have ended.
    // The input as the execution started (the event's own copy can be left out when large).
    const started = events.find((x) => x.type === 'ExecutionStarted')?.executionStartedEventDetails?.input;
    const route = routesFromInput(started) ?? routesFromInput(detail!.input);
    if (!route) {
      logger.info('the execution ended before its snapshot and its input names no route: nothing to do');
      return { executionArn, status, action: 'nothing-changed' };
    }
    const deadline = inFlightDeadline(events, deps.prepareTimeoutMs, [states.Prepare]);
    if (deadline && deadline.getTime() > Date.now()) {
      logger.info('the prepare step was running when the execution stopped; waiting for it to end before releasing the lock', { until: deadline.toISOString() });
      await sleep(deadline.getTime() - Date.now());
    }
    const lockReleased = await writer.releaseBeforeSnapshot(route, executionArn);
    logger.info('the execution ended before its snapshot: nothing changed', { lockReleased });
    return { executionArn, status, action: 'nothing-changed', lockReleased };
  }
  parsePreparedDeployment(deployment);
  logger.appendKeys({ route: routesText(deployment) });
  // The lock's owner is the execution: older deployments may not name it.
  const owned = { ...deployment, executionId: deployment.executionId ?? executionArn };

  if (succeededExits(events, states.Rollback).length) {
    await writer.release(owned);
    logger.info('the execution already rolled back; lock released if it was still held');
    return { executionArn, status, action: 'already-rolled-back' };
  }
  if (succeededExits(events, states.HaltOnDrift).length || (status === 'FAILED' && detail!.error === functionErrors.RouteDriftDetected)) {
    await writer.release(owned);
    logger.info('the execution halted on drift: the route stays as it was set by hand');
    return { executionArn, status, action: 'left-after-drift' };
  }
  if (!routeTouched(events)) {
    // Refused before any change (a failing baseline, a misconfigured check), or stopped before
    // its first Shift: the route is as it was; only the lock is left to give back.
    const lockReleased = await writer.release(owned);
    logger.info('the execution ended before changing the route: nothing to restore', { lockReleased });
    return { executionArn, status, action: 'nothing-changed', lockReleased };
  }

  const first = (await writer.restore(owned)).result;
  // Releasing the lock stops a step still running from writing if it has not checked the lock
  // yet (it does right before UpdateRoute). One that already has can still land its write until
  // its function times out, counted from its latest attempt's start (a retry can start long
  // after the state's entry): wait for that, then look again and restore again if it got in.
  await writer.release(owned);
  const deadline = inFlightDeadline(events, deps.writerTimeoutMs);
  let last = first;
  if (deadline && deadline.getTime() > Date.now()) {
    logger.info('a writer step was running when the execution stopped; waiting for it to end', { until: deadline.toISOString() });
    await sleep(deadline.getTime() - Date.now());
    last = (await writer.restore(owned)).result;
  }
  const changed = first.changed || last.changed;
  // Read the route back: something still writing would show here.
  const now = await writer.undoneNow(owned);
  if (!now.undone) {
    if (!now.routes) throw new RouteNotRestored(`route is not back at its snapshot weights after restoring (it has ${targetsText(now.targets)}): something else writes to it; someone must act`);
    const off = now.routes.filter((r) => !r.undone).map((r) => r.route).join(', ');
    throw new RouteNotRestored(`routes ${off} are not back at their snapshot weights after restoring (their targets: ${targetsText(now.targets)}): something else writes to them; someone must act`);
  }
  logger.info(changed ? 'deployment undone on the route' : 'the route already had the deployment undone', { status, weightedTargets: now.weightedTargets, keptChanges: last.keptChanges });
  return { executionArn, status, action: 'restored', changed, weightedTargets: now.weightedTargets, keptChanges: last.keptChanges };
}

/** A number of seconds from the environment, in ms; fails at load time when it is not one. */
function seconds(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`Environment variable ${name} must be a number of seconds (got ${JSON.stringify(value)})`);
  return n * 1000;
}

/**
 * The route named by the execution's input ({route}), or a release's routes ({routes: [{route}]}),
 * if a router recognises each.
 */
function routesFromInput(input: unknown): { route: unknown } | { routes: { route: unknown }[] } | undefined {
  try {
    const parsed = typeof input === 'string' ? JSON.parse(input) : undefined;
    if (Array.isArray(parsed?.routes)) {
      const routes = parsed.routes.map((r: { route?: unknown } | null) => ({ route: r?.route }));
      return routes.length && routes.every((r: { route: unknown }) => routerTypeOf(r.route)) ? { routes } : undefined;
    }
    return routerTypeOf(parsed?.route) ? { route: parsed.route } : undefined;
  } catch {
    return undefined;
  }
}

const deps: GuardDeps = {
  sfn, routers: routerClients,
  lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') },
  writerTimeoutMs: seconds('WRITER_TIMEOUT_SECONDS', requireEnv('WRITER_TIMEOUT_SECONDS')),
  // Prepare has the writers' Timeout (the template's Globals), so by default the same wait.
  prepareTimeoutMs: seconds('PREPARE_TIMEOUT_SECONDS', process.env.PREPARE_TIMEOUT_SECONDS || requireEnv('WRITER_TIMEOUT_SECONDS')),
};
export const handler = lambdaHandler('guard', (event: unknown) => guard(event, deps));
