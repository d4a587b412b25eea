// The abort guard's work: functions/guard runs it for every ABORTED, TIMED_OUT and FAILED execution
// of the mesh-canary machines (an EventBridge rule), and the alarm path (functions/alarm) runs it
// right after it stops an execution. Step Functions' StopExecution skips every Catch, so a stopped
// canary would stay at whatever weight it had. The guard reads the execution's history and,
// unless a rollback already completed (or the execution halted on drift, which must leave the
// route as a person set it), undoes the deployment on every route (stable and canary back to
// their snapshot weights, other targets as they are now) and releases the locks.
// A step that was running when the execution stopped keeps running until its function times
// out: a writer (Shift, Promote) can still write, so the guard looks again once every such step
// must have ended; a Prepare can still take the route's lock, so the guard releases it only
// once Prepare must have ended. Idempotent: a second event for the same execution finds nothing left to do.
import type { SFNClient } from '@aws-sdk/client-sfn';
import { parseGuardEvent, parsePreparedDeployment } from './events.ts';
import { RouteNotRestored, wrapAwsError } from './errors.ts';
import { fullHistory, inFlightDeadline, preparedDeployment, routeTouched, succeededExits } from './history.ts';
import { logger } from './handler.ts';
import type { LockTable } from './lock.ts';
import { targetsText } from './route-text.ts';
import { functionErrors, states } from './states.ts';
import { RouteWriter } from './route-writer.ts';
import { routesText } from './release.ts';
import { routerTypeOf, type RouterClients } from './routers/index.ts';

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
  /** With restored: when the first restore had put every route back (before any wait for a step in flight). */
  restoredAt?: string;
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
  const restoredAt = new Date().toISOString();
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
  return { executionArn, status, action: 'restored', changed, weightedTargets: now.weightedTargets, keptChanges: last.keptChanges, restoredAt };
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
