// What the CLI reads from an execution besides its deployment events: its ARN's parts, the
// approval it waits for, the deployment (with the snapshot) that the prepare step recorded,
// the states it is in now, and how it ended. Pure over the history.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { succeededExits } from '../functions/commons/history.ts';
import type { AnyDeployment } from '../functions/commons/input.ts';
import { backendOf } from '../functions/commons/routers/index.ts';
import { functionErrors as fe, machineErrors, states, stopErrors } from '../functions/commons/states.ts';
import { exitCodes } from './errors.ts';
import { routeSnapshots, snapshotTargets, type Target } from './follow.ts';
import { isMultiRoute, releasesOf } from './release.ts';

export interface ExecutionArnParts {
  partition: string;
  region: string;
  accountId: string;
  stateMachineName: string;
  name: string;
  stateMachineArn: string;
}

const EXECUTION_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):([0-9]{12}):execution:([^:]+):([^:]+)$/;

export function parseExecutionArn(arn: string): ExecutionArnParts | undefined {
  const m = EXECUTION_ARN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, accountId, stateMachineName, name] = m;
  return { partition, region, accountId, stateMachineName, name, stateMachineArn: `arn:${partition}:states:${region}:${accountId}:stateMachine:${stateMachineName}` };
}

/** The execution ARN of `name` started on `stateMachineArn`. */
/** Errors with which a machine ends before its first change (Prepare's refusals, the baseline's). */
const refusedBeforeAnyChange = new Set<string>([fe.InvalidInput, fe.DeploymentInProgress, fe.RouteNotFound, fe.VirtualNodeNotFound, fe.TargetGroupNotFound,
  fe.TargetNotInRoute, fe.UnsupportedRoute, fe.ControllerManagedRoute, machineErrors.BaselineUnhealthy, fe.HealthCheckMisconfigured]);
const refusalCause = /Nothing was changed: route .* was not touched|Refused before any change/;

export const executionArnOf = (stateMachineArn: string, name: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** Step Functions execution names: 1-80 characters, none of whitespace, brackets, wildcards or " # % \ ^ | ~ ` $ & , ; : / */
export const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export interface PendingApproval {
  /** The task token: a credential. Send it to Step Functions; never print or log it. */
  token: string;
  since: Date;
}

/**
 * The approval the execution waits for: the last task scheduled with .waitForTaskToken that
 * has no answer (succeeded, failed, timed out) or failure to start after it.
 */
export function pendingApproval(history: HistoryEvent[]): PendingApproval | undefined {
  const isApproval = (r: string | undefined) => r?.includes('waitForTaskToken') ?? false;
  let pending: PendingApproval | undefined;
  for (const e of history) {
    if (e.type === 'TaskScheduled' && isApproval(e.taskScheduledEventDetails?.resource)) {
      let token: unknown;
      try {
        token = JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}')?.Payload?.taskToken;
      } catch {
        token = undefined;
      }
      pending = typeof token === 'string' ? { token, since: e.timestamp ?? new Date() } : undefined;
      continue;
    }
    const resource = e.taskSucceededEventDetails?.resource ?? e.taskFailedEventDetails?.resource ?? e.taskTimedOutEventDetails?.resource
      ?? e.taskSubmitFailedEventDetails?.resource ?? e.taskStartFailedEventDetails?.resource;
    if (isApproval(resource) && ['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskSubmitFailed', 'TaskStartFailed'].includes(e.type ?? '')) pending = undefined;
    // The Parallel that waits for the answer ended (an alarm while waiting): nothing is pending.
    if (e.type === 'ParallelStateExited' || e.type === 'ParallelStateFailed' || e.type === 'ParallelStateAborted') pending = undefined;
  }
  return pending;
}

/**
 * The deployment object the Prepare state returned (input, defaults, snapshot), if it got that
 * far: one whose snapshot its route's backend can read (App Mesh's weightedTargets, VPC
 * Lattice's targetGroups). With several routes, one whose every route's snapshot can be read.
 * functions/commons/history.ts has an App Mesh-only copy for the guard.
 */
export function preparedDeployment(events: HistoryEvent[]): AnyDeployment | undefined {
  const exit = succeededExits(events, states.Prepare).at(-1);
  let d: AnyDeployment | undefined;
  try {
    d = JSON.parse(exit?.stateExitedEventDetails?.output ?? '{}')?.deployment;
  } catch {
    return undefined;
  }
  if (isMultiRoute(d)) {
    const routes = releasesOf(d);
    return routes.length > 0 && routes.every((r) => r.backend) && routeSnapshots(d, routes) ? d : undefined;
  }
  return d && snapshotTargets(d.snapshot, backendOf(d.route)) ? d : undefined;
}

export interface ActiveState {
  name: string;
  since: Date;
}

/** The states entered and not yet left, innermost last (a Parallel and its branches' states). */
export function activeStates(history: HistoryEvent[]): ActiveState[] {
  const active: ActiveState[] = [];
  for (const e of history) {
    const entered = e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined;
    if (entered) {
      active.push({ name: entered, since: e.timestamp ?? new Date() });
      continue;
    }
    const exited = e.type?.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined;
    if (exited) {
      const i = active.findLastIndex((s) => s.name === exited);
      // A Parallel that ends takes its branches' states (entered after it) with it.
      if (i >= 0) active.splice(i, e.type === 'ParallelStateExited' ? active.length - i : 1);
    }
    if (e.type?.startsWith('Execution') && e.type !== 'ExecutionStarted') active.length = 0;
  }
  return active;
}

/**
 * A failure cause as a person should read it. A Lambda task's cause is the function's error as
 * JSON ({errorType, errorMessage, trace}): only the message matters here.
 */
export function readableCause(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause);
    if (typeof parsed?.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the cause as it is
  }
  return cause;
}

export type OutcomeKind = 'running' | 'promoted' | 'rolled back' | 'halted' | 'rollback failed' | 'failed' | 'aborted' | 'timed out';

export interface Outcome {
  kind: OutcomeKind;
  exitCode: number;
  /** One line: what happened, and for failures, why. */
  summary: string;
}

/**
 * How an execution ended and the CLI's exit code for it. An ABORTED execution counts as
 * rolled back only when the route was checked and is back at its snapshot (`restored`; with
 * several routes, every route); one the alarm path stopped (error AlarmFired) is a rollback
 * named by its alarm. `routes`: how many routes the deployment has, for the wording.
 */
export function outcomeOf(d: { status?: string; error?: string; cause?: string }, restored?: boolean, routes = 1): Outcome {
  const many = routes > 1;
  const why = [d.error, readableCause(d.cause)].filter(Boolean).join(': ');
  switch (d.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return { kind: 'running', exitCode: exitCodes.ok, summary: 'running' };
    case 'SUCCEEDED':
      return { kind: 'promoted', exitCode: exitCodes.ok, summary: 'promoted' };
    case 'FAILED':
      if (d.error === machineErrors.CanaryRolledBack) {
        // The machine's cause already reads "rolled back because ...".
        const summary = d.cause?.startsWith('rolled back') ? d.cause : `rolled back: ${d.cause ?? machineErrors.CanaryRolledBack}`;
        return { kind: 'rolled back', exitCode: exitCodes.rolledBack, summary };
      }
      if (d.error === fe.RouteDriftDetected) {
        // The machine's cause says what changed and that the route was left as it is.
        return { kind: 'halted', exitCode: exitCodes.failed, summary: `halted on drift: ${readableCause(d.cause) ?? 'someone changed the route\'s weights by hand (onDrift: halt)'}` };
      }
      if (d.error === machineErrors.RollbackFailed) return { kind: 'rollback failed', exitCode: exitCodes.failed, summary: `ROLLBACK FAILED, someone must act: ${d.cause ?? ''}` };
      // Errors after the first change end in CanaryRolledBack: any other error came before it
      // (a refused input, BaselineUnhealthy, a health check that could not run at the baseline).
      if (refusedBeforeAnyChange.has(d.error ?? '') || refusalCause.test(d.cause ?? '')) return { kind: 'failed', exitCode: exitCodes.failed, summary: `failed before changing ${many ? 'any' : 'the'} route: ${why || 'no error given'}` };
      return {
        kind: 'failed', exitCode: exitCodes.failed,
        summary: `failed (${d.error ?? 'no error name'}): ${why || 'no cause given'}; ${many
          ? 'the abort guard restores every route that was changed: check them with mesh-canary routes --input'
          : 'the abort guard restores the route if it was changed: check it with mesh-canary routes'}`,
      };
    case 'ABORTED':
      if (d.error === stopErrors.AlarmFired) {
        // The alarm path stopped it: a rollback, named by its alarm (the cause: "alarm X went to ALARM at ...").
        const alarm = d.cause ?? 'an alarm it checks went to ALARM';
        if (restored === true) {
          return { kind: 'rolled back', exitCode: exitCodes.rolledBack, summary: `rolled back: ${alarm}; ${many ? `all ${routes} routes are back at their snapshots` : 'the route is back at its snapshot'}` };
        }
        return {
          kind: 'rolled back', exitCode: exitCodes.failed,
          summary: `rolled back on an alarm (${alarm}), but ${restored === false ? (many ? 'NOT every route is at its snapshot' : 'the route is NOT at its snapshot') : `${many ? 'the routes were' : 'the route was'} not checked`}: run mesh-canary abort --restore`,
        };
      }
      if (restored === true) return { kind: 'aborted', exitCode: exitCodes.rolledBack, summary: many ? `aborted; all ${routes} routes are back at their snapshots` : 'aborted; the route is back at its snapshot' };
      if (restored === false) {
        return { kind: 'aborted', exitCode: exitCodes.failed, summary: many ? 'aborted, and NOT every route is at its snapshot: run mesh-canary abort --restore' : 'aborted, and the route is NOT at its snapshot: run mesh-canary abort --restore' };
      }
      return { kind: 'aborted', exitCode: exitCodes.failed, summary: many ? 'aborted (routes not checked)' : 'aborted (route not checked)' };
    case 'TIMED_OUT':
      return { kind: 'timed out', exitCode: exitCodes.failed, summary: `timed out${why ? `: ${why}` : ''}` };
    default:
      return { kind: 'failed', exitCode: exitCodes.failed, summary: `ended ${d.status}${why ? `: ${why}` : ''}` };
  }
}
