// Follows a mesh-canary execution through its history and turns Step Functions events into
// deployment events: shifts, verdicts, the approval wait and its answer, promotion, rollback,
// the end. Used by the demo and the CLI's watch and report; pure over the history, plus one
// polling loop that rides out reads AWS fails for a moment (cli/retry.ts).
import {
  DescribeExecutionCommand, type DescribeExecutionCommandOutput, type HistoryEvent, type SFNClient,
} from '@aws-sdk/client-sfn';
import { fullHistory } from '../functions/commons/history.ts';
import { backendOf, type Backend } from '../functions/commons/routers/index.ts';
import type { Target } from '../functions/commons/weights.ts';
import { approvalStates, machineErrors, states } from '../functions/commons/states.ts';
import { isMultiRoute, releasesOf, releaseTargetsIn, type RouteRelease, type RouteTargets } from './release.ts';
import { retryReads, sleep, type RetryNotice } from './retry.ts';

export { sleep };

export { fullHistory };

/** A route's target as the CLI shows it: neutral, whatever the backend (routers/types.ts). */
export type { Target };
export type { RouteTargets };

/**
 * A deployment with several routes: each route's targets (`routes`, in input order) beside
 * `weightedTargets`/`snapshot`, which then hold all routes' targets in one list. Absent for one route.
 */
interface PerRoute {
  routes?: RouteTargets[];
}

/** Why a multi-route deployment was rolled back or halted: the error the machine caught, and the route it names, if any. */
export interface StepFailure {
  error: string;
  cause?: string;
  /** The label of the route the error's message names (drift on one route, a write refused on one). */
  route?: string;
}

export type DeploymentEvent =
  | { kind: 'started'; at: Date; input: any }
  | ({ kind: 'prepared'; at: Date; snapshot: Target[] } & PerRoute)
  | {
    kind: 'verdict'; at: Date; verdict: string; weight: number; decision: string; reasons: string[]; waitSeconds?: number;
    /** Passing verdicts so far at this weight, and failing ones in a row (the gate's counters after this verdict). */
    passes?: number; consecutiveFailures?: number;
    /** The share the gate moves to next, with decision "advance". */
    nextWeight?: number;
    /** The verdict's hooks (healthChecks.hooks), each with its own verdict. */
    hooks?: Record<string, string>;
  }
  | ({ kind: 'shift'; at: Date; weight: number; weightedTargets: Target[] } & PerRoute)
  | { kind: 'awaiting-approval'; at: Date }
  | { kind: 'approval'; at: Date; answer: 'approved' | 'rejected' | 'timed-out'; by?: string; reason?: string }
  | ({ kind: 'promoted'; at: Date; weightedTargets: Target[] } & PerRoute)
  | ({ kind: 'rolled-back'; at: Date; summary: string; weightedTargets: Target[]; failure?: StepFailure } & PerRoute)
  /** Someone changed the weights by hand and onDrift is "halt": the route is left as they set it. */
  | ({ kind: 'halted'; at: Date; summary: string; weightedTargets: Target[]; failure?: StepFailure } & PerRoute)
  | { kind: 'ended'; at: Date; status: string; error?: string; cause?: string; output?: any };

const parse = (s: string | undefined) => {
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

const isApprovalTask = (resource: string | undefined) => resource?.includes('waitForTaskToken') ?? false;

/**
 * Deployment events for the history events given (in order). A state whose output is not
 * shaped as expected (a newer machine, a failed step) is skipped rather than breaking the view.
 */
export function deploymentEvents(history: HistoryEvent[]): DeploymentEvent[] {
  const out: DeploymentEvent[] = [];
  const byId = new Map(history.map((e) => [e.id, e]));
  // Step results carry targets in the route's backend format: its codec reads them. With several
  // routes, each route's backend reads its entry of the ReleaseTargets.
  let backend: Backend | undefined;
  let routes: RouteRelease[] | undefined;
  for (const [i, e] of history.entries()) {
    const at = e.timestamp ?? new Date();
    switch (e.type) {
      case 'ExecutionStarted': {
        const input = parse(e.executionStartedEventDetails?.input);
        backend = backendOf(input?.route);
        routes = isMultiRoute(input) ? releasesOf(input) : undefined;
        out.push({ kind: 'started', at, input });
        continue;
      }
      case 'TaskScheduled':
        if (isApprovalTask(e.taskScheduledEventDetails?.resource)) out.push({ kind: 'awaiting-approval', at });
        continue;
      case 'TaskSucceeded':
        if (isApprovalTask(e.taskSucceededEventDetails?.resource)) {
          const answer = parse(e.taskSucceededEventDetails?.output);
          out.push({ kind: 'approval', at, answer: 'approved', by: typeof answer?.by === 'string' ? answer.by : undefined });
        }
        continue;
      case 'TaskFailed':
        // A failed request-approval invocation is retried by the machine; only a person's answer counts.
        if (isApprovalTask(e.taskFailedEventDetails?.resource) && e.taskFailedEventDetails?.error === machineErrors.Rejected) {
          out.push({ kind: 'approval', at, answer: 'rejected', reason: e.taskFailedEventDetails?.cause || undefined });
        }
        continue;
      case 'TaskTimedOut':
        if (isApprovalTask(e.taskTimedOutEventDetails?.resource)) out.push({ kind: 'approval', at, answer: 'timed-out' });
        continue;
      case 'ExecutionSucceeded':
        out.push({ kind: 'ended', at, status: 'SUCCEEDED', output: parse(e.executionSucceededEventDetails?.output) });
        continue;
      case 'ExecutionFailed':
        out.push({ kind: 'ended', at, status: 'FAILED', error: e.executionFailedEventDetails?.error, cause: e.executionFailedEventDetails?.cause });
        continue;
      case 'ExecutionAborted':
        out.push({ kind: 'ended', at, status: 'ABORTED', error: e.executionAbortedEventDetails?.error || undefined, cause: e.executionAbortedEventDetails?.cause || undefined });
        continue;
      case 'ExecutionTimedOut':
        out.push({ kind: 'ended', at, status: 'TIMED_OUT', error: e.executionTimedOutEventDetails?.error, cause: e.executionTimedOutEventDetails?.cause });
        continue;
    }
    if (!e.type?.endsWith('StateExited')) continue;
    // A task whose error a Catch handled exits too, with the state as it was before it: only a
    // task that succeeded says something new.
    const before = (e.previousEventId ? byId.get(e.previousEventId) : undefined) ?? history[i - 1];
    if (e.type === 'TaskStateExited' && before?.type !== 'TaskSucceeded') continue;
    const state = parse(e.stateExitedEventDetails?.output);
    backend ??= backendOf(state?.deployment?.route);
    if (!routes && !backend && isMultiRoute(state?.deployment)) routes = releasesOf(state.deployment);
    const event = routes ? multiRouteEvent(e.stateExitedEventDetails?.name, state, at, routes) : stateEvent(e.stateExitedEventDetails?.name, state, at, backend);
    if (event) out.push(event);
  }
  return out;
}

/** The targets of a snapshot as the backend stores it (weightedTargets, in the backend's target shape), or undefined. */
export function snapshotTargets(snapshot: unknown, backend: Backend | undefined): Target[] | undefined {
  if (!backend || !snapshot || typeof snapshot !== 'object') return undefined;
  try {
    const { targets } = backend.codec.snapshotIn(snapshot);
    return Array.isArray(targets) ? targets : undefined;
  } catch {
    return undefined;
  }
}

function stateEvent(name: string | undefined, state: any, at: Date, backend: Backend | undefined): DeploymentEvent | undefined {
  /** Targets from a step's result, or undefined when they cannot be read (no known backend, not a list). */
  const targets = (wire: unknown): Target[] | undefined => (backend && Array.isArray(wire) ? backend.codec.targetsIn(wire) : undefined);
  switch (name) {
    case states.Prepare: {
      const snapshot = snapshotTargets(state?.deployment?.snapshot, backend);
      return snapshot ? { kind: 'prepared', at, snapshot } : undefined;
    }
    case states.CheckHealth:
    case approvalStates.MonitorCheck: {
      const p = state?.gate?.progress;
      if (!p || typeof state.gate.verdict !== 'string') return undefined;
      const last = p.history?.at(-1);
      return {
        kind: 'verdict', at, verdict: state.gate.verdict, weight: last?.weight ?? p.weight, decision: p.decision,
        reasons: last?.reasons ?? [], waitSeconds: p.waitSeconds, passes: p.passes, consecutiveFailures: p.consecutiveFailures, nextWeight: p.nextWeight,
        ...(last?.hooks && typeof last.hooks === 'object' ? { hooks: last.hooks as Record<string, string> } : {}),
      };
    }
    case states.Shift:
      return state?.lastShift ? { kind: 'shift', at, weight: state.lastShift.weight, weightedTargets: targets(state.lastShift.weightedTargets) ?? [] } : undefined;
    case states.Promote:
      return state?.promotion ? { kind: 'promoted', at, weightedTargets: targets(state.promotion.weightedTargets) ?? [] } : undefined;
    case states.Rollback:
    case states.HaltOnDrift:
      if (!state?.rollback) return undefined;
      return { kind: name === states.Rollback ? 'rolled-back' : 'halted', at, summary: state.rollback.summary, weightedTargets: targets(state.rollback.weightedTargets) ?? [] };
  }
  return undefined;
}

/** The snapshot of each route of a multi-route deployment: each entry's own, else the release's ReleaseTargets. */
export function routeSnapshots(deployment: unknown, routes: readonly RouteRelease[]): RouteTargets[] | undefined {
  const d = deployment as { routes?: unknown[]; snapshot?: { weightedTargets?: unknown } } | undefined;
  const own = routes.map((r, i) => {
    const entry = Array.isArray(d?.routes) ? d.routes[i] as { snapshot?: unknown } | undefined : undefined;
    const targets = snapshotTargets(entry?.snapshot, r.backend);
    return targets ? { label: r.label, targets } : undefined;
  });
  if (own.every((x) => x !== undefined)) return own as RouteTargets[];
  const release = releaseTargetsIn(d?.snapshot?.weightedTargets, routes);
  return release && release.length === routes.length ? release : undefined;
}

/** The error a Catch put at $.error, and the route its message names. */
function failureOf(error: unknown, routes: readonly RouteRelease[]): StepFailure | undefined {
  const e = error as { Error?: unknown; Cause?: unknown } | undefined;
  if (typeof e?.Error !== 'string') return undefined;
  const cause = typeof e.Cause === 'string' ? e.Cause : undefined;
  let message = cause;
  try {
    const parsed = cause ? JSON.parse(cause) : undefined;
    if (typeof parsed?.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // not JSON: the cause as it is
  }
  // The route the message names first (the route writer puts the deciding route's label first, the
  // others after "also"); of two labels found at one place, the longer (one may begin the other).
  const found = message ? routes.filter((r) => r.label !== '?' && message.includes(r.label)) : [];
  const route = found.sort((a, b) => message!.indexOf(a.label) - message!.indexOf(b.label) || b.label.length - a.label.length)[0]?.label;
  return { error: e.Error, ...(message ? { cause: message } : {}), ...(route ? { route } : {}) };
}

/** The deployment events of a multi-route deployment's states: each route's targets, and all of them in one list. */
function multiRouteEvent(name: string | undefined, state: any, at: Date, routes: readonly RouteRelease[]): DeploymentEvent | undefined {
  const per = (wire: unknown) => releaseTargetsIn(wire, routes);
  const all = (rs: RouteTargets[]) => rs.flatMap((r) => r.targets);
  switch (name) {
    case states.Prepare: {
      const snapshot = routeSnapshots(state?.deployment, routes);
      return snapshot ? { kind: 'prepared', at, snapshot: all(snapshot), routes: snapshot } : undefined;
    }
    case states.Shift: {
      if (!state?.lastShift) return undefined;
      const rs = per(state.lastShift.weightedTargets) ?? [];
      return { kind: 'shift', at, weight: state.lastShift.weight, weightedTargets: all(rs), routes: rs };
    }
    case states.Promote: {
      if (!state?.promotion) return undefined;
      const rs = per(state.promotion.weightedTargets) ?? [];
      return { kind: 'promoted', at, weightedTargets: all(rs), routes: rs };
    }
    case states.Rollback:
    case states.HaltOnDrift: {
      if (!state?.rollback) return undefined;
      const rs = per(state.rollback.weightedTargets) ?? [];
      const failure = failureOf(state.error, routes);
      return {
        kind: name === states.Rollback ? 'rolled-back' : 'halted', at, summary: String(state.rollback.summary ?? ''), weightedTargets: all(rs), routes: rs,
        ...(failure ? { failure } : {}),
      };
    }
    default:
      // Verdicts and the rest read the same for one route or several.
      return stateEvent(name, state, at, undefined);
  }
}

/** What one poll saw: for views that redraw from the whole state rather than from new events. */
export interface Poll {
  description: DescribeExecutionCommandOutput;
  history: HistoryEvent[];
  events: DeploymentEvent[];
}

export interface FollowOptions {
  /** Time between polls (default 250 ms). */
  intervalMs?: number;
  /** Stops following (between polls); follow then returns the last description, still RUNNING. */
  signal?: AbortSignal;
  /** Called after every poll, before the new events are passed on. */
  onPoll?: (poll: Poll) => void;
  /**
   * Called while reads fail transiently and are being retried (throttling, 5xx, a dropped
   * connection), and with undefined once they work again. Reads that fail for longer than the
   * retry bound end `follow` with AwsNotAnswering.
   */
  onRetry?: (notice: RetryNotice | undefined) => void;
}

/**
 * Calls `onEvent` for each deployment event as it happens, until the execution ends (the last
 * event is always one `ended`); returns its final description.
 */
export async function follow(sfn: SFNClient, executionArn: string, onEvent: (e: DeploymentEvent) => void,
  options: FollowOptions = {}): Promise<DescribeExecutionCommandOutput> {
  const reads = retryReads(sfn);
  const stopListening = options.onRetry ? reads.onNotice(options.onRetry) : undefined;
  const stopRetrying = options.signal ? reads.stopOn(options.signal) : undefined;
  try {
    return await pollUntilEnd(sfn, executionArn, onEvent, options);
  } finally {
    stopListening?.();
    stopRetrying?.();
  }
}

async function pollUntilEnd(sfn: SFNClient, executionArn: string, onEvent: (e: DeploymentEvent) => void,
  options: FollowOptions): Promise<DescribeExecutionCommandOutput> {
  let seen = 0;
  let last: DescribeExecutionCommandOutput | undefined;
  for (;;) {
    let description: DescribeExecutionCommandOutput;
    let history: HistoryEvent[];
    try {
      description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      history = await fullHistory(sfn, executionArn);
    } catch (error) {
      // Stopped (Ctrl-C) while AWS was not answering: as when stopped between polls.
      if (options.signal?.aborted && last) return last;
      throw error;
    }
    last = description;
    const ended = description.status !== 'RUNNING';
    let events = deploymentEvents(history);
    // The end comes from the description: the history read a moment later may lag behind it.
    events = events.filter((e) => e.kind !== 'ended');
    if (ended) {
      events.push({
        kind: 'ended', at: description.stopDate ?? new Date(), status: description.status!,
        error: description.error || undefined, cause: description.cause || undefined, output: parse(description.output),
      });
    }
    options.onPoll?.({ description, history, events });
    for (const e of events.slice(seen)) onEvent(e);
    seen = events.length;
    if (ended || options.signal?.aborted) return description;
    await sleep(options.intervalMs ?? 250, options.signal);
  }
}

