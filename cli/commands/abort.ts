// mesh-canary abort: stops the execution and puts the route back exactly as the snapshot
// recorded it, then checks that it stays there. A writer step running when the execution
// stopped can still land its write until its function times out (Step Functions does not
// cancel it), so the route is read again once that step must have ended, and restored again
// if needed. Never leaves a half-shifted route without saying so.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Deployment } from '../../functions/commons/deployment.ts';
import { inFlightDeadline } from '../../functions/commons/history.ts';
import type { Aws } from '../aws.ts';
import { CommandFailed, exitCodes } from '../errors.ts';
import { activeStates, outcomeOf, preparedDeployment } from '../execution.ts';
import { deploymentEvents, fullHistory, sleep, type Target } from '../follow.ts';
import { targetsText } from '../render.ts';
import { atSnapshot, type Context, resolveExecution, routeText, user } from './context.ts';

export interface AbortOptions {
  restore?: boolean;
  stateMachineArn?: string;
  rollbackFunctionArn?: string;
  /** How long a writer step's function can run: the template's Timeout (30 s) plus a margin. */
  writerTimeoutMs?: number;
}

const RESTORE_ATTEMPTS = 2;

async function invokeRollback(aws: Aws, functionArn: string, deployment: Deployment, reason: string): Promise<void> {
  const out = await aws.lambda().send(new InvokeCommand({
    FunctionName: functionArn, InvocationType: 'RequestResponse',
    Payload: new TextEncoder().encode(JSON.stringify({ deployment, reason })),
  }));
  if (out.FunctionError) {
    let why = out.FunctionError;
    try {
      const body = JSON.parse(new TextDecoder().decode(out.Payload));
      why = `${body.errorType ?? out.FunctionError}: ${body.errorMessage ?? ''}`;
    } catch {
      // keep the bare FunctionError
    }
    throw new CommandFailed(`the rollback function failed: ${why}. The route may not be at its snapshot: someone must act`);
  }
}

export async function abort(ctx: Context, ref: string, options: AbortOptions): Promise<number> {
  const { arn, aws, description } = await resolveExecution(ctx, ref, options.stateMachineArn);
  const name = description.name ?? arn;
  const by = user();
  const reason = `aborted by ${by} via mesh-canary abort`;

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

  // The history is final once the execution stopped: the prepare step's snapshot is in it, or never was.
  const history = await fullHistory(aws.sfn(), arn);
  const deployment = preparedDeployment(history);
  if (!deployment) {
    const message = `${stoppedAt ? `stopped ${name} at ${stoppedAt}` : `${name} ended`} before its prepare step took a snapshot: the route was never changed`;
    if (ctx.json) ctx.result({ action: stoppedAt ? 'aborted' : 'checked', executionArn: arn, stopped: Boolean(stoppedAt), restored: null, reason: message });
    else ctx.say(message);
    return exitCodes.ok;
  }

  const functionArn = options.rollbackFunctionArn ?? await ctx.stack(aws).rollbackFunctionArn();
  const snapshot = deployment.snapshot.weightedTargets;
  const deadline = inFlightDeadline(history, options.writerTimeoutMs ?? 35_000);
  let restores = 0;
  let waitedMs = 0;
  let now: { restored: boolean; targets: Target[] } | undefined;
  for (let attempt = 1; attempt <= RESTORE_ATTEMPTS; attempt++) {
    now = await atSnapshot(aws, deployment);
    if (!now.restored) {
      await invokeRollback(aws, functionArn, deployment, reason);
      restores++;
      now = await atSnapshot(aws, deployment);
    }
    // The rollback released the lock, so a running step that has not checked it yet cannot
    // write; one that already has can, until its function times out. Wait that out, look again.
    const left = deadline ? deadline.getTime() - Date.now() : 0;
    if (left <= 0) break;
    if (!ctx.json) ctx.say(`waiting up to ${Math.ceil(left / 1000)} s for the step that was running (it can still write until its function times out)`);
    await sleep(left);
    waitedMs += left;
    now = await atSnapshot(aws, deployment);
    if (now.restored) break;
  }

  const route = routeText(deployment.route);
  if (!now!.restored) {
    throw new CommandFailed(`route ${route} is NOT at its snapshot after ${restores} restores: it has ${targetsText(now!.targets)}, `
      + `the snapshot is ${targetsText(snapshot)}. Something else writes to it: someone must act`);
  }
  if (ctx.json) {
    ctx.result({ action: stoppedAt ? 'aborted' : 'restored', executionArn: arn, stopped: Boolean(stoppedAt), stoppedAt, restored: true, restores, route: deployment.route, weightedTargets: now!.targets });
  } else {
    const what = stoppedAt ? `aborted ${name} (it was at ${stoppedAt})` : `${name} had ended ${description.status}`;
    const how = restores ? `restored to its snapshot` : `already at its snapshot`;
    ctx.say(`${what}; route ${route} ${how}: ${targetsText(now!.targets)}${waitedMs ? ` (checked again after the running step's timeout)` : ' (no step was running at the stop)'}`);
  }
  return exitCodes.ok;
}
