// Traffic verification (issue 13): did the traffic really move? After a shift has settled, each
// route's stable and canary request counts (CloudWatch, one GetMetricData pass shared with the
// metric checks' helper in health.ts) give the canary's measured share of the two; it is verified
// when within tolerancePercent of the share the shift set. Until then the verdict entry
// `traffic:<route>` is inconclusive with the measured split as its reason, and the gate
// (strategy.ts) holds. Requests to a route's other targets are not counted.
import type { CloudWatchClient, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { CheckResult, Measured } from './health.ts';
import { latticeMetrics, measure, targetGroupId } from './health.ts';
import { TARGET_PLACEHOLDER, trafficDefaults, type RequestCountMetric, type TrafficVerification } from './input.ts';
import { routeParts } from './release.ts';
import { routeLabelOf, routerTypeOf } from './routers/index.ts';
import { planOf, trafficUnverified, type GatePolicy, type Progress, type Strategy, type TrafficMeasure } from './strategy.ts';

/** A route's entry in the verdict's checks: the measured shares by target ID (percent) and the requests counted. */
export interface TrafficCheckResult extends CheckResult {
  requests: number;
  shares?: Record<string, number>;
}

/** trafficVerification with every default written out. */
export type TrafficSettings = Required<Omit<TrafficVerification, 'requestCount'>> & Pick<TrafficVerification, 'requestCount'>;

export const trafficSettingsOf = (t: TrafficVerification | undefined): TrafficSettings | undefined =>
  t === undefined ? undefined : { ...trafficDefaults, ...t };

/** The gate's part of the settings (GatePolicy.traffic). */
export const trafficPolicyOf = (t: TrafficSettings | undefined): GatePolicy['traffic'] =>
  t && { windowSeconds: t.windowSeconds, maxWaitSeconds: t.maxWaitSeconds, tolerancePercent: t.tolerancePercent };

/** One route's two targets, as its request-count metric names them. */
export interface RouteTargets {
  label: string;
  stable: string;
  canary: string;
  metric: RequestCountMetric;
}

/** VPC Lattice's own request count per target group (the metric the errorRates check reads too). */
export const latticeRequestCount: RequestCountMetric = {
  namespace: latticeMetrics.namespace, metricName: latticeMetrics.requests, dimensions: { [latticeMetrics.dimension]: TARGET_PLACEHOLDER },
};

/**
 * Each route's label, stable and canary: a target group's ID for VPC Lattice (an ARN's last part),
 * a virtual node's name for App Mesh. An App Mesh route without a requestCount metric is refused by
 * the input's validation, so it never gets here.
 */
export function routeTargetsOf(deployment: object, settings: TrafficSettings): RouteTargets[] {
  return routeParts(deployment as Record<string, unknown>).map((p) => {
    const label = routeLabelOf(p.route) ?? '?';
    if (routerTypeOf(p.route) === 'lattice') {
      return { label, stable: targetGroupId(String(p.stableTargetGroup)), canary: targetGroupId(String(p.canaryTargetGroup)),
        metric: settings.requestCount ?? latticeRequestCount };
    }
    return { label, stable: String(p.stableNode), canary: String(p.canaryNode), metric: settings.requestCount! };
  });
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * The verdict on one route's split from the request counts since the shift settled: pass when the
 * canary's share of stable+canary requests is within tolerancePercent of `expected` (edges
 * included) and nearer it than the share before the shift (`previous`: a tolerance as wide as the
 * step would otherwise take the old split, 0% of the requests at 5% ± 5, for the new one),
 * inconclusive otherwise or below minRequests requests. A target with no data points served no
 * requests (CloudWatch has no data point for a count that stayed at zero).
 */
export function splitResult(route: RouteTargets, expected: number, settings: TrafficSettings, stableValues: number[], canaryValues: number[], previous?: number): TrafficCheckResult {
  const stable = stableValues.reduce((a, b) => a + b, 0);
  const canary = canaryValues.reduce((a, b) => a + b, 0);
  const requests = stable + canary;
  const check = `traffic:${route.label}`;
  if (requests < settings.minRequests) {
    return { check, verdict: 'inconclusive', requests,
      reason: `${requests} request${requests === 1 ? '' : 's'} since the shift settled, fewer than the ${settings.minRequests} needed to tell` };
  }
  const share = (100 * canary) / requests;
  const shares = { [route.stable]: round1(100 - share), [route.canary]: round1(share) };
  // A hair of slack for floating point: 30 of 100 is exactly 30% and within 25 ± 5.
  const off = Math.abs(share - expected);
  const within = off <= settings.tolerancePercent + 1e-9;
  const nearerThanBefore = previous === undefined || previous === expected || off < Math.abs(share - previous);
  const reason = `canary ${route.canary} has ${round1(share)}% of ${requests} requests since the shift settled, ${expected}% ± ${settings.tolerancePercent} expected`;
  return { check, verdict: within && nearerThanBefore ? 'pass' : 'inconclusive', requests, shares,
    reason: within && !nearerThanBefore ? `${reason}, but no nearer it than the ${previous}% before the shift` : reason };
}

const metricOf = (m: RequestCountMetric, target: string) => ({
  Namespace: m.namespace,
  MetricName: m.metricName,
  Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value: Value.split(TARGET_PLACEHOLDER).join(target) })),
});

/** The period of the queries: 10 s for windows under a minute (high-resolution), else 60 s. */
export const periodOf = (windowSeconds: number): number => (windowSeconds < 60 ? 10 : 60);

/**
 * Where the measuring starts: windowSeconds back (to the period before, so the window lasts at
 * least windowSeconds once the shift is that old), never before the shift settled, always on a
 * whole period (CloudWatch rounds a start time down to one, which would count requests from
 * before the shift: it is rounded up here). Undefined: nothing to measure yet (less than a second).
 */
export function windowStart(since: Date, now: Date, windowSeconds: number): Date | undefined {
  const step = periodOf(windowSeconds) * 1000;
  const from = Math.max(Math.ceil(since.getTime() / step) * step, Math.floor((now.getTime() - windowSeconds * 1000) / step) * step);
  // At least a second: CloudWatch takes times to the second, and a start equal to the end is refused (ValidationException).
  return now.getTime() - from >= 1000 ? new Date(from) : undefined;
}

/**
 * The traffic entries of a verdict, one per route, and what the gate needs of them; none when the
 * deployment does not verify its traffic, at the baseline, or once the split is verified at this share.
 */
export async function verifyTraffic(cw: CloudWatchClient, deployment: { trafficVerification?: TrafficVerification; strategy?: Strategy }, progress: Progress | undefined,
  now: Date): Promise<{ checks: TrafficCheckResult[]; measure?: TrafficMeasure }> {
  const settings = trafficSettingsOf(deployment.trafficVerification);
  if (!settings || !progress || !trafficUnverified(progress)) return { checks: [] };
  const routes = routeTargetsOf(deployment, settings);
  const from = windowStart(new Date(progress.traffic!.since), now, settings.windowSeconds);
  // The share before this shift: the previous stage's (0 before the first), from the plan.
  const previous = progress.stage > 0 && deployment.strategy ? planOf(deployment.strategy)[progress.stage - 1].weight : 0;
  const period = periodOf(settings.windowSeconds);
  const checks: TrafficCheckResult[] = from === undefined
    ? routes.map((r) => splitResult(r, progress.weight, settings, [], [], previous))
    : await measure(cw, routes.map((r, i): Measured => {
      const query = (Id: string, target: string): MetricDataQuery => ({
        Id, MetricStat: { Metric: metricOf(r.metric, target), Period: period, Stat: r.metric.statistic ?? 'Sum' }, ReturnData: true,
      });
      return {
        windowSeconds: settings.windowSeconds, from,
        queries: [query(`ts${i}`, r.stable), query(`tc${i}`, r.canary)],
        result: (values) => splitResult(r, progress.weight, settings, values(`ts${i}`), values(`tc${i}`), previous),
      };
    }), now) as TrafficCheckResult[];
  const open = checks.filter((c) => c.verdict !== 'pass');
  return { checks, measure: { verified: open.length === 0, measured: open.map((c) => `${c.check}: ${c.reason}`) } };
}
