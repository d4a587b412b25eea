// The deployment object: what a user asks for (DeploymentInput) plus what the prepare step
// records before any change (the snapshot). It travels from state to state unchanged.
import { Checker } from './check.ts';
import { appMeshLimits } from './routers/appmesh/index.ts';
import type { AppMeshRouteRef, AppMeshSnapshot } from './routers/appmesh/reference.ts';
import { routeKinds } from './routers/appmesh/route-spec.ts';
import { DEFAULT_CHECK_INTERVAL, strategyTypes, type Strategy, type StrategyType } from './strategy.ts';

const { maxTargets: MAX_TARGETS, maxWeight: MAX_WEIGHT } = appMeshLimits;

export type RouteRef = AppMeshRouteRef;

export const comparisons = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export type Comparison = (typeof comparisons)[number];
export const plainStatistics = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'] as const;
const PERCENTILE = /^p(100|[1-9][0-9]?(\.[0-9]{1,2})?)$/;

export interface MetricCheck {
  /** How the check is named in verdicts and logs. */
  name: string;
  namespace: string;
  metricName: string;
  dimensions?: Record<string, string>;
  /** Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99. */
  statistic: string;
  /** Look back this many seconds (a multiple of 60). */
  windowSeconds: number;
  /** The check fails when `statistic comparison threshold` holds, as a CloudWatch alarm would. */
  comparison: Comparison;
  threshold: number;
  /** Below this many samples in the window the check is inconclusive, not passing. Default 1. */
  minSampleCount?: number;
}

export interface HealthChecks {
  alarms?: { names?: string[]; prefix?: string };
  metrics?: MetricCheck[];
}

export interface DeploymentInput {
  route: RouteRef;
  stableNode: string;
  canaryNode: string;
  healthChecks?: HealthChecks;
  /** Keep the old stable as a weight-0 target after promotion (default: remove it). */
  keepStableTarget?: boolean;
  /** How traffic moves; required when a state machine runs the deployment. */
  strategy?: Strategy;
  /** Consecutive failing verdicts that roll back (default 1: the first). */
  failureThreshold?: number;
  /** How an inconclusive verdict counts (default "fail"). */
  inconclusive?: 'fail' | 'pass';
  /** When someone else changes the weights mid-deployment: leave them ("halt", default) or restore the snapshot. */
  onDrift?: 'halt' | 'rollback';
}

export type RouteSnapshot = AppMeshSnapshot;

export interface Deployment extends DeploymentInput {
  executionId?: string;
  snapshot: RouteSnapshot;
}


const inputFields = ['route', 'stableNode', 'canaryNode', 'strategy', 'healthChecks', 'failureThreshold', 'inconclusive', 'onDrift', 'keepStableTarget'] as const;

/** Limits on the strategy's numbers: a Standard execution lasts at most a year. */
export const limits = {
  intervalSeconds: 86_400,
  bakeSeconds: 7 * 86_400,
  checkIntervalSeconds: 86_400,
  approvalTimeoutSeconds: 30 * 86_400,
  failureThreshold: 100,
};

function checkStrategy(c: Checker, value: unknown, path: string): void {
  const type = (value as { type?: unknown } | null)?.type;
  const fields: Record<StrategyType, string[]> = {
    linear: ['type', 'stepPercent', 'intervalSeconds'],
    'step-then-all': ['type', 'canaryPercent', 'bakeSeconds', 'checkIntervalSeconds'],
    'manual-approval': ['type', 'canaryPercent', 'approvalTimeoutSeconds', 'onApprovalTimeout', 'checkIntervalSeconds'],
  };
  if (!(typeof type === 'string' && type in fields)) {
    // Which other fields are right depends on the type: say only what is wrong with it.
    if (value === null || typeof value !== 'object' || Array.isArray(value)) c.fail(path, 'an object', value);
    else c.oneOf(type, `${path}.type`, strategyTypes);
    return;
  }
  const s = c.object(value, path, fields[type as StrategyType]);
  if (!s) return;
  switch (s.type) {
    case 'linear':
      c.integer(s.stepPercent, `${path}.stepPercent`, 1, 100);
      c.integer(s.intervalSeconds, `${path}.intervalSeconds`, 0, limits.intervalSeconds);
      break;
    case 'step-then-all':
      c.integer(s.canaryPercent, `${path}.canaryPercent`, 1, 100);
      c.integer(s.bakeSeconds, `${path}.bakeSeconds`, 0, limits.bakeSeconds);
      if (s.checkIntervalSeconds !== undefined) c.integer(s.checkIntervalSeconds, `${path}.checkIntervalSeconds`, 1, limits.checkIntervalSeconds);
      break;
    case 'manual-approval':
      c.integer(s.canaryPercent, `${path}.canaryPercent`, 1, 100);
      c.integer(s.approvalTimeoutSeconds, `${path}.approvalTimeoutSeconds`, 1, limits.approvalTimeoutSeconds);
      if (s.onApprovalTimeout !== undefined) c.oneOf(s.onApprovalTimeout, `${path}.onApprovalTimeout`, ['rollback', 'promote'] as const);
      if (s.checkIntervalSeconds !== undefined) c.integer(s.checkIntervalSeconds, `${path}.checkIntervalSeconds`, 1, limits.checkIntervalSeconds);
      break;
  }
}
const deploymentFields = [...inputFields, 'executionId', 'snapshot'] as const;

export function checkRoute(c: Checker, value: unknown, path: string): void {
  const r = c.object(value, path, ['meshName', 'virtualRouterName', 'routeName', 'meshOwner']);
  if (!r) return;
  c.name(r.meshName, `${path}.meshName`);
  c.name(r.virtualRouterName, `${path}.virtualRouterName`);
  c.name(r.routeName, `${path}.routeName`);
  if (r.meshOwner !== undefined && !(typeof r.meshOwner === 'string' && /^[0-9]{12}$/.test(r.meshOwner))) {
    c.fail(`${path}.meshOwner`, 'a 12-digit AWS account ID', r.meshOwner);
  }
}

function checkMetric(c: Checker, value: unknown, path: string): void {
  const m = c.object(value, path, ['name', 'namespace', 'metricName', 'dimensions', 'statistic', 'windowSeconds', 'comparison', 'threshold', 'minSampleCount']);
  if (!m) return;
  c.string(m.name, `${path}.name`, 255);
  c.string(m.namespace, `${path}.namespace`, 255);
  c.string(m.metricName, `${path}.metricName`, 255);
  if (m.dimensions !== undefined) {
    const d = m.dimensions;
    if (d === null || typeof d !== 'object' || Array.isArray(d) || Object.keys(d).length > 30) {
      c.fail(`${path}.dimensions`, 'an object of at most 30 name: value strings', d);
    } else {
      for (const [k, v] of Object.entries(d)) {
        if (k.length === 0 || k.length > 255) c.fail(`${path}.dimensions`, 'keyed by names of 1-255 characters', k);
        c.string(v, `${path}.dimensions.${k}`, 1024);
      }
    }
  }
  if (!(typeof m.statistic === 'string' && ((plainStatistics as readonly string[]).includes(m.statistic) || PERCENTILE.test(m.statistic)))) {
    c.fail(`${path}.statistic`, `one of ${plainStatistics.join(', ')} or a percentile such as p99`, m.statistic);
  }
  if (c.integer(m.windowSeconds, `${path}.windowSeconds`, 60, 86400) && m.windowSeconds % 60 !== 0) {
    c.fail(`${path}.windowSeconds`, 'a multiple of 60', m.windowSeconds);
  }
  c.oneOf(m.comparison, `${path}.comparison`, comparisons);
  c.number(m.threshold, `${path}.threshold`);
  if (m.minSampleCount !== undefined) c.integer(m.minSampleCount, `${path}.minSampleCount`, 1, 1_000_000_000);
}

function checkHealthChecks(c: Checker, value: unknown, path: string): void {
  const h = c.object(value, path, ['alarms', 'metrics']);
  if (!h) return;
  if (h.alarms !== undefined) {
    const a = c.object(h.alarms, `${path}.alarms`, ['names', 'prefix']);
    if (a) {
      if (a.names === undefined && a.prefix === undefined) c.fail(`${path}.alarms`, 'given names, a prefix, or both', a);
      if (a.names !== undefined && c.array(a.names, `${path}.alarms.names`, 1, 100)) {
        a.names.forEach((n, i) => c.string(n, `${path}.alarms.names[${i}]`, 255));
        if (new Set(a.names).size !== a.names.length) c.problems.push(`${path}.alarms.names lists an alarm twice`);
      }
      if (a.prefix !== undefined) c.string(a.prefix, `${path}.alarms.prefix`, 255);
    }
  }
  if (h.metrics !== undefined && c.array(h.metrics, `${path}.metrics`, 0, 20)) {
    h.metrics.forEach((m, i) => checkMetric(c, m, `${path}.metrics[${i}]`));
    const names = h.metrics.map((m) => (m as MetricCheck)?.name);
    if (new Set(names).size !== names.length) c.problems.push(`${path}.metrics: each check needs its own name`);
  }
}

function checkInputFields(c: Checker, d: Record<string, unknown>, prefix: string): void {
  checkRoute(c, d.route, `${prefix}route`);
  const stableOk = c.name(d.stableNode, `${prefix}stableNode`);
  const canaryOk = c.name(d.canaryNode, `${prefix}canaryNode`);
  if (stableOk && canaryOk && d.stableNode === d.canaryNode) {
    c.problems.push(`${prefix}canaryNode must differ from ${prefix}stableNode (both are ${d.stableNode})`);
  }
  if (d.healthChecks !== undefined) checkHealthChecks(c, d.healthChecks, `${prefix}healthChecks`);
  if (d.keepStableTarget !== undefined) c.boolean(d.keepStableTarget, `${prefix}keepStableTarget`);
  if (d.strategy !== undefined) checkStrategy(c, d.strategy, `${prefix}strategy`);
  if (d.failureThreshold !== undefined) c.integer(d.failureThreshold, `${prefix}failureThreshold`, 1, limits.failureThreshold);
  if (d.inconclusive !== undefined) c.oneOf(d.inconclusive, `${prefix}inconclusive`, ['fail', 'pass'] as const);
  if (d.onDrift !== undefined) c.oneOf(d.onDrift, `${prefix}onDrift`, ['halt', 'rollback'] as const);
}

function checkSnapshot(c: Checker, value: unknown, path: string): void {
  const s = c.object(value, path, ['router', 'routeKind', 'weightedTargets', 'version', 'takenAt']);
  if (!s) return;
  c.oneOf(s.router, `${path}.router`, ['appmesh'] as const);
  c.oneOf(s.routeKind, `${path}.routeKind`, routeKinds);
  checkTargets(c, s.weightedTargets, `${path}.weightedTargets`);
  c.integer(s.version, `${path}.version`, 0, Number.MAX_SAFE_INTEGER);
  c.string(s.takenAt, `${path}.takenAt`, 64);
}

/** A list of weighted targets as App Mesh holds them: 1-10 of {virtualNode, weight 0-100, port?}. */
export function checkTargets(c: Checker, value: unknown, path: string): void {
  if (!c.array(value, path, 1, MAX_TARGETS)) return;
  value.forEach((t, i) => {
    const p = `${path}[${i}]`;
    const o = c.object(t, p, ['virtualNode', 'weight', 'port']);
    if (!o) return;
    c.name(o.virtualNode, `${p}.virtualNode`);
    c.integer(o.weight, `${p}.weight`, 0, MAX_WEIGHT);
    if (o.port !== undefined) c.integer(o.port, `${p}.port`, 1, 65535);
  });
}

/**
 * Validates what a user asks for. Throws InvalidInput naming every bad field. With `machine`
 * (the state machine running it), a strategy of that type is required.
 */
export function parseDeploymentInput(value: unknown, machine?: StrategyType): DeploymentInput {
  const c = new Checker();
  const d = c.object(value, 'input', inputFields);
  if (d) {
    checkInputFields(c, d, '');
    const type = (d.strategy as { type?: unknown } | undefined)?.type;
    if (machine && d.strategy === undefined) {
      c.problems.push(`strategy is missing: the ${machine} state machine needs {"type": "${machine}", ...}`);
    } else if (machine && typeof type === 'string' && (strategyTypes as readonly string[]).includes(type) && type !== machine) {
      c.problems.push(`strategy.type is "${type}" but this is the ${machine} state machine: start the ${type} one instead`);
    }
  }
  c.done();
  return value as DeploymentInput;
}

/** The input with every default written out, so the state machines can rely on each field. */
export function withDefaults(input: DeploymentInput): DeploymentInput {
  const out: DeploymentInput = { failureThreshold: 1, inconclusive: 'fail', onDrift: 'halt', keepStableTarget: false, ...input };
  const s = input.strategy;
  if (s?.type === 'step-then-all') out.strategy = { checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  if (s?.type === 'manual-approval') out.strategy = { onApprovalTimeout: 'rollback', checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  return out;
}

/** Validates a prepared deployment (input + snapshot), as set-weight, promote and rollback receive it. */
export function checkDeployment(c: Checker, value: unknown, path = 'deployment'): value is Deployment {
  const before = c.problems.length;
  const d = c.object(value, path, deploymentFields);
  if (!d) return false;
  checkInputFields(c, d, `${path}.`);
  if (d.executionId !== undefined) c.string(d.executionId, `${path}.executionId`, 2048);
  if (d.snapshot === undefined) c.problems.push(`${path}.snapshot is missing: pass the deployment object the prepare step returned`);
  else checkSnapshot(c, d.snapshot, `${path}.snapshot`);
  return c.problems.length === before;
}
