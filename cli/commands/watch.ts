// mesh-canary watch: follows an execution to its end. On a terminal, a frame redrawn in place
// (weights as bars, step, what comes next and when, the last verdicts); otherwise one plain
// line per event; with --output json, one object at the end. The exit code says how it ended.
// When AWS does not answer for a while (throttling, 5xx), it says so and keeps trying, up to
// the bound of cli/retry.ts; then it stops with exit 3, the deployment going on.
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { Aws } from '../aws.ts';
import { CommandFailed, exitCodes } from '../errors.ts';
import { outcomeOf, preparedDeployment, type Outcome } from '../execution.ts';
import { backendOf } from '../../functions/commons/routers/index.ts';
import { stopErrors } from '../../functions/commons/states.ts';
import { deploymentEvents, follow, fullHistory, type Poll, type Target } from '../follow.ts';
import { releaseOf, releasesOf, releaseTargetsOut, type Release } from '../release.ts';
import { LiveRegion } from '../render.ts';
import { AwsNotAnswering, NOTICE_AFTER_TRIES, NoticeLines, noticeText, type RetryNotice } from '../retry.ts';
import { eventText, renderFrame, timeTag, watchView, type ExecutionState, type WatchView } from '../view.ts';
import { atSnapshot, resolveExecution, type Context } from './context.ts';

export interface WatchOptions {
  /** Seconds between polls of the execution (default 1). */
  pollSeconds?: number;
}

export async function watch(ctx: Context, ref: string, options: WatchOptions & { stateMachineArn?: string }): Promise<number> {
  let resolved;
  try {
    resolved = await resolveExecution(ctx, ref, options.stateMachineArn);
  } catch (error) {
    if (error instanceof AwsNotAnswering) throw new CommandFailed(`${error.message}. The deployment is not affected. Again: mesh-canary watch ${ref}`, error.exitCode);
    throw error;
  }
  return watchExecution(ctx, resolved.aws, resolved.arn, options);
}

/**
 * How an ABORTED execution left the route: compared with the snapshot the prepare step took.
 * Undefined when it never got a snapshot or the route cannot be read.
 */
export async function routeAfterAbort(aws: Aws, state: Pick<ExecutionState, 'description' | 'history'>, alarmPathWaitMs = ALARM_PATH_WAIT_MS): Promise<ExecutionState['routeAfter']> {
  if (state.description.status !== 'ABORTED') return undefined;
  const deployment = preparedDeployment(state.history);
  if (!deployment) return undefined;
  // The alarm path restores right after its StopExecution: give it that moment before judging.
  const deadline = Date.now() + (state.description.error === stopErrors.AlarmFired ? alarmPathWaitMs : 0);
  try {
    for (;;) {
      const now = await atSnapshot(aws, deployment);
      if (now.restored || Date.now() >= deadline) return now;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch {
    return undefined;
  }
}

/** How long watch and report wait for the alarm path's restore after its stop (it takes about a second). */
export const ALARM_PATH_WAIT_MS = 30_000;

export async function watchExecution(ctx: Context, aws: Aws, executionArn: string, options: WatchOptions = {}): Promise<number> {
  const { io, style } = ctx;
  io.graceful();
  const intervalMs = Math.max(100, (options.pollSeconds ?? 1) * 1000);
  const live = !ctx.json && style.live;
  const region = new LiveRegion(io.stdout, live);
  // A frame taller than the terminal cannot be redrawn in place: several routes then take one line each.
  const frameOptions = () => (io.stdout.rows ? { maxLines: io.stdout.rows - 3 } : {});
  let last: Poll | undefined;
  let notice: RetryNotice | undefined;
  const draw = () => {
    const frame = last ? renderFrame(watchView(last, new Date()), style, new Date(), frameOptions()) : [];
    if (notice) frame.push('', style.yellow(noticeText(notice)));
    region.update(frame);
  };
  const reported = new NoticeLines((line) => (live ? undefined : ctx.json ? io.stderr.write(`${line}\n`) : ctx.say(line)));
  // Between polls the clock and the countdowns still move.
  const ticker = live ? setInterval(draw, 250) : undefined;
  const restoreCursor = () => region.close();
  process.once('exit', restoreCursor);

  let start: Date | undefined;
  let description: DescribeExecutionCommandOutput;
  try {
    if (!ctx.json && !live) ctx.say(`watching ${executionArn}`);
    description = await follow(aws.sfn(), executionArn, (e) => {
      if (ctx.json || live || e.kind === 'ended') return;
      start ??= last?.description.startDate ?? e.at;
      ctx.say(`${timeTag(e.at, start)}  ${eventText(e, style)}`);
    }, {
      intervalMs, signal: io.signal,
      onPoll: (poll) => {
        last = poll;
        draw();
      },
      onRetry: (n) => {
        notice = n && n.tries >= NOTICE_AFTER_TRIES ? n : undefined;
        reported.update(n);
        draw();
      },
    });
  } catch (error) {
    if (!(error instanceof AwsNotAnswering)) throw error;
    region.close();
    process.off('exit', restoreCursor);
    throw new CommandFailed(`${error.message}. Stopped watching; the deployment goes on. Again: mesh-canary watch ${executionArn}`, error.exitCode);
  } finally {
    if (ticker) clearInterval(ticker);
  }

  if (description.status === 'RUNNING') {
    region.close();
    process.off('exit', restoreCursor);
    io.stderr.write(`stopped watching; the deployment goes on. Again: mesh-canary watch ${executionArn}\n`);
    return exitCodes.interrupted;
  }

  const history = last?.history ?? await fullHistory(aws.sfn(), executionArn);
  const routeAfter = await routeAfterAbort(aws, { description, history });
  const state: ExecutionState = { description, history, routeAfter };
  const view = watchView(state, new Date());
  const outcome = view.outcome ?? outcomeOf(description, routeAfter?.restored);
  region.update(renderFrame(view, style, new Date(), frameOptions()));
  region.close();
  process.off('exit', restoreCursor);

  if (ctx.json && view.routes) {
    ctx.result(multiRouteResult(state, view, { executionArn, outcome }));
  } else if (ctx.json) {
    ctx.result({
      executionArn, name: view.name, status: description.status, outcome: outcome.kind, exitCode: outcome.exitCode,
      error: description.error, cause: description.cause, route: view.route, stable: view.stable, canary: view.canary, ...startedRelease(state).wire,
      strategy: view.strategyText, durationSeconds: view.elapsedMs / 1000, weightedTargets: wireTargets(state, view.targets),
      verdicts: view.verdicts.map((v) => ({ at: v.at, weight: v.weight, verdict: v.verdict, decision: v.decision, reasons: v.reasons, ...(v.hooks ? { hooks: v.hooks } : {}) })),
      ...(routeAfter ? { restored: routeAfter.restored } : {}),
    });
  } else if (!live) {
    ctx.say(`outcome: ${outcome.summary} (${description.status}, exit ${outcome.exitCode})`);
  }
  return outcome.exitCode;
}

/**
 * watch --output json for a deployment with several routes: each route (its label as `route`,
 * stable and canary, the input's own fields, its weighted targets in its backend's wire format,
 * its canary share, and where it diverged from the release's share), and all routes' targets as
 * ReleaseTargets, the format of the step results.
 */
function multiRouteResult(state: ExecutionState, view: WatchView, o: { executionArn: string; outcome: Outcome }): object {
  const started = deploymentEvents(state.history).find((e) => e.kind === 'started');
  const releases = releasesOf(started?.kind === 'started' ? started.input : undefined);
  const after = state.routeAfter?.routes;
  const routes = view.routes!.map((r) => {
    const release = releases.find((x) => x.label === r.label);
    const wire = r.targets && release?.backend ? release.backend.codec.targetsOut(r.targets) : r.targets;
    const restored = after?.find((x) => x.label === r.label)?.restored;
    return {
      route: r.label, stable: r.stable, canary: r.canary, ...release?.wire, weightedTargets: wire, canaryShare: r.canaryWeight,
      ...(r.diverged ? { diverged: { share: r.diverged.share, expected: r.diverged.expected, when: r.diverged.when } } : {}),
      ...(restored === undefined ? {} : { restored }),
    };
  });
  const { description: d } = state;
  return {
    executionArn: o.executionArn, name: view.name, status: d.status, outcome: o.outcome.kind, exitCode: o.outcome.exitCode,
    error: d.error, cause: d.cause, routes, strategy: view.strategyText, durationSeconds: view.elapsedMs / 1000, canaryShare: view.canaryWeight,
    weightedTargets: releaseTargetsOut(view.routes!.flatMap((r) => (r.targets ? [{ label: r.label, targets: r.targets }] : [])), releases),
    verdicts: view.verdicts.map((v) => ({ at: v.at, weight: v.weight, verdict: v.verdict, decision: v.decision, reasons: v.reasons, ...(v.hooks ? { hooks: v.hooks } : {}) })),
    ...(state.routeAfter ? { restored: state.routeAfter.restored } : {}),
  };
}

/** The stable and canary as the execution's input named them (its backend's fields, as given: App Mesh's stableNode, canaryNode). */
function startedRelease(state: ExecutionState): Release {
  const started = deploymentEvents(state.history).find((e) => e.kind === 'started');
  return releaseOf(started?.kind === 'started' ? started.input : undefined);
}

/** Targets as the route's backend writes them (App Mesh: {virtualNode, weight, port?}), as step results carry them. */
function wireTargets(state: ExecutionState, targets: Target[] | undefined): unknown[] | undefined {
  const started = deploymentEvents(state.history).find((e) => e.kind === 'started');
  const backend = backendOf(started?.kind === 'started' ? started.input?.route : undefined);
  return targets && backend ? backend.codec.targetsOut(targets) : targets;
}
