// The request error-rate check of a VPC Lattice target group: 5xx count over request count from
// two AWS/VpcLattice queries (Sum), inconclusive below minRequests, failing above maxErrorPercent.
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseDeploymentInput, type ErrorRateCheck, type MetricCheck } from '../../functions/commons/input.ts';
import { checkHealth, errorRateResult, latticeMetrics, targetGroupId } from '../../functions/commons/health.ts';
import { awsError } from '../support/fixtures.ts';

const cw = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'us-east-1' });
const now = new Date('2026-11-27T10:00:00Z');
const TG = 'tg-0123456789abcdef0';
const TG_ARN = `arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/${TG}`;
const canary5xx: ErrorRateCheck = { name: 'canary-5xx', targetGroup: TG, maxErrorPercent: 1, windowSeconds: 300, minRequests: 100 };

beforeEach(() => cw.reset());

/** CloudWatch's answer: the 5xx Sums under e0, the request Sums under r0 (one value per period). */
const answer = (errors: number[] | undefined, requests: number[] | undefined) => ({
  MetricDataResults: [
    ...(errors ? [{ Id: 'e0', StatusCode: 'Complete' as const, Values: errors }] : []),
    ...(requests ? [{ Id: 'r0', StatusCode: 'Complete' as const, Values: requests }] : []),
  ],
});

describe('the verdict on a target group\'s error rate', () => {
  test('above maxErrorPercent fails, and the reason names the measured rate', async () => {
    cw.on(GetMetricDataCommand).resolves(answer([3], [200]));
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.verdict).toBe('fail');
    expect(report.checks).toEqual([{
      check: 'errorRate:canary-5xx', verdict: 'fail', value: 1.5, samples: 200, threshold: 1,
      reason: `error rate of target group ${TG} over the last 300s is 1.5% (3 5xx of 200 requests); unhealthy because above 1%`,
    }]);
  });

  test('at or below maxErrorPercent passes, naming the rate', async () => {
    cw.on(GetMetricDataCommand).resolves(answer([2], [200]));
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.verdict).toBe('pass');
    expect(report.checks[0].reason).toBe(`error rate of target group ${TG} over the last 300s is 1% (2 5xx of 200 requests); healthy: at most 1%`);
  });

  test('the periods of the window add up: errors and requests are Sums', async () => {
    cw.on(GetMetricDataCommand).resolves(answer([1, 1, 1], [40, 40, 40]));
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.checks[0]).toMatchObject({ verdict: 'fail', value: 2.5, samples: 120 });
  });

  test('requests but no 5xx data point: no errors (CloudWatch has no point for a count that stayed at zero)', async () => {
    cw.on(GetMetricDataCommand).resolves(answer(undefined, [500]));
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.checks[0]).toMatchObject({ verdict: 'pass', value: 0, samples: 500 });
  });

  test('low traffic is inconclusive, not a pass, even with every request failing', async () => {
    cw.on(GetMetricDataCommand).resolves(answer([99], [99]));
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.verdict).toBe('inconclusive');
    expect(report.checks[0]).toMatchObject({ verdict: 'inconclusive', samples: 99 });
    expect(report.checks[0].reason).toBe(`target group ${TG} over the last 300s served 99 requests, fewer than the 100 needed for a verdict on its error rate`);
    expect(report.checks[0]).not.toHaveProperty('value');
  });

  test('no data at all is inconclusive', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const report = await checkHealth(client, { errorRates: [canary5xx] }, now);
    expect(report.checks[0]).toMatchObject({ verdict: 'inconclusive', samples: 0 });
    expect(report.checks[0].reason).toContain('served 0 requests, fewer than the 100 needed');
  });

  test('minRequests defaults to 1: one request is enough for a verdict, none is not', () => {
    const check = { ...canary5xx, minRequests: undefined };
    expect(errorRateResult(check, [], [1]).verdict).toBe('pass');
    expect(errorRateResult(check, [1], [1])).toMatchObject({ verdict: 'fail', value: 100 });
    expect(errorRateResult(check, [], []).verdict).toBe('inconclusive');
  });

  test('maxErrorPercent 0: any 5xx fails', () => {
    expect(errorRateResult({ ...canary5xx, maxErrorPercent: 0 }, [1], [10_000])).toMatchObject({ verdict: 'fail', value: 0.01 });
    expect(errorRateResult({ ...canary5xx, maxErrorPercent: 0 }, [0], [10_000]).verdict).toBe('pass');
  });
});

describe('what is asked of CloudWatch', () => {
  test('two plain queries, Sum of the 5xx count and of the request count, by TargetGroup ID, over exactly the window', async () => {
    cw.on(GetMetricDataCommand).resolves(answer([0], [100]));
    await checkHealth(client, { errorRates: [{ ...canary5xx, targetGroup: TG_ARN }] }, now);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const metric = (MetricName: string) => ({ Namespace: 'AWS/VpcLattice', MetricName, Dimensions: [{ Name: 'TargetGroup', Value: TG }] });
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        { Id: 'e0', MetricStat: { Metric: metric('HTTPCode_5XX_Count'), Period: 300, Stat: 'Sum' }, ReturnData: true },
        { Id: 'r0', MetricStat: { Metric: metric('TotalRequestCount'), Period: 300, Stat: 'Sum' }, ReturnData: true },
      ],
      StartTime: new Date(now.getTime() - 300_000), EndTime: now, ScanBy: 'TimestampDescending',
    });
    const queries = cw.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries!;
    expect(queries.some((q) => q.Expression !== undefined)).toBe(false);
  });

  test('metric checks and error rates of one window share one call; another window gets its own', async () => {
    const latency: MetricCheck = { name: 'latency', namespace: 'demo', metricName: 'LatencyMs', statistic: 'Average', windowSeconds: 300, comparison: 'GreaterThanThreshold', threshold: 250 };
    cw.on(GetMetricDataCommand).callsFake((input) => ({
      MetricDataResults: input.MetricDataQueries.map((q: { Id: string }) => ({ Id: q.Id, Values: q.Id.startsWith('e') ? [0] : q.Id.startsWith('v') ? [100] : [1000] })),
    }));
    const report = await checkHealth(client, { metrics: [latency], errorRates: [canary5xx, { ...canary5xx, name: 'hour', windowSeconds: 3600 }] }, now);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    const ids = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries!.map((q) => q.Id));
    expect(ids).toEqual([['v0', 'n0', 'e0', 'r0'], ['e1', 'r1']]);
    expect(report.checks.map((c) => `${c.check}:${c.verdict}`)).toEqual(['metric:latency:pass', 'errorRate:canary-5xx:pass', 'errorRate:hour:pass']);
  });

  test('a throttled GetMetricData is transient (retried by the machine); a rejected one is a misconfigured check', async () => {
    cw.on(GetMetricDataCommand).rejectsOnce(awsError('Throttling', 400)).rejectsOnce(awsError('InvalidParameterValueException', 400));
    await expect(checkHealth(client, { errorRates: [canary5xx] }, now)).rejects.toMatchObject({ name: 'TransientAwsError' });
    await expect(checkHealth(client, { errorRates: [canary5xx] }, now)).rejects.toMatchObject({ name: 'HealthCheckMisconfigured' });
  });

  test('the names it relies on (to check against AWS\'s VPC Lattice CloudWatch documentation before release)', () => {
    expect(latticeMetrics).toEqual({ namespace: 'AWS/VpcLattice', dimension: 'TargetGroup', errors: 'HTTPCode_5XX_Count', requests: 'TotalRequestCount' });
    expect(targetGroupId(TG_ARN)).toBe(TG);
    expect(targetGroupId(TG)).toBe(TG);
  });
});

describe('errorRates in the input', () => {
  const input = (errorRates: unknown) => ({
    route: { meshName: 'shop', virtualRouterName: 'product-router', routeName: 'product-route' },
    stableNode: 'product-v1', canaryNode: 'product-v2', healthChecks: { errorRates },
  });
  const problem = (errorRates: unknown) => {
    try {
      parseDeploymentInput(input(errorRates));
      return 'accepted';
    } catch (err) {
      expect(err).toMatchObject({ name: 'InvalidInput' });
      return (err as Error).message;
    }
  };

  test('an ID or an ARN is taken', () => {
    expect(problem([canary5xx])).toBe('accepted');
    expect(problem([{ ...canary5xx, targetGroup: TG_ARN }])).toBe('accepted');
  });

  test.each([
    ['targetGroup', 'tg-1', 'a VPC Lattice target group ID'],
    ['targetGroup', 'arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0', 'a VPC Lattice target group ID'],
    ['maxErrorPercent', 101, 'a number from 0 to 100'],
    ['maxErrorPercent', -1, 'a number from 0 to 100'],
    ['maxErrorPercent', '1', 'a finite number'],
    ['windowSeconds', 90, 'a multiple of 60'],
    ['windowSeconds', 30, 'an integer from 60 to 86400'],
    ['minRequests', 0, 'an integer from 1 to 1000000000'],
    ['minRequests', 2.5, 'an integer from 1 to 1000000000'],
    ['name', '', 'a non-empty string'],
  ])('%s = %p is refused, naming the field', (field, value, words) => {
    const message = problem([{ ...canary5xx, [field]: value }]);
    expect(message).toContain(`healthChecks.errorRates[0].${field}`);
    expect(message).toContain(words);
  });

  test('two checks with one name are refused', () => {
    expect(problem([canary5xx, canary5xx])).toContain('healthChecks.errorRates: each check needs its own name');
  });

  test('more than 20 are refused', () => {
    expect(problem(Array.from({ length: 21 }, (_, i) => ({ ...canary5xx, name: `c${i}` })))).toContain('healthChecks.errorRates');
  });
});
