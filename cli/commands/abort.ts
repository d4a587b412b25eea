// mesh-canary abort: stops the execution and undoes the deployment on its route (stable and
// canary back to their snapshot weights, a canary it added removed; other targets stay as
// people left them), then checks that it stays so. A step running when the execution stopped
// keeps running until its function times out (Step Functions does not cancel it): a writer
// can still land its write, so the route is read again once that step must have ended, and
// restored again if needed; a prepare step can still take the route's lock, so the lock is
// released only once it must have ended. Never leaves a half-shifted route without saying so.
// A deployment with several routes is undone on every route: the rollback function restores them
// all (the core fans out), and the check reads every route against its own snapshot.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { StopExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { AnyDeployment } from '../../functions/commons/input.ts';
import { inFlightDeadline, routeTouched } from '../../functions/commons/history.ts';
import { keptChangesText } from '../../functions/commons/route-text.ts';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { backendOf, routerTypeOf } from '../../functions/commons/routers/index.ts';
import { states } from '../../functions/commons/states.ts';
import type { KeptChange } from '../../functions/commons/weights.ts';
import type { Aws } from '../aws.ts';
import { CommandFailed, exitCodes } from '../errors.ts';
import { activeStates, outcomeOf, preparedDeployment } from '../execution.ts';
import { deploymentEvents, fullHistory, routeSnapshots, sleep, snapshotTargets, type Target } from '../follow.ts';
import { routeParts } from '../../functions/commons/release.ts';
import { isMultiRoute, releaseOf, releasesOf, routeEntriesOf } from '../release.ts';
import { targetsText } from '../render.ts';
import { type Context, resolveExecution, routeText, user } from './context.ts';

export interface AbortOptions {
  restore?: boolean;
  stateMachineArn?: string;
  rollbackFunctionArn?: string;
  /** How long a writer step's function can run: the template's Timeout (30 s) plus a margin. */
  writerTimeoutMs?: number;
  /** How long the prepare step's function can run (the same Timeout; default writerTimeoutMs). */
  prepareTimeoutMs?: number;
}

const RESTORE_ATTEMPTS = 2;
const WRITER_TIMEOUT_MS = 35_000;

async function invokeRollback(aws: Aws, functionArn: string, event: object, many = false): Promise<Record<string, unknown>> {
  const out = await aws.lambda().send(new InvokeCommand({
    FunctionName: functionArn, InvocationType: 'RequestResponse',
    Payload: new TextEncoder().encode(JSON.stringify(event)),
  }));
  let body: any;
  try {
    body = JSON.parse(new TextDecoder().decode(out.Payload));
  } catch {
    body = undefined;
  }
  if (out.FunctionError) {
    const why = body ? `${body.errorType ?? out.FunctionError}: ${body.errorMessage ?? ''}` : out.FunctionError;
    throw new CommandFailed(`the rollback function failed: ${why}. ${many ? 'The routes may not be at their snapshots' : 'The route may not be at its snapshot'}: someone must act`);
  }
  return body && typeof body === 'object' ? body : {};
}

/**
 * The route(s) whose lock the rollback function releases, as its releaseLock event names them:
 * `{ route }` for one route, `{ routes: [{ route }, ...] }` for several (each entry a router
 * recognises, as the input's entries name their routes). Read from the prepared deployment,
 * else the execution's input.
 */
function lockedRoutesOf(history: HistoryEvent[], input: string | undefined, deployment: AnyDeployment | undefined): { route: unknown } | { routes: { route: unknown }[] } | undefined {
  const fromValue = (value: unknown) => {
    if (isMultiRoute(value)) {
      const routes = routeEntriesOf(value).map((e) => e.route).filter((r) => routerTypeOf(r)).map((route) => ({ route }));
      return routes.length ? { routes } : undefined;
    }
    const route = (value as { route?: unknown } | undefined)?.route;
    return routerTypeOf(route) ? { route } : undefined;
  };
  if (deployment) return fromValue(deployment);
  for (const raw of [history.find((e) => e.type === 'ExecutionStarted')?.executionStartedEventDetails?.input, input]) {
    try {
      const found = raw ? fromValue(JSON.parse(raw)) : undefined;
      if (found) return found;
    } catch {
      // not JSON: try the next copy
    }
  }
  return undefined;
}

/** One route as it is now against its snapshot. */
interface RouteUndone {
  /** The route's label, its reference, and its snapshot's targets. */
  label: string;
  route: unknown;
  snapshot: Target[];
  restored: boolean;
  targets: Target[];
  wireTargets: unknown[];
  keptChanges: KeptChange[];
  wireKeptChanges: unknown[];
}

/**
 * Whether the route holds what undoing the deployment gives: stable and canary at their snapshot
 * weights, no canary it added. With several routes, every route (read concurrently), each
 * against its own snapshot: restored only when all are.
 */
async function undoneNow(aws: Aws, d: AnyDeployment): Promise<{ restored: boolean; routes: RouteUndone[] }> {
  const writer = new RouteWriter({ routers: aws.routers() });
  const releases = releasesOf(d);
  const snapshots = isMultiRoute(d) ? routeSnapshots(d, releases)?.map((r) => r.targets) : [snapshotTargets(d.snapshot, backendOf(d.route))];
  const routes = await Promise.all(routeParts(d).map(async (one, i): Promise<RouteUndone> => {
    const now = await writer.undoneNow(one);
    return {
      label: releases[i].label, route: releases[i].route, snapshot: snapshots?.[i] ?? [],
      restored: now.undone, targets: now.targets, wireTargets: now.weightedTargets, keptChanges: now.keptChanges, wireKeptChanges: now.wireKeptChanges,
    };
  }));
  return { restored: routes.every((r) => r.restored), routes };
}

/** How one route was left: "restored to its snapshot: product-vn 100", or stable and canary back, other targets kept. */
function routeUndoneText(d: AnyDeployment, r: RouteUndone, restores: number): string {
  if (!r.keptChanges.length) return `${restores ? 'restored to its snapshot' : 'already at its snapshot'}: ${targetsText(r.targets)}`;
  const release = releasesOf(d).find((x) => x.label === r.label) ?? releaseOf(d);
  return `${release.stable} and ${release.canary} ${restores ? 'put back to' : 'already at'} their snapshot weights: ${targetsText(r.targets)}; `
    + `other targets were changed during the deployment and are left as they are, unlike the snapshot: ${keptChangesText(r.keptChanges)}`;
}

export async function abort(ctx: Context, ref: string, options: AbortOptions): Promise<number> {
  const { arn, aws, description } = await resolveExecution(ctx, ref, options.stateMachineArn);
  const name = description.name ?? arn;
  const by = user();
  const reason = `aborted by ${by} via mesh-canary abort`;
  const writerTimeoutMs = options.writerTimeoutMs ?? WRITER_TIMEOUT_MS;
  const prepareTimeoutMs = options.prepareTimeoutMs ?? writerTimeoutMs;

  let stoppedAt: string | undefined;
  if (description.status === 'RUNNING') {
    const before = await fullHistory(aws.sfn(), arn);
    const shift = deploymentEvents(before).findLast((e) => e.kind === 'shift');
    const states = activeStates(before).map((s) => s.name).join(' > ') || 'its start';
    stoppedAt = `${shift?.kind === 'shift' ? `${shift.weight}%, ` : ''}state ${states}`;
    try {
      await aws.sfn().send(new StopExecutionCommand({ executionArn: arn, error: 'Aborted', cause: reason }));
    } catch (e) {
      // It ended between the two calls: restore only if asked, as for any ended execution.
      if ((e as Error).name !== 'ExecutionDoesNotExist' && !/not running|already/i.test((e as Error).message)) throw e;
      stoppedAt = undefined;
    }
  }
  if (!stoppedAt && !options.restore) {
    throw new CommandFailed(`execution ${name} already ended ${description.status} (${outcomeOf(description).kind}); nothing to abort. `
      + `To put the route back to the deployment's snapshot anyway: mesh-canary abort ${arn} --restore`);
  }
  const rollbackArn = () => options.rollbackFunctionArn ? Promise.resolve(options.rollbackFunctionArn) : ctx.stack(aws).rollbackFunctionArn();
  const say = (line: string) => {
    if (!ctx.json) ctx.say(line);
  };

  // The history is final once the execution stopped: the prepare step's snapshot is in it, or never was.
  const history = await fullHistory(aws.sfn(), arn);
  const deployment = preparedDeployment(history);
  const locked = lockedRoutesOf(history, description.input, deployment);
  const many = locked !== undefined && 'routes' in locked;
  if (!deployment && routeTouched(history)) {
    throw new CommandFailed(many
      ? `${arn}: its routes were changed but the history holds no readable snapshot, so abort cannot tell what to restore; someone must restore the routes by hand`
      : `${arn}: the route was changed but the history holds no readable snapshot, so abort cannot tell what to restore; someone must restore the route by hand`);
  }
  if (!deployment || !routeTouched(history)) {
    // The route was never changed. A lock may be held, though: by a prepare step that is still
    // running (it can take the lock after the stop, until its function times out) or that
    // took it before the stop. Release it (only if this execution holds it) once Prepare has ended.
    // Several routes: their locks are released in one event, {"releaseLock": {"routes": [...], "executionId"}}.
    let lockReleased = false;
    if (locked) {
      const deadline = deployment ? undefined : inFlightDeadline(history, prepareTimeoutMs, [states.Prepare]);
      const left = deadline ? deadline.getTime() - Date.now() : 0;
      if (left > 0) {
        say(`waiting up to ${Math.ceil(left / 1000)} s for the prepare step that was running (it can still take the ${many ? 'routes\' locks' : 'route\'s lock'} until its function times out)`);
        await sleep(left);
      }
      const out = await invokeRollback(aws, await rollbackArn(), { releaseLock: { ...locked, executionId: deployment?.executionId ?? arn } }, many);
      // One route: {released: true}; several: true when any lock was released (or one flag per route).
      lockReleased = out.released === true || (Array.isArray(out.released) && out.released.some((x) => x === true));
    }
    const when = deployment ? 'before its first change' : 'before its prepare step took a snapshot';
    const never = many ? `none of its ${(locked as { routes: unknown[] }).routes.length} routes was changed` : 'the route was never changed';
    const released = many ? '; the route locks it held are released' : '; the route lock it held is released';
    const message = `${stoppedAt ? `stopped ${name} at ${stoppedAt}` : `${name} ended`} ${when}: ${never}${lockReleased ? released : ''}`;
    if (ctx.json) ctx.result({ action: stoppedAt ? 'aborted' : 'checked', executionArn: arn, stopped: Boolean(stoppedAt), restored: null, lockReleased, reason: message });
    else ctx.say(message);
    return exitCodes.ok;
  }

  const functionArn = await rollbackArn();
  const deadline = inFlightDeadline(history, writerTimeoutMs);
  let restores = 0;
  let waitedMs = 0;
  let now: Awaited<ReturnType<typeof undoneNow>> | undefined;
  for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
    now = await undoneNow(aws, deployment);
    if (!now.restored) {
      // The whole deployment: the rollback function restores every route of it.
      await invokeRollback(aws, functionArn, { deployment, reason }, many);
      restores++;
      now = await undoneNow(aws, deployment);
    }
    // The rollback released the lock, so a running step that has not checked it yet cannot
    // write; one that already has can, until its function times out. Wait that out, look again.
    const left = deadline ? deadline.getTime() - Date.now() : 0;
    if (left <= 0) break;
    say(`waiting up to ${Math.ceil(left / 1000)} s for the step that was running (it can still write until its function times out)`);
    await sleep(left);
    waitedMs += left;
    now = await undoneNow(aws, deployment);
    if (now.restored) break;
  }

  const what = stoppedAt ? `aborted ${name} (it was at ${stoppedAt})` : `${name} had ended ${description.status}`;
  const checked = waitedMs ? ` (checked again after the running step's timeout)` : ' (no step was running at the stop)';
  if (isMultiRoute(deployment)) {
    const routes = now!.routes;
    const off = routes.filter((r) => !r.restored);
    if (off.length) {
      throw new CommandFailed(`${off.length} of ${routes.length} routes NOT back at their snapshot weights after ${restores} restores: `
        + `${off.map((r) => `${r.label} has ${targetsText(r.targets)}, its snapshot is ${targetsText(r.snapshot)}`).join('; ')}. Something else writes to them: someone must act`);
    }
    if (ctx.json) {
      ctx.result({
        action: stoppedAt ? 'aborted' : 'restored', executionArn: arn, stopped: Boolean(stoppedAt), stoppedAt, restored: true, restores,
        routes: routes.map((r) => ({ route: r.route, label: r.label, restored: r.restored, weightedTargets: r.wireTargets, keptChanges: r.wireKeptChanges })),
      });
    } else {
      ctx.say(`${what}; all ${routes.length} routes ${restores ? 'restored to' : 'already at'} their snapshots${checked}:`);
      for (const r of routes) ctx.say(`  route ${r.label} ${routeUndoneText(deployment, r, restores)}`);
    }
    return exitCodes.ok;
  }

  const one = now!.routes[0];
  const route = routeText(deployment.route);
  if (!now!.restored) {
    throw new CommandFailed(`route ${route} is NOT back at its snapshot weights after ${restores} restores: it has ${targetsText(one.targets)}, `
      + `the snapshot is ${targetsText(one.snapshot)}. Something else writes to it: someone must act`);
  }
  if (ctx.json) {
    ctx.result({ action: stoppedAt ? 'aborted' : 'restored', executionArn: arn, stopped: Boolean(stoppedAt), stoppedAt, restored: true, restores, route: deployment.route, weightedTargets: one.wireTargets, keptChanges: one.wireKeptChanges });
  } else {
    ctx.say(`${what}; route ${route} ${routeUndoneText(deployment, one, restores)}${checked}`);
  }
  return exitCodes.ok;
}
