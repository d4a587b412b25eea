// mesh-canary start: validates the input file with the machine's own rules (a bad file starts
// nothing), finds the strategy's state machine, starts the execution and prints its ARN.
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { strategyTypes, type StrategyType } from '../../functions/commons/strategy.ts';
import { CommandFailed, exitCodes, UsageError } from '../errors.ts';
import { EXECUTION_NAME } from '../execution.ts';
import { readDeploymentInput } from '../input.ts';
import { isMultiRoute, releaseOf, releasesOf } from '../release.ts';
import { type Context, routeText } from './context.ts';
import { watchExecution } from './watch.ts';

export interface StartOptions {
  input?: string;
  name?: string;
  stateMachineArn?: string;
  wait?: boolean;
  pollSeconds?: number;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[^:]+$/;

/**
 * product-v15-vn-20261127-095312: readable, sortable, unique enough for one person's releases.
 * With several routes, the first route's canary and how many more:
 * product-v2-vn-and-1-more-20261127-095312. The canary is cut so the name fits Step
 * Functions' 80 characters; the count and the time are never cut.
 */
export function defaultExecutionName(canary: string, now = new Date(), moreRoutes = 0): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const tail = `${moreRoutes > 0 ? `-and-${moreRoutes}-more` : ''}-${stamp}`;
  return `${canary.slice(0, 80 - tail.length)}${tail}`;
}

export async function start(ctx: Context, strategy: string | undefined, options: StartOptions): Promise<number> {
  if (!strategy) throw new UsageError(`which strategy? mesh-canary start <${strategyTypes.join('|')}> --input FILE`);
  if (!(strategyTypes as readonly string[]).includes(strategy)) {
    throw new UsageError(`unknown strategy "${strategy}": choose ${strategyTypes.join(', ')}`);
  }
  const machine = strategy as StrategyType;
  if (!options.input) throw new UsageError('--input FILE is required: the deployment input (events/execution-*.json are examples)');
  if (options.stateMachineArn && !STATE_MACHINE_ARN.test(options.stateMachineArn)) {
    throw new UsageError(`--state-machine-arn ${options.stateMachineArn} is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`);
  }
  // Everything about the input is checked before any AWS call: a bad file starts nothing.
  const input = readDeploymentInput(options.input, machine);
  const routes = releasesOf(input);
  const multi = isMultiRoute(input);
  const canary = (multi ? routes[0]?.canary : releaseOf(input).canary) ?? 'canary';
  const name = options.name ?? defaultExecutionName(canary, new Date(), multi ? routes.length - 1 : 0);
  if (!EXECUTION_NAME.test(name)) throw new UsageError(`--name "${name}" is not a valid execution name (1-80 characters, no spaces or any of <>{}[]?*"#%\\^|~\`$&,;:/)`);

  const aws = ctx.aws(options.stateMachineArn?.split(':')[3]);
  const stateMachineArn = options.stateMachineArn ?? await ctx.stack(aws).machineArn(machine);
  let executionArn: string;
  try {
    const out = await aws.sfn().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    executionArn = out.executionArn!;
  } catch (e) {
    const err = e as Error;
    if (err.name === 'ExecutionAlreadyExists') throw new CommandFailed(`an execution named ${name} already exists on ${stateMachineArn}: choose another --name`);
    if (err.name === 'StateMachineDoesNotExist') throw new CommandFailed(`no state machine ${stateMachineArn}`);
    throw e;
  }

  if (ctx.json && !options.wait) {
    ctx.result({ executionArn, stateMachineArn, name });
    return exitCodes.ok;
  }
  if (!ctx.json) {
    // The ARN alone on stdout, so `ARN=$(mesh-canary start ...)` works; the rest is for people.
    ctx.say(executionArn);
    if (ctx.style.live && !options.wait) {
      const what = multi ? `${routes.map((r) => r.canary ?? '?').join(', ')} on ${routes.length} routes (${routes.map((r) => r.label).join(', ')})` : `${canary} on ${routeText(input.route)}`;
      ctx.io.stderr.write(ctx.style.dim(`started ${what} (${machine}). Follow it: mesh-canary watch ${executionArn}\n`));
    }
  }
  if (!options.wait) return exitCodes.ok;
  return watchExecution(ctx, aws, executionArn, { pollSeconds: options.pollSeconds });
}
