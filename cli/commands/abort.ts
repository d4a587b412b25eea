// mesh-canary abort: stops the execution and undoes the deployment on its route (stable and
// canary back to their snapshot weights, a canary it added removed; other targets stay as
// people left them), then checks that it stays so. A step running when the execution stopped
// keeps running until its function times out (Step Functions does not cancel it): a writer
// can still land its write, so the route is read again once that step must have ended, and
// restored again if needed; a prepare step can still take the route's lock, so the lock is
// released only once it must have ended. Never leaves a half-shifted route without saying so.
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
import { deploymentEvents, fullHistory, sleep, snapshotTargets, type Target } from '../follow.ts';
import { releaseOf } from '../release.ts';
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

async function invokeRollback(aws: Aws, functionArn: string, event: object): Promise<Record<string, unknown>> {
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
    throw new CommandFailed(`the rollback function failed: ${why}. The route may not be at its snapshot: someone must act`);
  }
  return body && typeof body === 'object' ? body : {};
}

/** The route the execution's input names, if it has one a router recognises. */
function routeOfInput(history: HistoryEvent[], input: string | undefined): unknown {
  for (const raw of [history.find((e) => e.type === 'ExecutionStarted')?.executionStartedEventDetails?.input, input]) {
    try {
      const route = raw ? JSON.parse(raw)?.route : undefined;
      if (routerTypeOf(route)) return route;
    } catch {
      // not JSON: try the next copy
    }
  }
  return undefined;
}

/** Whether the route holds what undoing the deployment gives: stable and canary at their snapshot weights, no canary it added. */
async function undoneNow(aws: Aws, d: AnyDeployment): Promise<{ restored: boolean; targets: Target[]; wireTargets: unknown[]; keptChanges: KeptChange[]; wireKeptChanges: unknown[] }> {
  const now = await new RouteWriter({ routers: aws.routers() }).undoneNow(d);
  return { restored: now.undone, targets: now.targets, wireTargets: now.weightedTargets, keptChanges: now.keptChanges, wireKeptChanges: now.wireKeptChanges };
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
  if (!deployment && routeTouched(history)) {
    throw new CommandFailed(`${arn}: the route was changed but the history holds no readable snapshot, so abort cannot tell what to restore; someone must restore the route by hand`);
  }
  if (!deployment || !routeTouched(history)) {
    // The route was never changed. A lock may be held, though: by a prepare step that is still
    // running (it can take the lock after the stop, until its function times out) or that
    // took it before the stop. Release it (only if this execution holds it) once Prepare has ended.
    const route = deployment?.route ?? routeOfInput(history, description.input);
    let lockReleased = false;
    if (route) {
      const deadline = deployment ? undefined : inFlightDeadline(history, prepareTimeoutMs, [states.Prepare]);
      const left = deadline ? deadline.getTime() - Date.now() : 0;
      if (left > 0) {
        say(`waiting up to ${Math.ceil(left / 1000)} s for the prepare step that was running (it can still take the route's lock until its function times out)`);
        await sleep(left);
      }
      const out = await invokeRollback(aws, await rollbackArn(), { releaseLock: { route, executionId: deployment?.executionId ?? arn } });
      lockReleased = out.released === true;
    }
    const when = deployment ? 'before its first change' : 'before its prepare step took a snapshot';
    const message = `${stoppedAt ? `stopped ${name} at ${stoppedAt}` : `${name} ended`} ${when}: the route was never changed${lockReleased ? '; the route lock it held is released' : ''}`;
    if (ctx.json) ctx.result({ action: stoppedAt ? 'aborted' : 'checked', executionArn: arn, stopped: Boolean(stoppedAt), restored: null, lockReleased, reason: message });
    else ctx.say(message);
    return exitCodes.ok;
  }

  const functionArn = await rollbackArn();
  const snapshot = snapshotTargets(deployment.snapshot, backendOf(deployment.route))!;
  const deadline = inFlightDeadline(history, writerTimeoutMs);
  let restores = 0;
  let waitedMs = 0;
  let now: Awaited<ReturnType<typeof undoneNow>> | undefined;
  for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
    now = await undoneNow(aws, deployment);
    if (!now.restored) {
      await invokeRollback(aws, functionArn, { deployment, reason });
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

  const route = routeText(deployment.route);
  if (!now!.restored) {
    throw new CommandFailed(`route ${route} is NOT back at its snapshot weights after ${restores} restores: it has ${targetsText(now!.targets)}, `
      + `the snapshot is ${targetsText(snapshot)}. Something else writes to it: someone must act`);
  }
  const kept = now!.keptChanges;
  if (ctx.json) {
    ctx.result({ action: stoppedAt ? 'aborted' : 'restored', executionArn: arn, stopped: Boolean(stoppedAt), stoppedAt, restored: true, restores, route: deployment.route, weightedTargets: now!.wireTargets, keptChanges: now!.wireKeptChanges });
  } else {
    const what = stoppedAt ? `aborted ${name} (it was at ${stoppedAt})` : `${name} had ended ${description.status}`;
    const how = kept.length
      ? `${releaseOf(deployment).stable} and ${releaseOf(deployment).canary} ${restores ? 'put back to' : 'already at'} their snapshot weights: ${targetsText(now!.targets)}; `
        + `other targets were changed during the deployment and are left as they are, unlike the snapshot: ${keptChangesText(kept)}`
      : `${restores ? 'restored to its snapshot' : 'already at its snapshot'}: ${targetsText(now!.targets)}`;
    ctx.say(`${what}; route ${route} ${how}${waitedMs ? ` (checked again after the running step's timeout)` : ' (no step was running at the stop)'}`);
  }
  return exitCodes.ok;
}
