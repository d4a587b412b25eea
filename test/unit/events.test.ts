// The event parsers (functions/commons/events.ts): each returns the typed event, or throws one
// InvalidInput listing every problem with the field's path and what was wrong.
import {
  parseAlarmEvent, parseCheckHealthEvent, parseGuardEvent, parsePreparedDeployment, parsePrepareEvent, parsePromoteEvent,
  parseRequestApprovalEvent, parseRollbackEvent, parseSetWeightEvent,
} from '../../functions/commons/events.ts';
import { parseDeploymentInput, withDefaults } from '../../functions/commons/input.ts';
import { pathOf, shown } from '../../functions/commons/validate.ts';
import { docsRegistry } from '../../scripts/schema.ts';
import { executionInput } from '../../functions/commons/input.ts';
import { appMeshLimits } from '../../functions/commons/routers/appmesh/index.ts';
import { event } from '../support/fixtures.ts';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    expect((err as Error).name).toBe('InvalidInput');
    return (err as { problems: string[] }).problems;
  }
  throw new Error('expected InvalidInput');
};
const d = () => event('set-weight.json').deployment;

describe('the events in events/ parse to themselves', () => {
  test.each([
    ['set-weight.json', parseSetWeightEvent],
    ['promote.json', parsePromoteEvent],
    ['rollback.json', parseRollbackEvent],
    ['check-health.json', parseCheckHealthEvent],
    ['guard-aborted.json', parseGuardEvent],
    ['alarm-state-change.json', parseAlarmEvent],
  ] as const)('%s', (file, parse) => {
    expect(parse(event(file))).toEqual(event(file));
  });

  test('prepare.json: the input is validated too, and comes back typed', () => {
    const e = parsePrepareEvent({ ...event<any>('prepare.json'), executionId: 'arn:x', machine: 'linear' as const, input: event('execution-linear.json') });
    expect(e).toEqual({ input: event('execution-linear.json'), executionId: 'arn:x', machine: 'linear' });
    expect(withDefaults(e.input).strategy).toEqual({ type: 'linear', stepPercent: 10, intervalSeconds: 300 });
  });

  test('request-approval: the deployment, the task token and the share', () => {
    const e = { deployment: d(), taskToken: 'token', weight: 10 };
    expect(parseRequestApprovalEvent(e)).toEqual(e);
  });

  test('rollback with releaseLock: only the lock to release', () => {
    expect(parseRollbackEvent({ releaseLock: { route: d().route, executionId: 'arn:x' } })).toEqual({ releaseLock: { route: d().route, executionId: 'arn:x' } });
  });
});

test.each([
  ['set-weight, a weight above 100', () => parseSetWeightEvent({ deployment: d(), weight: 101 }), ['event.weight must be an integer from 0 to 100 (got 101)']],
  ['set-weight, no weight', () => parseSetWeightEvent({ deployment: d() }), ['event.weight is missing: it must be an integer from 0 to 100']],
  ['set-weight, no snapshot', () => parseSetWeightEvent({ deployment: { ...d(), snapshot: undefined }, weight: 1 }),
    ['deployment.snapshot is missing: pass the deployment object the prepare step returned']],
  ['set-weight, a bad expected target', () => parseSetWeightEvent({ deployment: d(), weight: 1, expected: [{ virtualNode: 'a', weight: 1, port: 0 }] }),
    ['event.expected[0].port must be an integer from 1 to 65535 (got 0)']],
  ['prepare, no input', () => parsePrepareEvent({ executionId: 'x' }), ['event.input is missing: pass the deployment input as {"input": {...}}']],
  ['prepare, an unknown machine', () => parsePrepareEvent({ input: {}, machine: 'canary' }), ['event.machine must be one of linear, step-then-all, manual-approval (got "canary")']],
  ['rollback, releaseLock with a deployment', () => parseRollbackEvent({ releaseLock: { route: d().route, executionId: 'x' }, deployment: d() }),
    ['event.deployment cannot go with event.releaseLock']],
  ['rollback, leaveRoute and refused', () => parseRollbackEvent({ deployment: d(), leaveRoute: true, refused: true }),
    ['event.leaveRoute and event.refused cannot both be true']],
  ['check-health, progress and no strategy', () => parseCheckHealthEvent({ deployment: d(), progress: { stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] } }),
    ['deployment.strategy is missing: a verdict with progress needs the strategy to decide what comes next']],
  ['guard, another source', () => parseGuardEvent({ ...event<any>('guard-aborted.json'), source: 'aws.ec2' }),
    ['event must be a "Step Functions Execution Status Change" event from aws.states']],
  ['alarm, another detail-type', () => parseAlarmEvent({ ...event<any>('alarm-state-change.json'), 'detail-type': 'CloudWatch Alarm Configuration Change' }),
    ['event must be a "CloudWatch Alarm State Change" event from aws.cloudwatch']],
  ['alarm, no alarm name', () => parseAlarmEvent({ ...event<any>('alarm-state-change.json'), detail: { state: { value: 'ALARM' } } }),
    ['event.detail.alarmName is missing: it must be a non-empty string of at most 255 characters without control characters']],
  ['guard, the deployment read back', () => parsePreparedDeployment({ ...d(), canaryNode: 'product-vn' }),
    ['the Prepare state\'s deployment.canaryNode must differ from the Prepare state\'s deployment.stableNode (both are product-vn)']],
  ['an event that is not an object', () => parsePromoteEvent([]), ['event must be an object (got an empty array)']],
])('%s', (_label, parse, expected) => {
  expect(problems(parse)).toEqual(expected);
});

describe('the deployment input', () => {
  const input = () => event<any>('execution-linear.json');

  test('every problem at once, each with its field', () => {
    expect(problems(() => parseDeploymentInput({
      ...input(), stableNode: 'a b', failureThreshold: 0, healthChecks: { alarms: { names: ['x', 'x'] }, metrics: [{}] }, extra: 1,
    }))).toEqual([
      'stableNode must be a name of 1-255 letters, digits, . _ or - (starting with a letter or digit) (got "a b")',
      'healthChecks.alarms.names lists an alarm twice',
      'healthChecks.metrics[0].name is missing: it must be a non-empty string of at most 255 characters without control characters',
      'healthChecks.metrics[0].namespace is missing: it must be a non-empty string of at most 255 characters without control characters',
      'healthChecks.metrics[0].metricName is missing: it must be a non-empty string of at most 255 characters without control characters',
      'healthChecks.metrics[0].statistic is missing: it must be one of Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99',
      'healthChecks.metrics[0].windowSeconds is missing: it must be an integer from 60 to 86400',
      'healthChecks.metrics[0].comparison is missing: it must be one of GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold',
      'healthChecks.metrics[0].threshold is missing: it must be a finite number',
      'failureThreshold must be an integer from 1 to 100 (got 0)',
      'input.extra is not a known field (known: route, stableNode, canaryNode, strategy, healthChecks, failureThreshold, inconclusive, onDrift, keepStableTarget, settleSeconds, trafficVerification)',
    ]);
  });

  test('an unknown strategy type is the only strategy problem reported', () => {
    expect(problems(() => parseDeploymentInput({ ...input(), strategy: { type: 'canary', stepPercent: 0, bogus: 1 } }, 'linear')))
      .toEqual(['strategy.type must be one of linear, step-then-all, manual-approval (got "canary")']);
  });

  test('a field that breaks several checks is one problem (0.5 is neither an integer nor at least 1)', () => {
    expect(problems(() => parseDeploymentInput({ ...input(), strategy: { ...input().strategy, stepPercent: 0.5 } })))
      .toEqual(['strategy.stepPercent must be an integer from 1 to 100 (got 0.5)']);
  });

  test('a huge unknown key and a huge value are shown shortened', () => {
    const key = 'k'.repeat(50_000);
    expect(problems(() => parseDeploymentInput({ ...input(), stableNode: 'v'.repeat(50_000), [key]: 1 }))).toEqual([
      `stableNode must be a name of 1-255 letters, digits, . _ or - (starting with a letter or digit) (got "${'v'.repeat(40)}…")`,
      `input.${'k'.repeat(40)}… is not a known field (known: route, stableNode, canaryNode, strategy, healthChecks, failureThreshold, inconclusive, onDrift, keepStableTarget, settleSeconds, trafficVerification)`,
    ]);
  });

  test('a metric dimension key out of range names the dimensions and the key', () => {
    const metric = { ...input().healthChecks?.metrics?.[0], name: 'm', namespace: 'n', metricName: 'x', statistic: 'p99', windowSeconds: 60, comparison: 'LessThanThreshold', threshold: 1 };
    expect(problems(() => parseDeploymentInput({ ...input(), healthChecks: { metrics: [{ ...metric, dimensions: { '': 'v' } }] } })))
      .toEqual(['healthChecks.metrics[0].dimensions must be keyed by names of 1-255 characters (got "")']);
  });
});

test('paths and values as messages show them', () => {
  expect(pathOf({ whole: 'event', bare: ['deployment'] }, ['deployment', 'snapshot', 'weightedTargets', 0, 'weight'])).toBe('deployment.snapshot.weightedTargets[0].weight');
  expect(pathOf({ whole: 'event' }, ['weight'])).toBe('event.weight');
  expect(pathOf({ whole: 'input', prefix: '' }, [])).toBe('input');
  expect([undefined, null, [], [1], [1, 2], {}, 'x'.repeat(41), 1e300, true].map(shown))
    .toEqual(['nothing', 'null', 'an empty array', 'an array of 1 item', 'an array of 2 items', 'an object', `"${'x'.repeat(40)}…"`, '1e+300', 'true']);
});

describe('the JSON Schema docs', () => {
  test('a path that names no field is refused', () => {
    expect(() => docsRegistry(executionInput, { 'strategy(linear).stepSize': { description: 'x' } })).toThrow('"strategy(linear).stepSize" names no field');
  });

  test('a description of a schema several fields share is refused (it would describe them all)', () => {
    expect(() => docsRegistry(executionInput, { 'route|0.routeName': { description: 'x' } })).toThrow('give the field its own copy');
  });
});

test('the weighted targets a step receives are held to the App Mesh router\'s limits', () => {
  const { maxTargets, maxWeight } = appMeshLimits;
  const targets = (n: number, weight = 0) => Array.from({ length: n }, (_, i) => ({ virtualNode: `n${i}`, weight }));
  const expected = (list: unknown) => () => parsePromoteEvent({ deployment: d(), expected: list });
  expect(expected(targets(maxTargets, maxWeight))()).toBeTruthy();
  expect(problems(expected(targets(maxTargets + 1)))).toEqual([`event.expected must be an array of 1 to ${maxTargets} items (got an array of ${maxTargets + 1} items)`]);
  expect(problems(expected(targets(1, maxWeight + 1)))).toEqual([`event.expected[0].weight must be an integer from 0 to ${maxWeight} (got ${maxWeight + 1})`]);
});

test('the input contract is pure: its modules bundle without the AWS SDK (zod and our own files only)', () => {
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const { metafile } = buildSync({
    entryPoints: ['functions/commons/events.ts'], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', logLevel: 'silent',
  });
  const inputs = Object.keys(metafile!.inputs);
  expect(inputs.filter((p) => p.includes('node_modules') && !p.includes('node_modules/zod/'))).toEqual([]);
  expect(inputs.filter((p) => !p.includes('node_modules')).sort()).toEqual([
    'functions/commons/errors.ts', 'functions/commons/events.ts', 'functions/commons/input.ts',
    'functions/commons/routers/appmesh/schema.ts', 'functions/commons/routers/lattice/reference.ts',
    'functions/commons/routers/lattice/schema.ts', 'functions/commons/validate.ts',
  ]);
});

test('a parser returns the event it was given, as it was: a metric dimension named "__proto__" stays (zod\'s own copy would drop it)', () => {
  const input = JSON.parse(JSON.stringify(event('execution-linear.json')).replace('"VirtualNode":', '"__proto__": "x", "VirtualNode":'));
  const parsed = parseDeploymentInput(input, 'linear');
  expect(parsed).toBe(input);
  expect(Object.keys(parsed.healthChecks!.metrics![0].dimensions!)).toEqual(['__proto__', 'VirtualNode']);
  const e = { deployment: d(), weight: 5 };
  expect(parseSetWeightEvent(e)).toBe(e);
});

test.each([1.5, 0, 'x'])('a bad number (failureThreshold %p) does not hide the cross-field rules: every problem in one message', (bad) => {
  const input = event('execution-linear.json');
  expect(problems(() => parseDeploymentInput({ ...input, canaryNode: input.stableNode, failureThreshold: bad }, 'linear'))).toEqual([
    `failureThreshold must be an integer from 1 to 100 (got ${shown(bad)})`,
    `canaryNode must differ from stableNode (both are ${input.stableNode})`,
  ]);
  const metric = { name: 'm', namespace: 'n', metricName: 'x', statistic: 'Sum', windowSeconds: 90.5, comparison: 'GreaterThanThreshold', threshold: 1 };
  expect(problems(() => parseDeploymentInput({ ...input, healthChecks: { metrics: [metric, { ...metric, windowSeconds: 60 }] } }, 'linear')))
    .toEqual(expect.arrayContaining([expect.stringContaining('healthChecks.metrics[0].windowSeconds'), expect.stringContaining('each check needs its own name')]));
});
