// Strategies as plans: the stages a deployment goes through, and the gate that decides, after
// each health verdict, what happens next. Pure: the state machines carry the progress, the
// check-health step computes the next one, and nothing here talks to AWS.

/** A health verdict on the canary (health.ts gives it; the gate decides on it). */
export type Verdict = 'pass' | 'fail' | 'inconclusive';

// The strategy's shape and defaults are the input contract's (input.ts): re-exported for the gate's users.
import { DEFAULT_CHECK_INTERVAL, strategyTypes, type Strategy, type StrategyType } from './input.ts';

export { DEFAULT_CHECK_INTERVAL, strategyTypes, type Strategy, type StrategyType };

/** A weight the canary holds, how many passing verdicts it needs there, and the wait before each. */
export interface Stage {
  weight: number;
  /** Passing verdicts needed before moving on; null: never moves on by itself (waits for approval). */
  checks: number | null;
  waitSeconds: number;
}

export function planOf(s: Strategy): Stage[] {
  switch (s.type) {
    case 'linear': {
      const stages: Stage[] = [];
      for (let w = s.stepPercent; ; w += s.stepPercent) {
        stages.push({ weight: Math.min(w, 100), checks: 1, waitSeconds: s.intervalSeconds });
        if (w >= 100) return stages;
      }
    }
    case 'step-then-all': {
      const interval = s.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL;
      return [{ weight: s.canaryPercent, checks: Math.max(1, Math.ceil(s.bakeSeconds / interval)), waitSeconds: interval }];
    }
    case 'manual-approval':
      return [{ weight: s.canaryPercent, checks: null, waitSeconds: s.checkIntervalSeconds ?? DEFAULT_CHECK_INTERVAL }];
  }
}

/**
 * What follows a verdict. `refuse`: the baseline verdict, before any change, failed (as often in
 * a row as failureThreshold says): the deployment does not start and the route is not touched.
 */
export type Decision = 'advance' | 'wait' | 'promote' | 'rollback' | 'refuse';

export interface HistoryEntry {
  at: string;
  weight: number;
  verdict: Verdict;
  decision: Decision;
  /** Why, for verdicts that were not a plain pass. */
  reasons?: string[];
}

/** What the state machine carries between steps. */
export interface Progress {
  /** Index of the stage the canary is in; -1 before the first shift. */
  stage: number;
  /** The canary's share now (percent of the pool). */
  weight: number;
  /** Passing verdicts in the current stage. */
  passes: number;
  consecutiveFailures: number;
  checks: number;
  decision?: Decision;
  /** With "advance": the share to set next. */
  nextWeight?: number;
  /** Seconds to wait before the next verdict. */
  waitSeconds?: number;
  /** With "rollback" or "refuse": why, for the execution's failure cause. */
  reason?: string;
  /**
   * Traffic verification (issue 13), with trafficVerification only: the share the last shift set,
   * when that shift settles (shift + settle time; the measuring starts there and the hold's
   * maxWaitSeconds count from there) and when its split was verified. One object, replaced at each shift.
   */
  traffic?: TrafficProgress;
  history: HistoryEntry[];
}

export interface TrafficProgress {
  weight: number;
  /** ISO time the shift settles. */
  since: string;
  /** A verdict at this share held for the split: the one that verifies it waits a whole interval before verdicts count. */
  held?: boolean;
  /** ISO time of the verdict that verified the split at `weight`; absent: the gate holds. */
  verifiedAt?: string;
}

/** What check-health measured of the split (traffic.ts), for a gate that is holding. */
export interface TrafficMeasure {
  /** Every route's canary has its share within the tolerance. */
  verified: boolean;
  /** The measured split of the routes that are not there yet (the rollback's reason when time runs out). */
  measured: string[];
}

/** Whether the gate holds for traffic verification: a shift was made and its split is not verified yet. */
export const trafficUnverified = (p: Progress): boolean =>
  p.stage >= 0 && p.traffic !== undefined && p.traffic.verifiedAt === undefined && p.traffic.weight === p.weight;

export const initialProgress = (): Progress => ({ stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] });

export interface GatePolicy {
  /** Consecutive failing verdicts that trigger rollback (1: the first). */
  failureThreshold: number;
  /** How an inconclusive verdict counts. */
  inconclusive: 'fail' | 'pass';
  /**
   * Seconds a shift takes to reach traffic (settle.ts): the first wait after a shift lasts at
   * least this long, so the verdict after it judges the new split. 0 or absent: no settle.
   */
  settleSeconds?: number;
  /**
   * Traffic verification (the input's trafficVerification, defaults applied): absent, no
   * verification. windowSeconds bounds the hold's wait; maxWaitSeconds, counted from the
   * shift settling, is how long the gate holds before it rolls back.
   */
  traffic?: { windowSeconds: number; maxWaitSeconds: number; tolerancePercent: number };
}

const MAX_HISTORY = 100;

/** The next progress after a verdict: advance, keep waiting, promote, or roll back. */
export function gate(plan: Stage[], policy: GatePolicy, progress: Progress, verdict: Verdict, reasons: string[], now: Date,
  traffic?: TrafficMeasure): Progress {
  // Before the first shift the canary has no traffic, so too little data is expected there: an
  // inconclusive baseline never blocks the start. A failing one does (nothing has changed yet).
  const failed = verdict === 'fail' || (verdict === 'inconclusive' && policy.inconclusive === 'fail' && progress.stage >= 0);
  const stage = plan[Math.max(progress.stage, 0)];
  const next: Progress = { ...progress, checks: progress.checks + 1, nextWeight: undefined, reason: undefined };
  const holding = policy.traffic !== undefined && trafficUnverified(progress);

  if (holding && traffic?.verified && verdict !== 'fail') {
    next.traffic = { ...progress.traffic!, verifiedAt: now.toISOString() };
    if (progress.traffic!.held) {
      // Verified after a hold: the canary has had its share for less than a step's interval, and
      // checks with longer windows still saw the old split. Wait a whole interval before verdicts
      // at this share count (a lag must not shorten the bake); this one counts neither way.
      next.decision = 'wait';
      next.waitSeconds = stage.waitSeconds;
      return record(next, progress, verdict, reasons, now);
    }
    // Verified by the first verdict after the shift: it counts as usual, as do the later ones at this share.
  } else if (holding && verdict !== 'fail') {
    // Not verified yet: the verdict judged (at least partly) the old split. It counts neither as a
    // pass nor as a failure, under either inconclusive policy: too little traffic is never a pass.
    const t = policy.traffic!;
    const since = Date.parse(progress.traffic!.since);
    const measured = traffic?.measured.join('; ') || 'not measured';
    if (now.getTime() - since >= t.maxWaitSeconds * 1000) {
      next.decision = 'rollback';
      next.reason = `the traffic split never reached ${progress.weight}% ± ${t.tolerancePercent} on the canary within ${t.maxWaitSeconds} s of the shift settling: ${measured}`;
    } else {
      next.decision = 'wait';
      next.traffic = { ...progress.traffic!, held: true };
      // The stage's own wait, but at least half a window (so a hold is not a tight loop) and at most
      // a window, and never past the deadline, so the rollback comes on time.
      const deadline = Math.ceil((since + t.maxWaitSeconds * 1000 - now.getTime()) / 1000);
      next.waitSeconds = Math.max(1, Math.min(Math.max(stage.waitSeconds, Math.ceil(t.windowSeconds / 2)), t.windowSeconds, deadline));
    }
    return record(next, progress, verdict, reasons, now);
  }

  if (failed) {
    next.consecutiveFailures = progress.consecutiveFailures + 1;
    const inARow = `${next.consecutiveFailures} failing verdict${next.consecutiveFailures > 1 ? 's' : ''} in a row (threshold ${policy.failureThreshold})`;
    if (next.consecutiveFailures >= policy.failureThreshold && progress.stage < 0) {
      // Nothing has changed yet: there is nothing to roll back, and the deployment does not start.
      next.decision = 'refuse';
      next.reason = `the baseline verdict, taken before any traffic moved to the canary, failed: ${inARow}: ${reasons.join('; ') || verdict}`;
    } else if (next.consecutiveFailures >= policy.failureThreshold) {
      next.decision = 'rollback';
      next.reason = `the canary at ${progress.weight}% had ${inARow}: ${reasons.join('; ') || verdict}`;
    } else {
      next.decision = 'wait';
      next.waitSeconds = stage.waitSeconds;
    }
  } else {
    next.consecutiveFailures = 0;
    const passes = progress.stage < 0 ? 0 : progress.passes + 1;
    const stageDone = progress.stage < 0 || (stage.checks !== null && passes >= stage.checks);
    if (!stageDone) {
      next.passes = passes;
      next.decision = 'wait';
      next.waitSeconds = stage.waitSeconds;
    } else if (progress.stage + 1 >= plan.length) {
      next.passes = passes;
      next.decision = 'promote';
    } else {
      const upcoming = plan[progress.stage + 1];
      next.stage = progress.stage + 1;
      next.passes = 0;
      next.decision = 'advance';
      next.nextWeight = upcoming.weight;
      next.weight = upcoming.weight;
      // The settle time rides on the wait the machine takes anyway: no extra state, no extra invocation.
      next.waitSeconds = Math.max(upcoming.waitSeconds, policy.settleSeconds ?? 0);
      if (policy.traffic) {
        // The shift is written right after this verdict: it settles settleSeconds later.
        next.traffic = { weight: upcoming.weight, since: new Date(now.getTime() + (policy.settleSeconds ?? 0) * 1000).toISOString() };
      }
    }
  }
  return record(next, progress, verdict, reasons, now);
}

function record(next: Progress, progress: Progress, verdict: Verdict, reasons: string[], now: Date): Progress {
  const entry: HistoryEntry = { at: now.toISOString(), weight: progress.weight, verdict, decision: next.decision! };
  if (verdict !== 'pass' && reasons.length) entry.reasons = reasons;
  next.history = [...progress.history, entry].slice(-MAX_HISTORY);
  return clean(next);
}

function clean(p: Progress): Progress {
  for (const k of Object.keys(p) as (keyof Progress)[]) if (p[k] === undefined) delete p[k];
  return p;
}

/**
 * An upper bound on how long a deployment can run: every stage's verdicts, each possibly
 * preceded by tolerated failures, the settle time the first wait of each stage may be stretched
 * to, the traffic verification's hold at each stage (trafficMaxWaitSeconds), the approval wait, and an hour for retries. The route's lock lives this long.
 */
export function maxDurationSeconds(s: Strategy, failureThreshold: number, settleSeconds = 0, trafficMaxWaitSeconds = 0): number {
  const stages = planOf(s).reduce((sum, st) => sum + st.waitSeconds * (st.checks ?? 1) * failureThreshold
    + Math.max(0, settleSeconds - st.waitSeconds) + trafficMaxWaitSeconds, 0);
  const approval = s.type === 'manual-approval' ? s.approvalTimeoutSeconds : 0;
  return Math.min(stages + approval + 3600, 366 * 86_400);
}
