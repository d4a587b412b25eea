// The watch view: a pure model of where a deployment is (route, weights, step, what it is doing,
// what comes next and when, the verdicts, the outcome) built from the execution's history, and
// its two renderings: a frame redrawn in place on a terminal, and one plain line per event.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { approvalStates as approval, machineErrors, states } from '../functions/commons/states.ts';
import { planOf, type Strategy } from '../functions/commons/strategy.ts';
import { activeStates, outcomeOf, readableCause, type Outcome } from './execution.ts';
import { routeLabelOf } from '../functions/commons/routers/index.ts';
import { isMultiRoute, releaseOf, releasesOf, type RouteRelease, type RouteTargets } from './release.ts';
import { settleNote, settleSecondsOf } from '../functions/commons/settle.ts';
import { deploymentEvents, type DeploymentEvent, type Target } from './follow.ts';
import { bar, duration, padEnd, padStart, targetsText, visibleLength, weightTable, type Style } from './render.ts';

export type VerdictEvent = Extract<DeploymentEvent, { kind: 'verdict' }>;

export interface ExecutionState {
  /** From DescribeExecution. */
  description: { name?: string; executionArn?: string; status?: string; startDate?: Date; stopDate?: Date; error?: string; cause?: string };
  history: HistoryEvent[];
  /** The route's targets read by the CLI after the end (how an abort left it), when known; with several routes, each route's too. */
  routeAfter?: { targets: Target[]; restored: boolean; routes?: RouteAfter[] };
}

/** How an abort left one route of several: its targets, and whether they are what undoing the deployment gives. */
export interface RouteAfter extends RouteTargets {
  restored: boolean;
}

/** One route of a multi-route deployment in the watch view. */
export interface RouteView {
  label: string;
  stable?: string;
  canary?: string;
  targetWord?: string;
  /** The route's weighted targets as last written (or read, after an abort). */
  targets?: Target[];
  /** The canary's share of this route's stable+canary pool, 0-100. */
  canaryWeight: number;
  /** Set when the route's share is not the one the release gave it at the last step (drift, a partial write, an abort). */
  diverged?: Divergence;
}

/** A moment where one route's canary share was not the release's. */
export interface Divergence {
  at: Date;
  label: string;
  /** The canary's share on this route. */
  share: number;
  /** The share the release gave every route then (after a rollback or an abort: the route's snapshot share). */
  expected: number;
  /**
   * What showed it: a step's result, or the route read after an abort. 'partial-step': a halt
   * found the route at the share of the step that was being written (that step moved it before
   * it failed on another route), not changed by hand.
   */
  when: 'shift' | 'promoted' | 'rolled-back' | 'halted' | 'partial-step' | 'after-abort';
}

export interface Upcoming {
  label: string;
  at: Date;
  /** What follows if it goes well: "75% if it passes". */
  then?: string;
}

export interface WatchView {
  name: string;
  status: string;
  route?: string;
  /** The stable and the canary as the route's backend names them (a virtual node, a target group ID). */
  stable?: string;
  canary?: string;
  strategyText: string;
  startedAt: Date;
  elapsedMs: number;
  /** The route's weighted targets as last written (or read, after an abort). */
  targets?: Target[];
  /** What the route's backend calls a target ("virtual node"), for the table's header. */
  targetWord?: string;
  /** The canary's share of the stable+canary pool, 0-100 (with several routes: the release's, which every route should have). */
  canaryWeight: number;
  /** A deployment with several routes: each route, in input order (then route, stable, canary, targets are unset). */
  routes?: RouteView[];
  step: string;
  activity: string;
  upcoming: Upcoming[];
  /** Seconds each shift takes to reach traffic (0: none), and why, as `watch` and the report say it. */
  settle: { seconds: number; note: string };
  /** Running, and the last shift has not settled yet: until when no verdict counts. */
  settlingUntil?: Date;
  verdicts: VerdictEvent[];
  /** The approval wait, when the strategy has one: since when, and the answer once given. */
  approval?: { since: Date; answer?: Extract<DeploymentEvent, { kind: 'approval' }> };
  outcome?: Outcome;
  events: DeploymentEvent[];
}


/** 5 s, 10 min, 1 h, or 4m 05s: for configured intervals. */
export function seconds(n: number): string {
  if (n < 60) return `${n} s`;
  if (n % 3600 === 0) return `${n / 3600} h`;
  if (n % 60 === 0) return `${n / 60} min`;
  return duration(n * 1000);
}

export function strategyText(s: Strategy | undefined): string {
  switch (s?.type) {
    case 'linear':
      return `linear, +${s.stepPercent}% every ${seconds(s.intervalSeconds)}`;
    case 'step-then-all':
      return `step-then-all, ${s.canaryPercent}% for ${seconds(s.bakeSeconds)} (a verdict every ${seconds(s.checkIntervalSeconds ?? 60)}), then 100%`;
    case 'manual-approval':
      return `manual-approval, ${s.canaryPercent}% until a person answers (up to ${seconds(s.approvalTimeoutSeconds)}, then ${s.onApprovalTimeout ?? 'rollback'})`;
    default:
      return 'unknown strategy';
  }
}

/** Where the canary is in its plan: "step 2/4 at 50%", "baking at 20%: 1/3 passing verdicts". */
function stepText(strategy: Strategy | undefined, events: DeploymentEvent[]): string {
  const last = (kind: DeploymentEvent['kind']) => events.findLast((e) => e.kind === kind);
  if (last('promoted')) return 'promoted: the canary has all of the stable\'s traffic';
  if (last('rolled-back')) return 'rolled back to the snapshot';
  if (last('halted')) return 'halted: the weights were changed by hand and left as they are';
  const shift = last('shift') as Extract<DeploymentEvent, { kind: 'shift' }> | undefined;
  const weight = shift?.weight ?? 0;
  if (!shift) return last('prepared') ? 'baseline verdict at 0%, before any change' : 'starting';
  if (!strategy) return `at ${weight}%`;
  const plan = planOf(strategy);
  switch (strategy.type) {
    case 'linear': {
      const i = plan.findIndex((s) => s.weight === weight);
      return `step ${i + 1}/${plan.length} at ${weight}%`;
    }
    case 'step-then-all': {
      const needed = plan[0].checks ?? 1;
      const verdict = events.findLast((e): e is VerdictEvent => e.kind === 'verdict' && e.at >= shift.at);
      return `baking at ${weight}%: ${verdict?.passes ?? 0}/${needed} passing verdicts, then 100%`;
    }
    case 'manual-approval': {
      const answer = last('approval') as Extract<DeploymentEvent, { kind: 'approval' }> | undefined;
      if (answer) return `at ${weight}%: ${answer.answer === 'approved' ? `approved${answer.by ? ` by ${answer.by}` : ''}` : answer.answer === 'rejected' ? 'rejected' : 'no answer in time'}`;
      return `at ${weight}%, held for approval`;
    }
  }
}

function activityText(names: string[], nextWeight: number | undefined): string {
  const has = (n: string) => names.includes(n);
  if (has(states.Rollback)) return 'rolling back to the snapshot';
  if (has(states.HaltOnDrift) || has(states.OnDrift)) return 'the weights were changed by hand: halting';
  if (has(states.Promote)) return 'promoting the canary';
  if (has(approval.RequestApproval) || has(approval.AwaitApproval)) return has(approval.MonitorCheck) ? 'waiting for approval (checking health)' : 'waiting for approval';
  if (has(states.Shift)) return `shifting to ${nextWeight ?? '?'}%`;
  if (has(states.CheckHealth)) return 'checking health';
  if (has(states.Wait)) return 'waiting for the next verdict';
  if (has(states.Prepare)) return 'validating the input and taking the snapshot';
  return names.at(-1) ?? 'starting';
}

/** What the next passing verdict leads to: "75% if it passes", "promote if it passes"; '' when it only counts. */
function nextStepText(strategy: Strategy | undefined, events: DeploymentEvent[]): string {
  if (!strategy || strategy.type === 'manual-approval') return '';
  const shift = events.findLast((e) => e.kind === 'shift');
  if (!shift || shift.kind !== 'shift') return '';
  const plan = planOf(strategy);
  const stage = plan.findIndex((s) => s.weight === shift.weight);
  if (stage < 0) return '';
  const passes = (events.findLast((e): e is VerdictEvent => e.kind === 'verdict' && e.at >= shift.at)?.passes ?? 0);
  if (passes + 1 < (plan[stage].checks ?? Infinity)) return '';
  const next = plan[stage + 1];
  return next ? `${next.weight}% if it passes` : `${strategy.type === 'step-then-all' ? '100% and ' : ''}promote if it passes`;
}

/** The canary's share of the stable+canary pool in these targets, 0-100. */
export function canaryShare(targets: Target[], release: { stable?: string; canary?: string }): number {
  const pool = targets.filter((t) => t.id === release.canary || t.id === release.stable);
  const total = pool.reduce((s, t) => s + t.weight, 0);
  return total ? Math.round((100 * (pool.find((t) => t.id === release.canary)?.weight ?? 0)) / total) : 0;
}

const routeRelease = (releases: readonly RouteRelease[], label: string) => releases.find((r) => r.label === label) ?? { stable: undefined, canary: undefined };

/**
 * Where a route of a multi-route deployment did not have the release's share: after a shift
 * (the step's share), a promotion (100), a rollback (its snapshot's share), a halt on drift (the
 * share of the last shift), and after an abort (not restored). One entry per route and moment.
 */
export function divergences(events: readonly DeploymentEvent[], releases: readonly RouteRelease[], routeAfter?: ExecutionState['routeAfter']): Divergence[] {
  const out: Divergence[] = [];
  const snapshotShare = new Map<string, number>();
  let lastShift: number | undefined;
  // The share the step after the last verdict writes (advance: its next share, promote: 100).
  let inFlight: number | undefined;
  let lastAt: Date | undefined;
  for (const e of events) {
    lastAt = e.at;
    if (e.kind === 'verdict') inFlight = e.decision === 'advance' ? e.nextWeight : e.decision === 'promote' ? 100 : undefined;
    if (e.kind === 'prepared') {
      for (const r of e.routes ?? []) snapshotShare.set(r.label, canaryShare(r.targets, routeRelease(releases, r.label)));
      continue;
    }
    if (e.kind !== 'shift' && e.kind !== 'promoted' && e.kind !== 'rolled-back' && e.kind !== 'halted') continue;
    for (const r of e.routes ?? []) {
      const atSnapshot = snapshotShare.get(r.label) ?? 0;
      const expected = e.kind === 'shift' ? e.weight : e.kind === 'promoted' ? 100 : e.kind === 'rolled-back' ? atSnapshot : lastShift ?? atSnapshot;
      const share = canaryShare(r.targets, routeRelease(releases, r.label));
      if (share === expected) continue;
      // Halted mid-step: a route the step already moved is not one someone changed by hand.
      const partial = e.kind === 'halted' && share === inFlight && r.label !== e.failure?.route;
      out.push({ at: e.at, label: r.label, share, expected, when: partial ? 'partial-step' : e.kind });
    }
    if (e.kind === 'shift') [lastShift, inFlight] = [e.weight, undefined];
  }
  for (const r of routeAfter?.routes ?? []) {
    if (!r.restored) out.push({ at: lastAt ?? new Date(0), label: r.label, share: canaryShare(r.targets, routeRelease(releases, r.label)), expected: snapshotShare.get(r.label) ?? 0, when: 'after-abort' });
  }
  return out;
}

/** The share every route has, or undefined when they differ (or there are none). */
function commonShare(routes: readonly RouteTargets[], releases: readonly RouteRelease[]): number | undefined {
  const shares = new Set(routes.map((r) => canaryShare(r.targets, routeRelease(releases, r.label))));
  return shares.size === 1 ? [...shares][0] : undefined;
}

/** The routes of a multi-route deployment as the view shows them, and the release's share. */
function routeViews(state: ExecutionState, events: readonly DeploymentEvent[], releases: readonly RouteRelease[]): { routes: RouteView[]; canaryWeight: number } {
  let latest: RouteTargets[] | undefined;
  let canaryWeight = 0;
  for (const e of events) {
    if (e.kind === 'prepared') latest = e.routes ?? latest;
    if (e.kind === 'shift') [latest, canaryWeight] = [e.routes ?? latest, e.weight];
    if (e.kind === 'promoted') [latest, canaryWeight] = [e.routes ?? latest, 100];
    if (e.kind === 'rolled-back') [latest, canaryWeight] = [e.routes ?? latest, 0];
    // Left as the person set them: where they all are, or the release's share when they differ.
    if (e.kind === 'halted') [latest, canaryWeight] = [e.routes ?? latest, commonShare(e.routes ?? [], releases) ?? canaryWeight];
  }
  const after = state.routeAfter?.routes;
  if (after) [latest, canaryWeight] = [after, commonShare(after, releases) ?? canaryWeight];
  // A divergence shows while it is the latest word on the route: the last step's result, or the read after an abort.
  const found = divergences(events, releases, state.routeAfter);
  const lastWrite = events.findLast((e) => (e.kind === 'shift' || e.kind === 'promoted' || e.kind === 'rolled-back' || e.kind === 'halted') && e.routes);
  const current = after ? found.filter((x) => x.when === 'after-abort') : found.filter((x) => x.when !== 'after-abort' && x.at === lastWrite?.at);
  return {
    canaryWeight,
    routes: releases.map((r) => {
      const targets = latest?.find((t) => t.label === r.label)?.targets;
      const diverged = current.find((x) => x.label === r.label);
      return {
        label: r.label, stable: r.stable, canary: r.canary, targetWord: r.backend?.words.target,
        ...(targets ? { targets } : {}), canaryWeight: targets ? canaryShare(targets, r) : 0,
        ...(diverged ? { diverged } : {}),
      };
    }),
  };
}

/** The model of the watch view at `now`. */
export function watchView(state: ExecutionState, now: Date): WatchView {
  const { description: d, history } = state;
  const events = deploymentEvents(history);
  const started = events.find((e) => e.kind === 'started') as Extract<DeploymentEvent, { kind: 'started' }> | undefined;
  const input = started?.input ?? {};
  const release = releaseOf(input);
  const releases = isMultiRoute(input) ? releasesOf(input) : undefined;
  const strategy: Strategy | undefined = input.strategy?.type ? { ...input.strategy } : undefined;
  const startedAt = d.startDate ?? started?.at ?? now;
  const ended = d.status !== undefined && d.status !== 'RUNNING';
  const verdicts = events.filter((e): e is VerdictEvent => e.kind === 'verdict');
  const lastVerdict = verdicts.at(-1);

  let targets: Target[] | undefined;
  let canaryWeight = 0;
  for (const e of events) {
    if (e.kind === 'prepared') targets = e.snapshot;
    if (e.kind === 'shift') [targets, canaryWeight] = [e.weightedTargets, e.weight];
    if (e.kind === 'promoted') [targets, canaryWeight] = [e.weightedTargets, 100];
    if (e.kind === 'rolled-back') [targets, canaryWeight] = [e.weightedTargets, 0];
    if (e.kind === 'halted') [targets, canaryWeight] = [e.weightedTargets, canaryShare(e.weightedTargets, release)];
  }
  if (state.routeAfter) [targets, canaryWeight] = [state.routeAfter.targets, canaryShare(state.routeAfter.targets, release)];
  const multi = releases ? routeViews(state, events, releases) : undefined;
  if (multi) [targets, canaryWeight] = [undefined, multi.canaryWeight];

  const active = ended ? [] : activeStates(history);
  const upcoming: Upcoming[] = [];
  const since = (name: string) => active.findLast((s) => s.name === name)?.since;
  const after = (t: Date, s: number) => new Date(t.getTime() + s * 1000);
  const waitStart = since(states.Wait);
  if (waitStart && lastVerdict?.waitSeconds !== undefined) {
    const then = nextStepText(strategy, events);
    upcoming.push({ label: 'next verdict', at: after(waitStart, lastVerdict.waitSeconds), ...(then ? { then } : {}) });
  }
  const monitorStart = since(approval.MonitorWait);
  // MonitorWait waits the gate's wait: the check interval, or the settle time after the shift.
  if (monitorStart && strategy?.type === 'manual-approval') upcoming.push({ label: 'next health check', at: after(monitorStart, lastVerdict?.waitSeconds ?? strategy.checkIntervalSeconds ?? 60) });
  const asked = events.findLast((e) => e.kind === 'awaiting-approval');
  if (asked && since(approval.RequestApproval) && strategy?.type === 'manual-approval') {
    upcoming.push({ label: `approval deadline (then ${strategy.onApprovalTimeout ?? 'rollback'})`, at: after(asked.at, strategy.approvalTimeoutSeconds) });
  }

  const settle = { seconds: settleSecondsOf(input), note: settleNote(input) };
  const lastShift = events.findLast((e) => e.kind === 'shift');
  const settledAt = lastShift && settle.seconds > 0 ? after(lastShift.at, settle.seconds) : undefined;
  const settlingUntil = !ended && settledAt && settledAt > now && !events.some((e) => e.at > lastShift!.at && e.kind !== 'verdict' && e.kind !== 'awaiting-approval')
    ? settledAt : undefined;

  const answer = events.findLast((e) => e.kind === 'approval') as Extract<DeploymentEvent, { kind: 'approval' }> | undefined;
  const firstAsked = events.find((e) => e.kind === 'awaiting-approval');

  return {
    name: d.name ?? d.executionArn?.split(':').at(-1) ?? '',
    status: d.status ?? 'UNKNOWN',
    route: routeLabelOf(input.route),
    targetWord: release.backend?.words.target,
    stable: release.stable,
    canary: release.canary,
    strategyText: `${strategyText(strategy)}${settle.seconds > 0 ? `, settling ${seconds(settle.seconds)} after each shift` : ''}`,
    startedAt,
    elapsedMs: (ended ? d.stopDate ?? now : now).getTime() - startedAt.getTime(),
    targets,
    canaryWeight,
    ...(multi ? { routes: multi.routes } : {}),
    step: stepText(strategy, events),
    activity: ended ? 'ended' : activityText(active.map((s) => s.name), lastVerdict?.nextWeight),
    upcoming,
    settle,
    ...(settlingUntil ? { settlingUntil } : {}),
    verdicts,
    approval: firstAsked ? { since: firstAsked.at, answer } : undefined,
    outcome: ended ? outcomeOf(d, state.routeAfter?.restored, releases?.length ?? 1) : undefined,
    events,
  };
}

const verdictMark = (v: string, style: Style) => (v === 'pass' ? style.green('pass') : v === 'fail' ? style.red('FAIL') : style.yellow(v));

/** A verdict's hooks, each with its verdict: "hooks smoke pass, share-limit FAIL" (empty without hooks). */
export function hooksText(hooks: Record<string, string> | undefined, style: Style): string {
  const entries = Object.entries(hooks ?? {});
  return entries.length ? `hooks ${entries.map(([name, v]) => `${name} ${verdictMark(v, style)}`).join(', ')}` : '';
}

function outcomeMark(o: Outcome, style: Style): string {
  const label = o.kind.toUpperCase();
  if (o.kind === 'promoted') return style.green(style.bold(label));
  if (o.kind === 'rolled back' || o.kind === 'aborted' || o.kind === 'halted') return style.yellow(style.bold(label));
  return style.red(style.bold(label));
}

/** The frame the live view redraws: header, bars, step, what happens next, the last verdicts. */
export function renderFrame(v: WatchView, style: Style, now: Date, options: { verdictLines?: number; maxLines?: number; compact?: boolean } = {}): string[] {
  // Several routes' blocks can be taller than the terminal (which breaks redrawing in place): then one line per route.
  if (v.routes && options.maxLines !== undefined && !options.compact) {
    const full = renderFrame(v, style, now, { ...options, maxLines: undefined });
    if (full.length > options.maxLines) return renderFrame(v, style, now, { ...options, compact: true, maxLines: undefined });
    return full;
  }
  const statusText = v.outcome ? outcomeMark(v.outcome, style) : style.cyan(v.status);
  const head = `${style.bold('mesh-canary')}  ${v.name}  ${statusText}  ${style.dim(duration(v.elapsedMs))}`;
  const lines = v.routes ? [head, ...routeBlocks(v, v.routes, style, options.compact)] : [
    head,
    `${style.dim('route   ')} ${v.route ?? '?'}`,
    `${style.dim('release ')} ${v.stable ?? '?'} → ${style.yellow(v.canary ?? '?')}   ${style.dim(v.strategyText)}`,
    '',
  ];
  if (v.routes) {
    // the routes' blocks are above
  } else if (v.targets?.length) {
    lines.push(...weightTable(v.targets, style, { highlight: v.canary, word: v.targetWord }).map((l) => `  ${l}`));
  } else {
    lines.push(style.dim('  (the route\'s weights appear once the snapshot is taken)'));
  }
  lines.push('');
  lines.push(`${style.dim('step    ')} ${v.step}`);
  if (v.outcome) {
    const detail = v.outcome.kind === 'promoted'
      ? `in ${duration(v.elapsedMs)}${v.routes ? `: all ${v.routes.length} routes` : v.targets ? `: ${targetsText(v.targets)}` : ''}`
      : v.outcome.summary.replace(/^(rolled back:?|aborted;|aborted,|halted on drift:)\s*/, '');
    lines.push(`${style.dim('outcome ')} ${outcomeMark(v.outcome, style)} ${detail}`.trimEnd());
  } else {
    const next = v.upcoming.map((u) => `${u.label} in ${duration(u.at.getTime() - now.getTime())}${u.then ? `, then ${u.then}` : ''}`).join(' · ');
    const settling = v.settlingUntil ? ` · ${style.yellow(settlingText(v.settlingUntil, v.settle.note))}` : '';
    lines.push(`${style.dim('now     ')} ${v.activity}${settling}${next ? ` · ${next}` : ''}`);
  }
  if (v.approval) {
    const rel = (t: Date) => `+${duration(t.getTime() - v.startedAt.getTime())}`;
    const a = v.approval.answer;
    const text = a
      ? `${a.answer === 'approved' ? style.green(`approved${a.by ? ` by ${a.by}` : ''}`) : a.answer === 'rejected' ? style.red(`rejected${a.reason ? `: ${a.reason}` : ''}`) : style.yellow('no answer in time')} at ${rel(a.at)}`
      : v.outcome
        ? `asked at ${rel(v.approval.since)}, not answered`
        : `asked at ${rel(v.approval.since)}; answer with  mesh-canary approve ${v.name}  or  mesh-canary reject ${v.name} --reason TEXT`;
    lines.push(`${style.dim('approval')} ${text}`);
  }
  const counts = ['pass', 'fail', 'inconclusive'].map((k) => `${v.verdicts.filter((x) => x.verdict === k).length} ${k}`).join(' · ');
  lines.push(`${style.dim('verdicts')} ${v.verdicts.length ? counts : 'none yet'}`);
  for (const x of v.verdicts.slice(-(options.verdictLines ?? 5))) {
    const hooks = hooksText(x.hooks, style);
    const reasons = x.reasons.length || hooks ? `  ${[hooks, style.dim(x.reasons.join('; '))].filter(Boolean).join('  ')}` : '';
    lines.push(`  ${style.dim(padStart(`+${duration(x.at.getTime() - v.startedAt.getTime())}`, 9))}  ${padStart(`${x.weight}%`, 4)}  ${padStart(verdictMark(x.verdict, style), 4)} → ${x.decision}${reasons}`);
  }
  return lines;
}

/** How a divergence reads beside its route: "at 40%, not the release's 25%", "NOT at its snapshot". */
export function divergenceText(x: Divergence): string {
  switch (x.when) {
    case 'after-abort':
      return `NOT at its snapshot (canary at ${x.share}%, snapshot ${x.expected}%)`;
    case 'rolled-back':
      return `canary at ${x.share}% after the rollback, not its snapshot's ${x.expected}%`;
    case 'halted':
      return `changed by hand: canary at ${x.share}%, not the release's ${x.expected}%`;
    case 'partial-step':
      return `canary at ${x.share}%: the step to ${x.share}% moved this route before the release halted`;
    default:
      return `canary at ${x.share}%, not the release's ${x.expected}%`;
  }
}

/** The header of a multi-route deployment's frame and one block per route: its label, stable → canary, and its weighted targets as bars. */
function routeBlocks(v: WatchView, routes: readonly RouteView[], style: Style, compact = false): string[] {
  const lines = [
    `${style.dim('routes  ')} ${routes.length}, moved together: every route at the same canary share`,
    `${style.dim('release ')} ${style.dim(v.strategyText)}`,
  ];
  if (compact) {
    // One line per route: its canary's share as a bar, its targets as text.
    lines.push('');
    const width = Math.max(...routes.map((r) => visibleLength(r.label)));
    for (const r of routes) {
      const mark = r.diverged ? `  ${style.red(divergenceText(r.diverged))}` : '';
      const shares = r.targets?.length ? `${padStart(`${r.canaryWeight}%`, 4)} ${style.yellow(bar(r.canaryWeight / 100, 20))}  ${targetsText(r.targets)}` : style.dim('(weights once the snapshot is taken)');
      lines.push(`  ${padEnd(r.label, width)}  ${shares}${mark}`);
    }
    return lines;
  }
  for (const r of routes) {
    lines.push('');
    const mark = r.diverged ? `   ${style.red(divergenceText(r.diverged))}` : '';
    lines.push(`  ${style.bold(r.label)}  ${r.stable ?? '?'} → ${style.yellow(r.canary ?? '?')}${mark}`);
    if (r.targets?.length) lines.push(...weightTable(r.targets, style, { highlight: r.canary, word: r.targetWord }).map((l) => `    ${l}`));
    else lines.push(style.dim('    (the route\'s weights appear once the snapshot is taken)'));
  }
  return lines;
}

/** "label: product-vn 75, product-v2-vn 25; label2: ...": each route's targets. */
export const routesText = (routes: readonly RouteTargets[]): string => routes.map((r) => `${r.label}: ${targetsText(r.targets)}`).join('; ');

/** A summary written one line per route, on one line. */
const oneLine = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');

/** "settling until 10:01:30 UTC (VPC Lattice applies weight changes in about 90 s)": no verdict counts before then. */
export const settlingText = (until: Date, note: string) => `settling until ${until.toISOString().slice(11, 19)} UTC (${note})`;

/** One event as a line of text (no time): for the plain output and the demo's log. */
export function eventText(e: DeploymentEvent, style: Style): string {
  switch (e.kind) {
    case 'started': {
      if (isMultiRoute(e.input)) {
        const rs = releasesOf(e.input);
        return `started: ${rs.length} routes: ${rs.map((r) => `${r.label} ${r.stable ?? '?'} → ${r.canary ?? '?'}`).join('; ')} (${strategyText(e.input.strategy as Strategy | undefined)})`;
      }
      const r = releaseOf(e.input);
      return `started: ${routeLabelOf(e.input?.route) ?? '?'} ${r.stable ?? '?'} → ${r.canary ?? '?'} (${strategyText(e.input?.strategy)})`;
    }
    case 'prepared':
      return `snapshot taken: ${e.routes ? routesText(e.routes) : targetsText(e.snapshot)}`;
    case 'verdict': {
      const to = e.decision === 'advance' && e.nextWeight !== undefined ? ` to ${e.nextWeight}%` : '';
      const hooks = hooksText(e.hooks, style);
      return `verdict at ${e.weight}%: ${verdictMark(e.verdict, style)} → ${e.decision}${to}${hooks ? `, ${hooks}` : ''}${e.reasons.length ? ` (${e.reasons.join('; ')})` : ''}`;
    }
    case 'shift':
      return `canary at ${e.weight}%: ${e.routes ? routesText(e.routes) : targetsText(e.weightedTargets)}`;
    case 'awaiting-approval':
      return 'waiting for approval (mesh-canary approve | reject); health checks keep running';
    case 'approval':
      if (e.answer === 'approved') return style.green(`approved${e.by ? ` by ${e.by}` : ''}`);
      if (e.answer === 'rejected') return style.red(`rejected${e.reason ? `: ${e.reason}` : ''}`);
      return style.yellow('nobody answered before the approval timeout');
    case 'promoted':
      return `${style.green('promoted')}: ${e.routes ? routesText(e.routes) : targetsText(e.weightedTargets)}`;
    case 'rolled-back':
      return `${style.yellow('rolled back')}: ${e.routes ? oneLine(e.summary) : e.summary}`;
    case 'halted':
      return `${style.yellow('halted on drift')}: ${e.routes ? oneLine(e.summary) : e.summary}`;
    case 'ended':
      return `execution ${e.status}${e.error ? ` with ${e.error}` : ''}${e.error && e.error !== machineErrors.CanaryRolledBack && e.cause ? `: ${readableCause(e.cause)}` : ''}`;
  }
}

/** "+12.3 s" relative to the execution's start, padded for a column. */
export const timeTag = (at: Date, start: Date) => padStart(`+${duration(at.getTime() - start.getTime())}`, 9);
