import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { MetricCheck } from '../../functions/commons/input.ts';
import { checkHealth, combine } from '../../functions/commons/health.ts';
import { awsError } from '../support/fixtures.ts';

const cw = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'us-east-1' });
const now = new Date('2026-11-27T10:00:00Z');
const latency: MetricCheck = {
  name: 'latency', namespace: 'demo', metricName: 'LatencyMs', dimensions: { VirtualNode: 'product-v15-vn' },
  statistic: 'Average', windowSeconds: 300, comparison: 'GreaterThanThreshold', threshold: 250, minSampleCount: 10,
};

beforeEach(() => cw.reset());

describe('alarms', () => {
  test.each([
    ['OK', 'pass'], ['ALARM', 'fail'], ['INSUFFICIENT_DATA', 'inconclusive'],
  ])('an alarm in %s gives %s', async (state, verdict) => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'errors', StateValue: state as any, StateReason: 'why' }] });
    const report = await checkHealth(client, { alarms: { names: ['errors'] } }, now);
    expect(report).toEqual({ verdict, checkedAt: now.toISOString(), checks: [expect.objectContaining({ check: 'alarm:errors', verdict, state })] });
  });

  test('any alarm in ALARM fails the canary even when others are OK', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }, { AlarmName: 'b', StateValue: 'ALARM' }], CompositeAlarms: [{ AlarmName: 'c', StateValue: 'OK' }] });
    const report = await checkHealth(client, { alarms: { prefix: 'product-' } }, now);
    expect(report.verdict).toBe('fail');
    expect(report.checks).toHaveLength(3);
  });

  test('follows NextToken and does not count an alarm twice when names and prefix both match it', async () => {
    cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'p-' }).resolvesOnce({ MetricAlarms: [{ AlarmName: 'p-1', StateValue: 'OK' }], NextToken: 't' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'p-2', StateValue: 'ALARM' }] });
    cw.on(DescribeAlarmsCommand, { AlarmNames: ['p-1'] }).resolves({ MetricAlarms: [{ AlarmName: 'p-1', StateValue: 'OK' }] });
    const report = await checkHealth(client, { alarms: { names: ['p-1'], prefix: 'p-' } }, now);
    expect(report.checks.map((c) => c.check)).toEqual(['alarm:p-1', 'alarm:p-2']);
    expect(report.verdict).toBe('fail');
  });

  test('an alarm that does not exist is a misconfiguration, not a verdict', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }] });
    await expect(checkHealth(client, { alarms: { names: ['a', 'typo'] } }, now)).rejects.toMatchObject({ name: 'HealthCheckMisconfigured', message: expect.stringContaining('typo') });
  });

  test('a prefix that matches no alarm is a misconfiguration', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    await expect(checkHealth(client, { alarms: { prefix: 'nothing-' } }, now)).rejects.toMatchObject({ name: 'HealthCheckMisconfigured' });
  });

  test('throttling is transient', async () => {
    cw.on(DescribeAlarmsCommand).rejects(awsError('Throttling', 400));
    await expect(checkHealth(client, { alarms: { names: ['a'] } }, now)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('metric thresholds', () => {
  test.each([
    ['above the threshold fails', [300], [50], 'fail'],
    ['below the threshold passes', [120], [50], 'pass'],
    ['at the threshold passes (GreaterThan is strict)', [250], [50], 'pass'],
    ['too few samples is inconclusive, even when the value looks bad', [900], [3], 'inconclusive'],
    ['no data is inconclusive', [], [], 'inconclusive'],
  ])('%s', async (_label, values, samples, verdict) => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'v0', Values: values }, { Id: 'n0', Values: samples }] });
    const report = await checkHealth(client, { metrics: [latency] }, now);
    expect(report.verdict).toBe(verdict);
    expect(report.checks[0]).toMatchObject({ check: 'metric:latency', verdict, threshold: 250 });
    expect(report.checks[0].reason).toMatch(/LatencyMs/);
  });

  test('asks CloudWatch for the statistic and the sample count over exactly the window', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await checkHealth(client, { metrics: [latency] }, now);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2026-11-27T09:55:00Z'), EndTime: now,
      MetricDataQueries: [
        { Id: 'v0', ReturnData: true, MetricStat: { Metric: { Namespace: 'demo', MetricName: 'LatencyMs', Dimensions: [{ Name: 'VirtualNode', Value: 'product-v15-vn' }] }, Period: 300, Stat: 'Average' } },
        { Id: 'n0', ReturnData: true, MetricStat: { Metric: { Namespace: 'demo', MetricName: 'LatencyMs', Dimensions: [{ Name: 'VirtualNode', Value: 'product-v15-vn' }] }, Period: 300, Stat: 'SampleCount' } },
      ],
    });
  });

  test('one call per window length, so each check sees its own window', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await checkHealth(client, { metrics: [latency, { ...latency, name: 'errors', windowSeconds: 60 }, { ...latency, name: 'p99', statistic: 'p99' }] }, now);
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
  });

  test('a window split over two periods combines into one sample-weighted average', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'v0', Values: [100, 400] }, { Id: 'n0', Values: [30, 10] }] });
    const report = await checkHealth(client, { metrics: [latency] }, now);
    expect(report.checks[0]).toMatchObject({ value: 175, samples: 40, verdict: 'pass' });
  });

  test('CloudWatch rejecting the query is a misconfiguration; its 5xx is transient', async () => {
    cw.on(GetMetricDataCommand).rejectsOnce(awsError('InvalidParameterValueException', 400)).rejectsOnce(awsError('InternalServiceError', 500));
    await expect(checkHealth(client, { metrics: [latency] }, now)).rejects.toMatchObject({ name: 'HealthCheckMisconfigured' });
    await expect(checkHealth(client, { metrics: [latency] }, now)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

test('alarms and metrics together: fail beats inconclusive beats pass', async () => {
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }] });
  cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'v0', Values: [1] }, { Id: 'n0', Values: [1] }] });
  const report = await checkHealth(client, { alarms: { names: ['a'] }, metrics: [latency] }, now);
  expect(report.verdict).toBe('inconclusive');
});

test('no checks configured is a pass with nothing to report', async () => {
  expect(await checkHealth(client, undefined, now)).toEqual({ verdict: 'pass', checks: [], checkedAt: now.toISOString() });
  expect(cw.calls()).toHaveLength(0);
});

test.each([
  ['Sum', [1, 2], [5, 5], 3], ['SampleCount', [5, 5], [5, 5], 10], ['Minimum', [4, 2], [1, 1], 2],
  ['Maximum', [4, 2], [1, 1], 4], ['p99', [300, 500], [10, 10], 500], ['Average', [], [], undefined],
])('combine %s', (stat, values, samples, expected) => {
  expect(combine(stat, values, samples)).toBe(expected);
});
