// Health verdicts on the canary from CloudWatch alarms and metric thresholds.
// An unhealthy canary is a normal result (verdict "fail"); a check that cannot be evaluated
// because it names something that does not exist is a HealthCheckMisconfigured error.
import {
  DescribeAlarmsCommand, GetMetricDataCommand,
  type CloudWatchClient, type MetricDataQuery, type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import type { Comparison, HealthChecks, MetricCheck } from './input.ts';
import { HealthCheckMisconfigured, TransientAwsError, wrapAwsError } from './errors.ts';
import type { Verdict } from './strategy.ts';

export type { Verdict };

export interface CheckResult {
  /** `alarm:<name>` or `metric:<name>`. */
  check: string;
  verdict: Verdict;
  reason: string;
  /** Alarm state (OK, ALARM, INSUFFICIENT_DATA). */
  state?: string;
  /** Metric value over the window, its sample count and the threshold it was compared with. */
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

async function alarmChecks(cw: CloudWatchClient, alarms: NonNullable<HealthChecks['alarms']>): Promise<CheckResult[]> {
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
  if (alarms.names?.length) {
    for (let i = 0; i < alarms.names.length; i += 100) await describe({ AlarmNames: alarms.names.slice(i, i + 100) });
    const missing = alarms.names.filter((n) => !found.has(n));
    if (missing.length) throw new HealthCheckMisconfigured(`CloudWatch alarm${missing.length > 1 ? 's' : ''} not found: ${missing.join(', ')}`);
  }
  if (alarms.prefix !== undefined) {
    const n = await describe({ AlarmNamePrefix: alarms.prefix });
    if (n === 0) throw new HealthCheckMisconfigured(`no CloudWatch alarm name starts with "${alarms.prefix}"`);
  }
  return [...found.values()];
}

/** One GetMetricData call per distinct window, so every check sees exactly its own window. */
async function metricChecks(cw: CloudWatchClient, metrics: MetricCheck[], now: Date): Promise<CheckResult[]> {
  const results = new Map<string, number[]>();
  for (const windowSeconds of new Set(metrics.map((m) => m.windowSeconds))) {
    const queries: MetricDataQuery[] = metrics.flatMap((m, i) => {
      if (m.windowSeconds !== windowSeconds) return [];
      const metric = {
        Namespace: m.namespace,
        MetricName: m.metricName,
        Dimensions: Object.entries(m.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
      };
      return [
        { Id: `v${i}`, MetricStat: { Metric: metric, Period: windowSeconds, Stat: m.statistic }, ReturnData: true },
        { Id: `n${i}`, MetricStat: { Metric: metric, Period: windowSeconds, Stat: 'SampleCount' }, ReturnData: true },
      ];
    });
    let NextToken: string | undefined;
    do {
      let out;
      try {
        out = await cw.send(new GetMetricDataCommand({
          MetricDataQueries: queries, StartTime: new Date(now.getTime() - windowSeconds * 1000), EndTime: now,
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
  return metrics.map((m, i) => metricResult(m, results.get(`v${i}`) ?? [], results.get(`n${i}`) ?? []));
}

function accumulate(into: Map<string, number[]>, r: MetricDataResult): void {
  if (r.StatusCode === 'InternalError') throw new TransientAwsError(`GetMetricData: CloudWatch reported an internal error for query ${r.Id}`);
  into.set(r.Id!, [...(into.get(r.Id!) ?? []), ...(r.Values ?? [])]);
}

/** Evaluates every configured check and returns the verdict with one entry per check. */
export async function checkHealth(cw: CloudWatchClient, checks: HealthChecks | undefined, now = new Date()): Promise<HealthReport> {
  const results = [
    ...(checks?.alarms ? await alarmChecks(cw, checks.alarms) : []),
    ...(await metricChecks(cw, checks?.metrics ?? [], now)),
  ];
  return { verdict: overallVerdict(results), checks: results, checkedAt: now.toISOString() };
}
