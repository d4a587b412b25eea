// What every command gets (output streams, style, AWS clients, the stack) and the lookups
// several commands share: which execution the user means, and what a route holds now.
import { userInfo } from 'node:os';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { AnyDeployment } from '../../functions/commons/input.ts';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { backendOf, routeLabelOf, routerFor, type Backend } from '../../functions/commons/routers/index.ts';
import { awsClients, type Aws, type AwsOptions } from '../aws.ts';
import { CommandFailed, UsageError } from '../errors.ts';
import { EXECUTION_NAME, executionArnOf, parseExecutionArn } from '../execution.ts';
import type { Target } from '../follow.ts';
import type { Out, Style } from '../render.ts';
import { routeParts } from '../../functions/commons/release.ts';
import { isMultiRoute, releasesOf } from '../release.ts';
import { machineOutputs, Stack } from '../stack.ts';
import type { RouteAfter } from '../view.ts';

export interface Io {
  stdout: Out;
  stderr: Out;
  /** Aborted on Ctrl-C. Commands that stop gracefully on it call `graceful()` first. */
  signal: AbortSignal;
  graceful(): void;
}

export interface CommonOptions extends AwsOptions {
  output: 'text' | 'json';
  stackName?: string;
}

export interface Context {
  io: Io;
  style: Style;
  options: CommonOptions;
  json: boolean;
  /** AWS clients; `arnRegion` is the region of an ARN the user gave, used unless --region says otherwise. */
  aws(arnRegion?: string): Aws;
  stack(aws: Aws): Stack;
  /** Prints a line to stdout (text output only). */
  say(line?: string): void;
  /** Prints the command's one JSON object to stdout (json output only). */
  result(value: unknown): void;
}

export function makeContext(io: Io, style: Style, options: CommonOptions): Context {
  const json = options.output === 'json';
  return {
    io, style, options, json,
    aws: (arnRegion) => awsClients(options, arnRegion),
    stack: (aws) => new Stack(aws, options.stackName),
    say: (line = '') => {
      if (!json) io.stdout.write(`${line}\n`);
    },
    result: (value) => {
      if (json) io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/** Who is acting, for approvals and abort causes. */
export function user(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown user';
  }
}

export interface ResolvedExecution {
  arn: string;
  aws: Aws;
  description: DescribeExecutionCommandOutput;
}

const notFound = (e: unknown) => (e as Error).name === 'ExecutionDoesNotExist';

/**
 * The execution the user means: a full execution ARN, or a name started on --state-machine-arn
 * or on one of the stack's three machines.
 */
export async function resolveExecution(ctx: Context, ref: string, stateMachineArn?: string): Promise<ResolvedExecution> {
  if (ref.startsWith('arn:')) {
    const parts = parseExecutionArn(ref);
    if (!parts) throw new UsageError(`${ref} is not an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME)`);
    const aws = ctx.aws(parts.region);
    try {
      return { arn: ref, aws, description: await aws.sfn().send(new DescribeExecutionCommand({ executionArn: ref })) };
    } catch (e) {
      if (notFound(e)) throw new CommandFailed(`no execution ${ref} (wrong region or account?)`);
      throw e;
    }
  }
  if (!EXECUTION_NAME.test(ref)) throw new UsageError(`"${ref}" is neither an execution ARN nor an execution name`);
  const aws = ctx.aws(stateMachineArn ? stateMachineArn.split(':')[3] : undefined);
  const stack = ctx.stack(aws);
  const machines = stateMachineArn ? [stateMachineArn] : await Promise.all(Object.keys(machineOutputs).map((s) => stack.machineArn(s as keyof typeof machineOutputs)));
  const found: ResolvedExecution[] = [];
  for (const machine of machines) {
    const arn = executionArnOf(machine, ref);
    try {
      found.push({ arn, aws, description: await aws.sfn().send(new DescribeExecutionCommand({ executionArn: arn })) });
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }
  if (found.length === 0) {
    throw new CommandFailed(`no execution named ${ref} on ${stateMachineArn ?? `the state machines of stack ${stack.name}`}; pass its full ARN`);
  }
  if (found.length > 1) throw new UsageError(`${ref} names executions of ${found.length} state machines; pass the full ARN: ${found.map((f) => f.arn).join(', ')}`);
  return found[0];
}

export interface RouteNow {
  kind: string;
  version?: unknown;
  targets: Target[];
  /** The route's label, its words, and how its backend writes targets (for --output json). */
  backend: Backend;
}

export const routeText = (r: unknown): string => routeLabelOf(r) ?? JSON.stringify(r);

/** The route's weighted targets as its backend has them now (read through its router). */
export async function readRoute(aws: Aws, route: unknown): Promise<RouteNow> {
  const router = routerFor({ route }, aws.routers());
  let state;
  try {
    state = await router.read();
  } catch (e) {
    // The router names AWS's error in its own terms; the CLI says it in the user's, from AWS's.
    const cause = (e as { cause?: unknown }).cause;
    if ((e as Error).name === 'RouteNotFound') throw new CommandFailed(`route ${router.label} not found: ${cause instanceof Error ? cause.message : (e as Error).message}`);
    // A read the CLI's retries gave up on keeps its own error (its exit code and wording).
    if (cause instanceof Error && 'exitCode' in cause) throw cause;
    throw e;
  }
  return { kind: state.kind, version: router.codec.revisionOut(state.revision), targets: state.targets, backend: backendOf(route)! };
}

/**
 * Whether the route holds what undoing the deployment gives (other targets stay as people set
 * them meanwhile). With several routes, every route is read (concurrently), each against its own
 * snapshot: restored only when all are; `targets` then holds all routes' targets in one list.
 */
export async function atSnapshot(aws: Aws, deployment: AnyDeployment): Promise<{ restored: boolean; targets: Target[]; routes?: RouteAfter[] }> {
  const writer = new RouteWriter({ routers: aws.routers() });
  if (isMultiRoute(deployment)) {
    const labels = releasesOf(deployment).map((r) => r.label);
    const nows = await Promise.all(routeParts(deployment).map((d) => writer.undoneNow(d)));
    const routes = nows.map((now, i) => ({ label: labels[i], targets: now.targets, restored: now.undone }));
    return { restored: routes.every((r) => r.restored), targets: routes.flatMap((r) => r.targets), routes };
  }
  const now = await writer.undoneNow(deployment);
  return { restored: now.undone, targets: now.targets };
}
