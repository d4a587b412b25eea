// Health verdicts on the canary from CloudWatch alarms, metric thresholds and target groups' error rates.
// An unhealthy canary is a normal result (verdict "fail"); a check that cannot be evaluated
// because it names something that does not exist is a HealthCheckMisconfigured error.
import {
  DescribeAlarmsCommand, GetMetricDataCommand,
  type CloudWatchClient, type MetricDataQuery, type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { Comparison, ErrorRateCheck, HealthChecks, MetricCheck } from './input.ts';
import { HealthCheckMisconfigured, TransientAwsError, wrapAwsError } from './errors.ts';
import type { Verdict } from './strategy.ts';

export type { Verdict };

export interface CheckResult {
  /** `alarm:<name>`, `metric:<name>` or `errorRate:<name>`. */
  check: string;
  verdict: Verdict;
  reason: string;
  /** Alarm state (OK, ALARM, INSUFFICIENT_DATA). */
  state?: string;
  /**
   * Metric value over the window, its sample count and the threshold it was compared with; for an
   * error rate, the percent of 5xx responses, the request count and maxErrorPercent.
   */
  value?: number;
  samples?: number;
  threshold?: number;
}

export interface HealthReport {
  verdict: Verdict;
  checks: CheckResult[];
  checkedAt: string;
}

/** fail beats inconclusive beats pass; no checks at all is a pass. */
export function overallVerdict(checks: CheckResult[]): Verdict {
  if (checks.some((c) => c.verdict === 'fail')) return 'fail';
  if (checks.some((c) => c.verdict === 'inconclusive')) return 'inconclusive';
  return 'pass';
}

export function alarmResult(name: string, state: string | undefined, stateReason?: string): CheckResult {
  const verdict: Verdict = state === 'ALARM' ? 'fail' : state === 'OK' ? 'pass' : 'inconclusive';
  return { check: `alarm:${name}`, verdict, state, reason: `alarm ${name} is ${state ?? 'in an unknown state'}${stateReason ? `: ${stateReason}` : ''}` };
}

const compare: Record<Comparison, [(v: number, t: number) => boolean, string]> = {
  GreaterThanThreshold: [(v, t) => v > t, '>'],
  GreaterThanOrEqualToThreshold: [(v, t) => v >= t, '>='],
  LessThanThreshold: [(v, t) => v < t, '<'],
  LessThanOrEqualToThreshold: [(v, t) => v <= t, '<='],
};

/**
 * Combines the per-period values CloudWatch returns for one window into one figure.
 * Percentiles cannot be combined exactly: the worst (largest) period is used.
 */
export function combine(statistic: string, values: number[], samples: number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (statistic) {
    case 'Sum':
    case 'SampleCount':
      return values.reduce((a, b) => a + b, 0);
    case 'Minimum':
      return Math.min(...values);
    case 'Average': {
      const n = samples.reduce((a, b) => a + b, 0);
      if (samples.length !== values.length || n === 0) return values.reduce((a, b) => a + b, 0) / values.length;
      return values.reduce((a, v, i) => a + v * samples[i], 0) / n;
    }
    default: // Maximum and percentiles
      return Math.max(...values);
  }
}

export function metricResult(check: MetricCheck, values: number[], samples: number[]): CheckResult {
  const base = { check: `metric:${check.name}`, threshold: check.threshold };
  const sampleCount = samples.reduce((a, b) => a + b, 0);
  const min = check.minSampleCount ?? 1;
  const value = combine(check.statistic, values, samples);
  const window = `the last ${check.windowSeconds}s`;
  if (sampleCount < min || value === undefined) {
    return { ...base, verdict: 'inconclusive', samples: sampleCount, ...(value === undefined ? {} : { value }),
      reason: `${check.metricName} has ${sampleCount} samples in ${window}, fewer than the ${min} needed for a verdict` };
  }
  const [breached, op] = compare[check.comparison];
  const bad = breached(value, check.threshold);
  return { ...base, verdict: bad ? 'fail' : 'pass', value, samples: sampleCount,
    reason: `${check.statistic} of ${check.metricName} over ${window} is ${round(value)} (${sampleCount} samples); ${bad ? 'unhealthy' : 'healthy'} because ${bad ? '' : 'not '}${op} ${check.threshold}` };
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/** The alarms of one or several sets of checks: every name, and each prefix (a release has one set per route). */
interface AlarmSelection {
  names: string[];
  prefixes: string[];
}

async function alarmChecks(cw: CloudWatchClient, alarms: AlarmSelection): Promise<CheckResult[]> {
  const found = new Map<string, CheckResult>();
  const describe = async (input: { AlarmNames?: string[]; AlarmNamePrefix?: string }): Promise<number> => {
    let count = 0;
    let NextToken: string | undefined;
    do {
      let out;
      try {
        out = await cw.send(new DescribeAlarmsCommand({ ...input, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken }));
      } catch (err) {
        throw wrapAwsError(err, 'DescribeAlarms');
      }
      for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
        count++;
        found.set(a.AlarmName!, alarmResult(a.AlarmName!, a.StateValue, a.StateReason));
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return count;
  };
  if (alarms.names.length) {
    for (let i = 0; i < alarms.names.length; i += 100) await describe({ AlarmNames: alarms.names.slice(i, i + 100) });
    const missing = alarms.names.filter((n) => !found.has(n));
    if (missing.length) throw new HealthCheckMisconfigured(`CloudWatch alarm${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`);
  }
  for (const prefix of alarms.prefixes) {
    const n = await describe({ AlarmNamePrefix: prefix });
    if (n === 0) throw new HealthCheckMisconfigured(`no CloudWatch alarm name starts with "${prefix}"`);
  }
  return [...found.values()];
}

/** The queries of one check, and how to read its result from the values they returned (by query Id). */
export interface Measured {
  windowSeconds: number;
  /** Where the window starts when not windowSeconds before now (traffic.ts: never before the shift settled). */
  from?: Date;
  queries: MetricDataQuery[];
  result: (values: (id: string) => number[]) => CheckResult;
}

/**
 * One GetMetricData call per distinct window start (pages followed), for every metric and error-rate
 * check, so every check sees exactly its own window.
 */
/** AWS's limit on MetricDataQueries in one GetMetricData call. */
export const MAX_QUERIES_PER_CALL = 500;

export async function measure(cw: CloudWatchClient, checks: Measured[], now: Date): Promise<CheckResult[]> {
  const results = new Map<string, number[]>();
  const startOf = (c: Measured): number => c.from?.getTime() ?? now.getTime() - c.windowSeconds * 1000;
  for (const from of new Set(checks.map(startOf))) {
    const all = checks.flatMap((c) => (startOf(c) === from ? c.queries : []));
    // GetMetricData takes at most 500 queries a call (a release's checks can add up to more).
    for (let start = 0; start < all.length; start += MAX_QUERIES_PER_CALL) {
      const queries = all.slice(start, start + MAX_QUERIES_PER_CALL);
      let NextToken: string | undefined;
      do {
        let out;
        try {
          out = await cw.send(new GetMetricDataCommand({
            MetricDataQueries: queries, StartTime: new Date(from), EndTime: now,
            ScanBy: 'TimestampDescending', NextToken,
          }));
        } catch (err) {
          const wrapped = wrapAwsError(err, 'GetMetricData');
          if (wrapped instanceof TransientAwsError) throw wrapped;
          throw new HealthCheckMisconfigured(wrapped.message, { cause: err });
        }
        for (const r of out.MetricDataResults ?? []) accumulate(results, r);
        NextToken = out.NextToken;
      } while (NextToken);
    }
  }
  return checks.map((c) => c.result((id) => results.get(id) ?? []));
}

/** A metric threshold check: its statistic and its sample count over the window. */
function metricMeasured(m: MetricCheck, i: number): Measured {
  const metric = {
    Namespace: m.namespace,
    MetricName: m.metricName,
    Dimensions: Object.entries(m.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
  };
  return {
    windowSeconds: m.windowSeconds,
    queries: [
      { Id: `v${i}`, MetricStat: { Metric: metric, Period: m.windowSeconds, Stat: m.statistic }, ReturnData: true },
      { Id: `n${i}`, MetricStat: { Metric: metric, Period: m.windowSeconds, Stat: 'SampleCount' }, ReturnData: true },
    ],
    result: (values) => metricResult(m, values(`v${i}`), values(`n${i}`)),
  };
}

// ---- Request error rate of a VPC Lattice target group (issue 10).
// The metric and dimension names come from third-party material: check them against
// https://docs.aws.amazon.com/vpc-lattice/latest/ug/monitoring-cloudwatch.html before release.
export const latticeMetrics = {
  namespace: 'AWS/VpcLattice',
  dimension: 'TargetGroup',
  errors: 'HTTPCode_5XX_Count',
  requests: 'TotalRequestCount',
} as const;

/** The target group's ID, whether the check names it by ID or by ARN (the metric's dimension holds the ID). */
export const targetGroupId = (idOrArn: string): string => idOrArn.slice(idOrArn.lastIndexOf('/') + 1);

/**
 * The verdict on a target group's error rate from the Sums the two queries returned: inconclusive
 * below minRequests requests (no data at all is 0 requests), fail when 5xx responses are more
 * than maxErrorPercent of the requests. No 5xx data points with requests present is 0 errors
 * (CloudWatch has no data point for a count that stayed at zero).
 */
export function errorRateResult(check: ErrorRateCheck, errorValues: number[], requestValues: number[]): CheckResult {
  const errors = errorValues.reduce((a, b) => a + b, 0);
  const requests = requestValues.reduce((a, b) => a + b, 0);
  const min = check.minRequests ?? 1;
  const base = { check: `errorRate:${check.name}`, threshold: check.maxErrorPercent, samples: requests };
  const where = `target group ${targetGroupId(check.targetGroup)} over the last ${check.windowSeconds}s`;
  if (requests < min) {
    return { ...base, verdict: 'inconclusive',
      reason: `${where} served ${requests} request${requests === 1 ? '' : 's'}, fewer than the ${min} needed for a verdict on its error rate` };
  }
  const rate = (100 * errors) / requests;
  const bad = rate > check.maxErrorPercent;
  return { ...base, verdict: bad ? 'fail' : 'pass', value: round(rate),
    reason: `error rate of ${where} is ${round(rate)}% (${errors} 5xx of ${requests} requests); ${bad ? 'unhealthy because above' : 'healthy: at most'} ${check.maxErrorPercent}%` };
}

function errorRateMeasured(e: ErrorRateCheck, i: number): Measured {
  const metric = (MetricName: string) => ({
    Namespace: latticeMetrics.namespace, MetricName, Dimensions: [{ Name: latticeMetrics.dimension, Value: targetGroupId(e.targetGroup) }],
  });
  return {
    windowSeconds: e.windowSeconds,
    queries: [
      { Id: `e${i}`, MetricStat: { Metric: metric(latticeMetrics.errors), Period: e.windowSeconds, Stat: 'Sum' }, ReturnData: true },
      { Id: `r${i}`, MetricStat: { Metric: metric(latticeMetrics.requests), Period: e.windowSeconds, Stat: 'Sum' }, ReturnData: true },
    ],
    result: (values) => errorRateResult(e, values(`e${i}`), values(`r${i}`)),
  };
}
// ---- end of the error-rate block

function accumulate(into: Map<string, number[]>, r: MetricDataResult): void {
  if (r.StatusCode === 'InternalError') throw new TransientAwsError(`GetMetricData: CloudWatch reported an internal error for query ${r.Id}`);
  into.set(r.Id!, [...(into.get(r.Id!) ?? []), ...(r.Values ?? [])]);
}

/**
 * Evaluates every configured check and returns the verdict with one entry per check. Several
 * sets of checks (a release's own and each route's) are evaluated as one: an alarm named twice
 * is one check.
 */
export async function checkHealth(cw: CloudWatchClient, checks: HealthChecks | readonly (HealthChecks | undefined)[] | undefined, now = new Date()): Promise<HealthReport> {
  const sets = (Array.isArray(checks) ? checks : [checks]).filter((c): c is HealthChecks => c !== undefined);
  const alarms: AlarmSelection = {
    names: [...new Set(sets.flatMap((c) => c.alarms?.names ?? []))],
    prefixes: [...new Set(sets.flatMap((c) => (c.alarms?.prefix === undefined ? [] : [c.alarms.prefix])))],
  };
  const results = [
    ...(alarms.names.length || alarms.prefixes.length ? await alarmChecks(cw, alarms) : []),
    ...(await measure(cw, [
      ...sets.flatMap((c) => c.metrics ?? []).map(metricMeasured),
      ...sets.flatMap((c) => c.errorRates ?? []).map(errorRateMeasured),
    ], now)),
  ];
  return { verdict: overallVerdict(results), checks: results, checkedAt: now.toISOString() };
}
