// Traffic verification (issue 13): the split arithmetic, the window it is measured over, the
// queries asked of CloudWatch, the input's trafficVerification, and the feed's split of requests.
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import {
  routeTargetsOf, splitResult, trafficSettingsOf, verifyTraffic, windowStart, type RouteTargets,
} from '../../functions/commons/traffic.ts';
import type { Progress } from '../../functions/commons/strategy.ts';
import { splitRequests } from '../../local/traffic-feed.ts';
import { latticeIds, validInputs, validLatticeInputs } from '../support/corpus.ts';
import { awsError } from '../support/fixtures.ts';

const cw = mockClient(CloudWatchClient);
const client = new CloudWatchClient({ region: 'us-east-1' });
const now = new Date('2026-11-27T10:00:00Z');
const settings = trafficSettingsOf({ tolerancePercent: 5, minRequests: 100, windowSeconds: 60 })!;
const route: RouteTargets = { label: 'mesh/vr/r', stable: 'product-vn', canary: 'product-v15-vn', metric: { namespace: 'n', metricName: 'm', dimensions: { VirtualNode: '{target}' } } };
const requestCount = { namespace: 'mesh-canary/demo', metricName: 'RequestCount', dimensions: { VirtualNode: '{target}' } };

beforeEach(() => cw.reset());

describe('splitResult: the canary\'s share of the stable+canary requests against the share the shift set', () => {
  test.each([
    // canary, stable, expected, verdict
    [30, 70, 25, 'pass'], // exactly at the upper edge: 30 = 25 + 5
    [20, 80, 25, 'pass'], // exactly at the lower edge
    [31, 69, 25, 'inconclusive'],
    [19, 81, 25, 'inconclusive'],
    [100, 0, 100, 'pass'], // the last step: the stable has none
    [0, 100, 25, 'inconclusive'], // the split never moved
  ] as const)('canary %i, stable %i, %i%% ± 5 expected → %s', (canary, stable, expected, verdict) => {
    expect(splitResult(route, expected, settings, [stable], [canary]).verdict).toBe(verdict);
  });

  test('the reason names the canary, its measured share, the requests and the expected share; shares by target', () => {
    const r = splitResult(route, 25, settings, [200, 200], [12]);
    expect(r).toEqual({
      check: 'traffic:mesh/vr/r', verdict: 'inconclusive', requests: 412, shares: { 'product-vn': 97.1, 'product-v15-vn': 2.9 },
      reason: 'canary product-v15-vn has 2.9% of 412 requests since the shift settled, 25% ± 5 expected',
    });
  });

  test('no requests at all, and fewer than minRequests: inconclusive, never a pass (no shares)', () => {
    expect(splitResult(route, 25, settings, [], [])).toEqual({
      check: 'traffic:mesh/vr/r', verdict: 'inconclusive', requests: 0, reason: '0 requests since the shift settled, fewer than the 100 needed to tell',
    });
    expect(splitResult(route, 25, settings, [31], [10]).reason).toBe('41 requests since the shift settled, fewer than the 100 needed to tell');
    expect(splitResult(route, 25, settings, [75], [25]).verdict).toBe('pass'); // exactly minRequests
  });

  test('a split no nearer the new share than the one before the shift is not verified, whatever the tolerance (a 5% canary with 5 points of tolerance)', () => {
    // 0 of 1000 at 5% ± 5 is within the tolerance, but it is the old split exactly.
    expect(splitResult(route, 5, settings, [1000], [0], 0)).toMatchObject({
      verdict: 'inconclusive', reason: 'canary product-v15-vn has 0% of 1000 requests since the shift settled, 5% ± 5 expected, but no nearer it than the 0% before the shift',
    });
    // 5% at 10% ± 5 after a step from 5%: the old split again.
    expect(splitResult(route, 10, settings, [950], [50], 5).verdict).toBe('inconclusive');
    // Nearer the new share than the old: verified.
    expect(splitResult(route, 5, settings, [970], [30], 0).verdict).toBe('pass');
    expect(splitResult(route, 10, settings, [920], [80], 5).verdict).toBe('pass');
  });

  test('a target with no series served no requests', () => {
    expect(splitResult(route, 100, settings, [], [150])).toMatchObject({ verdict: 'pass', shares: { 'product-vn': 0, 'product-v15-vn': 100 } });
    expect(splitResult(route, 25, settings, [150], [])).toMatchObject({ verdict: 'inconclusive', shares: { 'product-vn': 100, 'product-v15-vn': 0 } });
  });
});

describe('windowStart: at least windowSeconds back once the shift is that old, never before the shift settled, on a whole period', () => {
  test.each([
    ['2026-11-27T09:50:00Z', 60, '2026-11-27T09:59:00Z'], // settled long ago: the last minute
    ['2026-11-27T09:59:20Z', 60, undefined], // settled 40 s ago: the next whole minute is not yet here
    ['2026-11-27T09:58:30Z', 60, '2026-11-27T09:59:00Z'],
    ['2026-11-27T09:59:31Z', 10, '2026-11-27T09:59:50Z'], // the last 10 s
    ['2026-11-27T09:59:52Z', 10, undefined], // 10:00:00: nothing yet
    ['2026-11-27T09:59:00Z', 30, '2026-11-27T09:59:30Z'], // periods of 10 s for windows under a minute
  ])('settled %s, window %i s → %s', (since, windowSeconds, expected) => {
    expect(windowStart(new Date(since), now, windowSeconds)?.toISOString().replace('.000', '')).toBe(expected);
  });

  test('between periods, the window reaches back to the period before: at least windowSeconds long', () => {
    const later = new Date('2026-11-27T10:00:07Z');
    expect(windowStart(new Date('2026-11-27T09:00:00Z'), later, 10)?.toISOString()).toBe('2026-11-27T09:59:50.000Z');
    expect(windowStart(new Date('2026-11-27T09:59:55Z'), later, 10)?.toISOString()).toBe('2026-11-27T10:00:00.000Z'); // rounded up: after the shift
    // Under a second after the period began: nothing yet (CloudWatch refuses a start time equal to the end time, to the second).
    expect(windowStart(new Date('2026-11-27T09:59:55Z'), new Date('2026-11-27T10:00:00.900Z'), 10)).toBeUndefined();
    expect(windowStart(new Date('2026-11-27T09:00:00Z'), new Date('2026-11-27T10:00:37Z'), 60)?.toISOString()).toBe('2026-11-27T09:59:00.000Z');
  });
});

describe('verifyTraffic', () => {
  const holding = (weight = 25, since = '2026-11-27T09:58:00Z'): Progress => ({
    stage: 0, weight, passes: 0, consecutiveFailures: 0, checks: 1, history: [], traffic: { weight, since },
  });
  const lattice = { ...validLatticeInputs.linear, trafficVerification: { windowSeconds: 60 } };

  test('VPC Lattice: TotalRequestCount by TargetGroup ID (Sum) for the stable and the canary only, from the window start; other targets ignored', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [
      { Id: 'ts0', StatusCode: 'Complete', Values: [75] }, { Id: 'tc0', StatusCode: 'Complete', Values: [25] },
    ] });
    const out = await verifyTraffic(client, lattice, holding(), now);
    const metric = (tg: string) => ({ Namespace: 'AWS/VpcLattice', MetricName: 'TotalRequestCount', Dimensions: [{ Name: 'TargetGroup', Value: tg }] });
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date('2026-11-27T09:59:00Z'), EndTime: now,
      MetricDataQueries: [
        { Id: 'ts0', MetricStat: { Metric: metric(latticeIds.stable), Period: 60, Stat: 'Sum' }, ReturnData: true },
        { Id: 'tc0', MetricStat: { Metric: metric(latticeIds.canary), Period: 60, Stat: 'Sum' }, ReturnData: true },
      ],
    });
    expect(out.checks).toHaveLength(1);
    expect(out.checks[0]).toMatchObject({ check: `traffic:${latticeIds.service}/${latticeIds.listener}/${latticeIds.rule}`, verdict: 'pass', requests: 100 });
    expect(out.measure).toEqual({ verified: true, measured: [] });
  });

  test('App Mesh: the input\'s requestCount with {target} replaced by each node name', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'ts0', StatusCode: 'Complete', Values: [500] }] });
    const d = { ...validInputs.linear, trafficVerification: { windowSeconds: 60, requestCount: { ...requestCount, dimensions: { VirtualNode: 'demo-{target}', Mesh: 'm' } } } };
    const out = await verifyTraffic(client, d, holding(), now);
    expect(cw).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({ MetricStat: expect.objectContaining({ Metric: { Namespace: 'mesh-canary/demo', MetricName: 'RequestCount', Dimensions: [{ Name: 'VirtualNode', Value: `demo-${d.stableNode}` }, { Name: 'Mesh', Value: 'm' }] } }) }),
        expect.objectContaining({ MetricStat: expect.objectContaining({ Metric: expect.objectContaining({ Dimensions: [{ Name: 'VirtualNode', Value: `demo-${d.canaryNode}` }, { Name: 'Mesh', Value: 'm' }] }) }) }),
      ],
    });
    expect(out.measure!.verified).toBe(false);
    expect(out.measure!.measured[0]).toMatch(/^traffic:.*: canary .* has 0% of 500 requests since the shift settled, 25% ± 5 expected$/);
  });

  test('a release: one entry per route, each its own targets', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [
      { Id: 'ts0', Values: [75] }, { Id: 'tc0', Values: [25] }, { Id: 'ts1', Values: [100] }, { Id: 'tc1', Values: [0] },
    ] });
    const { route: r, stableTargetGroup, canaryTargetGroup } = validLatticeInputs.linear;
    const mesh = { route: validInputs.linear.route, stableNode: 'a-vn', canaryNode: 'b-vn' };
    const release = { routes: [{ route: r, stableTargetGroup, canaryTargetGroup }, mesh], strategy: validInputs.linear.strategy, trafficVerification: { requestCount } };
    const out = await verifyTraffic(client, release, holding(), now);
    expect(out.checks.map((c) => c.verdict)).toEqual(['pass', 'inconclusive']);
    expect(out.checks[1].shares).toEqual({ 'a-vn': 100, 'b-vn': 0 });
    expect(routeTargetsOf(release, trafficSettingsOf(release.trafficVerification)!).map((t) => [t.stable, t.canary])).toEqual([[latticeIds.stable, latticeIds.canary], ['a-vn', 'b-vn']]);
  });

  test('the share before the shift comes from the plan: 12% at the 20% step of 10% steps is nearer the old 10% than 20%, not verified', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [
      { Id: 'ts0', StatusCode: 'Complete', Values: [880] }, { Id: 'tc0', StatusCode: 'Complete', Values: [120] },
    ] });
    const wide = { ...lattice, trafficVerification: { windowSeconds: 60, tolerancePercent: 10 } };
    const out = await verifyTraffic(client, wide, { ...holding(20), stage: 1 }, now);
    expect(out.checks[0]).toMatchObject({ verdict: 'inconclusive', reason: expect.stringMatching(/20% ± 10 expected, but no nearer it than the 10% before the shift$/) });
  });

  test('nothing asked: without trafficVerification, at the baseline, once verified, or before a whole window after the shift', async () => {
    expect(await verifyTraffic(client, validLatticeInputs.linear, holding(), now)).toEqual({ checks: [] });
    expect(await verifyTraffic(client, lattice, { ...holding(), stage: -1 }, now)).toEqual({ checks: [] });
    expect(await verifyTraffic(client, lattice, { ...holding(), traffic: { weight: 25, since: '2026-11-27T09:58:00Z', verifiedAt: '2026-11-27T09:59:00Z' } }, now)).toEqual({ checks: [] });
    const early = await verifyTraffic(client, lattice, holding(25, '2026-11-27T09:59:30Z'), now);
    expect(early.checks[0]).toMatchObject({ verdict: 'inconclusive', requests: 0 });
    expect(cw).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
  });

  test('CloudWatch refusing the query is a misconfiguration, its 5xx transient, as for the metric checks', async () => {
    cw.on(GetMetricDataCommand).rejects(awsError('InvalidParameterValueException', 400, 'The parameter Period is invalid'));
    await expect(verifyTraffic(client, lattice, holding(), now)).rejects.toMatchObject({ name: 'HealthCheckMisconfigured' });
    cw.reset();
    cw.on(GetMetricDataCommand).rejects(awsError('InternalServiceError', 500));
    await expect(verifyTraffic(client, lattice, holding(), now)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});

describe('the input\'s trafficVerification', () => {
  const problems = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      return (e as { problems?: string[] }).problems ?? [String(e)];
    }
    return [];
  };

  test('a VPC Lattice input may leave requestCount out; an App Mesh one may not', () => {
    expect(problems(() => parseDeploymentInput({ ...validLatticeInputs.linear, trafficVerification: {} }))).toEqual([]);
    expect(problems(() => parseDeploymentInput({ ...validInputs.linear, trafficVerification: { requestCount } }))).toEqual([]);
    expect(problems(() => parseDeploymentInput({ ...validInputs.linear, trafficVerification: {} }))).toEqual([
      expect.stringMatching(/^trafficVerification\.requestCount is missing: App Mesh publishes no request counts/),
    ]);
  });

  test('a release with an App Mesh route needs requestCount too', () => {
    const { route, stableTargetGroup, canaryTargetGroup } = validLatticeInputs.linear;
    const routes = [{ route, stableTargetGroup, canaryTargetGroup }, { route: validInputs.linear.route, stableNode: 'a-vn', canaryNode: 'b-vn' }];
    expect(problems(() => parseDeploymentInput({ routes: [routes[0]], strategy: validInputs.linear.strategy, trafficVerification: {} }))).toEqual([]);
    expect(problems(() => parseDeploymentInput({ routes, strategy: validInputs.linear.strategy, trafficVerification: {} }))).toEqual([
      expect.stringMatching(/^trafficVerification\.requestCount is missing/),
    ]);
  });

  test.each([
    [{ windowSeconds: 45 }, /trafficVerification\.windowSeconds must be one of 10, 30 or a multiple of 60 up to 3600/],
    [{ windowSeconds: 3660 }, /trafficVerification\.windowSeconds must be an integer from 10 to 3600/],
    [{ tolerancePercent: 51 }, /trafficVerification\.tolerancePercent must be a number from 0 to 50/],
    [{ minRequests: 0 }, /trafficVerification\.minRequests must be an integer from 1 to 1000000000/],
    [{ maxWaitSeconds: 86_401 }, /trafficVerification\.maxWaitSeconds must be an integer from 0 to 86400/],
    [{ requestCount: { ...requestCount, dimensions: { VirtualNode: 'product-vn' } } }, /trafficVerification\.requestCount\.dimensions must be an object of 1 to 30 name: value strings, one value holding \{target\}/],
    [{ requestCount: { ...requestCount, statistic: 'Average' } }, /trafficVerification\.requestCount\.statistic must be one of Sum/],
    [{ extra: 1 }, /trafficVerification\.extra is not a known field/],
    // 10 stages (10% steps): a hold every half window at each, 2000 holds in all at the most.
    [{ windowSeconds: 10, maxWaitSeconds: 1001 }, /^trafficVerification\.maxWaitSeconds must be at most 1000 s here: a hold is a verdict every half window \(5 s\) at each of the 10 stages, and 2000 holds/],
    [{ windowSeconds: 60, maxWaitSeconds: 6001 }, /^trafficVerification\.maxWaitSeconds must be at most 6000 s here: a hold is a verdict every half window \(30 s\)/],
    [{ maxWaitSeconds: 86_400 }, /^trafficVerification\.maxWaitSeconds must be at most 30000 s here/],
  ])('%j is refused, naming the field', (t, message) => {
    expect(problems(() => parseDeploymentInput({ ...validLatticeInputs.linear, trafficVerification: t }))).toEqual([expect.stringMatching(message)]);
  });

  test('maxWaitSeconds up to the holds an execution has room for is accepted, counting the stages', () => {
    expect(problems(() => parseDeploymentInput({ ...validLatticeInputs.linear, trafficVerification: { windowSeconds: 10, maxWaitSeconds: 1000 } }))).toEqual([]);
    // One stage (step-then-all): ten times as long.
    expect(problems(() => parseDeploymentInput({ ...validLatticeInputs['step-then-all'], trafficVerification: { windowSeconds: 10, maxWaitSeconds: 10_000 } }))).toEqual([]);
  });

  test.each([10, 30, 60, 3600])('windowSeconds %i is accepted', (windowSeconds) => {
    expect(problems(() => parseDeploymentInput({ ...validLatticeInputs.linear, trafficVerification: { windowSeconds } }))).toEqual([]);
  });
});

describe('the feed\'s split (local/traffic-feed.ts)', () => {
  test.each([
    [{ a: 75, b: 25 }, 50, { a: 38, b: 12 }], // 37.5 / 12.5: the larger remainder first... then by order
    [{ a: 1, b: 1, c: 1 }, 10, { a: 4, b: 3, c: 3 }],
    [{ a: 100, b: 0 }, 50, { a: 50, b: 0 }],
    [{ a: 0, b: 0 }, 50, { a: 0, b: 0 }],
  ])('%j of %i requests → %j (adds up)', (weights, n, expected) => {
    expect(splitRequests(weights, n)).toEqual(expected);
  });
});
