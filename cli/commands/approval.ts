// mesh-canary approve / reject: finds the approval the execution waits for in its history and
// answers it. The task token never leaves this process (it is a credential).
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { machineErrors } from '../../functions/commons/states.ts';
import { CommandFailed, exitCodes } from '../errors.ts';
import { activeStates, outcomeOf, pendingApproval, preparedDeployment } from '../execution.ts';
import { fullHistory } from '../follow.ts';
import { isMultiRoute, releaseOf, releasesOf } from '../release.ts';
import { type Context, resolveExecution, routeText, user } from './context.ts';

export async function answerApproval(ctx: Context, ref: string, answer: { approve: boolean; reason?: string; stateMachineArn?: string }): Promise<number> {
  const { arn, aws, description } = await resolveExecution(ctx, ref, answer.stateMachineArn);
  const name = description.name ?? arn;
  if (description.status !== 'RUNNING') {
    throw new CommandFailed(`execution ${name} is not waiting for approval: it ended ${description.status} (${outcomeOf(description).kind})`);
  }
  const history = await fullHistory(aws.sfn(), arn);
  const pending = pendingApproval(history);
  if (!pending) {
    const at = activeStates(history).map((s) => s.name).join(' > ') || 'no state yet';
    throw new CommandFailed(`execution ${name} is not waiting for approval: it is at state ${at}`);
  }
  const by = user();
  const deployment = preparedDeployment(history);
  try {
    if (answer.approve) {
      await aws.sfn().send(new SendTaskSuccessCommand({ taskToken: pending.token, output: JSON.stringify({ approved: true, by }) }));
    } else {
      await aws.sfn().send(new SendTaskFailureCommand({ taskToken: pending.token, error: machineErrors.Rejected, cause: answer.reason ?? `rejected by ${by}` }));
    }
  } catch (e) {
    const err = e as Error;
    // The wait ended between reading the history and answering (timeout, alarm, someone else).
    if (['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes(err.name)) {
      throw new CommandFailed(`execution ${name} is no longer waiting for approval (${err.name}); see mesh-canary watch ${arn}`);
    }
    throw e;
  }
  const action = answer.approve ? 'approved' : 'rejected';
  const release = releaseOf(deployment);
  // Several routes: every canary on every route, promoted or rolled back together.
  const routes = isMultiRoute(deployment) ? releasesOf(deployment) : undefined;
  const what = routes ? `${routes.map((r) => `${r.canary ?? '?'} on ${r.label}`).join(', ')}` : deployment ? `${release.canary ?? '?'} on ${routeText(deployment.route)}` : name;
  if (ctx.json) {
    const about = routes
      ? { routes: routes.map((r) => ({ route: r.route, canary: r.canary, ...r.wire })) }
      : deployment ? { canary: release.canary, ...release.wire, route: deployment.route } : {};
    ctx.result({ action, executionArn: arn, by, ...(answer.approve ? {} : { reason: answer.reason ?? `rejected by ${by}` }), ...about });
  } else {
    ctx.say(answer.approve
      ? `${ctx.style.green('approved')} ${what}: ${routes ? 'they will be promoted together' : 'it will be promoted'} (execution ${name})`
      : `${ctx.style.red('rejected')} ${what}: ${routes ? 'every route goes back to its snapshot' : 'the route goes back to its snapshot'} (execution ${name})`);
  }
  return exitCodes.ok;
}
