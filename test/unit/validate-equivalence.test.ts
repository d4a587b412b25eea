// TEMPORARY, until the handlers switch to functions/commons/events.ts: the zod parsers
// (input.ts, events.ts) and the hand-written validators (deployment.ts + check.ts, and the
// checks at the top of each handler) refuse the same inputs and events with the same messages.
// Every corpus case and every event shape below goes through both. Delete this file together
// with the old validators.
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Checker } from '../../functions/commons/check.ts';
import type { InvalidInput } from '../../functions/commons/errors.ts';
import { checkDeployment, parseDeploymentInput as oldParseDeploymentInput } from '../../functions/commons/deployment.ts';
import {
  parseCheckHealthEvent, parseGuardEvent, parsePreparedDeployment, parsePrepareEvent, parsePromoteEvent,
  parseRequestApprovalEvent, parseRollbackEvent, parseSetWeightEvent,
} from '../../functions/commons/events.ts';
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { checkCanaryHealth } from '../../functions/check-health/index.ts';
import { guard } from '../../functions/guard/index.ts';
import { prepare } from '../../functions/prepare/index.ts';
import { promote } from '../../functions/promote/index.ts';
import { requestApproval } from '../../functions/request-approval/index.ts';
import { rollback } from '../../functions/rollback/index.ts';
import { setWeight } from '../../functions/set-weight/index.ts';
import { malformedInputs, validInputs } from '../support/corpus.ts';
import { event } from '../support/fixtures.ts';

// Past validation, the old handlers call AWS: every call fails, so "accepted" is any other outcome.
const clients: { reset(): { onAnyCommand(): { rejects(e: Error): unknown } } }[] = [
  mockClient(AppMeshClient), mockClient(CloudWatchClient), mockClient(DynamoDBClient), mockClient(SFNClient), mockClient(SNSClient),
] as never;
beforeEach(() => {
  for (const c of clients) c.reset().onAnyCommand().rejects(Object.assign(new Error('no AWS in this test'), { name: 'AccessDeniedException' }));
});

/**
 * Refused: every problem, in any order (zod lists an object's unknown fields after its other
 * problems, the old validators before them). The message lists them joined, so it says the same.
 */
/** What the writing handlers take: the routers' clients (no lock: an event without one is checked the same). */
const writer = () => ({ routers: { appMesh: () => new AppMeshClient({}) } });

type Outcome = 'accepted' | { name: string; problems: string[] };
const outcome = (err: unknown): Outcome => ((err as Error)?.name === 'InvalidInput'
  ? { name: 'InvalidInput', problems: [...(err as InvalidInput).problems].sort() } : 'accepted');
const sync = (fn: () => unknown): Outcome => {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return outcome(err);
  }
};
const settled = (p: Promise<unknown>): Promise<Outcome> => p.then(() => 'accepted', outcome);

const machineOf = (c: { machine?: string; input: any }) => (c.machine ?? c.input?.strategy?.type ?? 'linear') as any;
const corpus = malformedInputs();

describe('the deployment input: the same message for every corpus case and valid example', () => {
  test.each(corpus.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const old = sync(() => oldParseDeploymentInput(c.input, machineOf(c)));
    expect(old).not.toBe('accepted');
    expect(sync(() => parseDeploymentInput(c.input, machineOf(c)))).toEqual(old);
  });

  test.each(Object.entries(validInputs))('events/execution-%s.json', (machine, input) => {
    expect(sync(() => oldParseDeploymentInput(input, machine as any))).toBe('accepted');
    expect(sync(() => parseDeploymentInput(input, machine as any))).toBe('accepted');
    expect(parseDeploymentInput(input, machine as any)).toEqual(input);
  });
});

// ------------------------------------------------------------------ event shapes
const d = () => structuredClone(event('set-weight.json').deployment);
const snapshot = () => d().snapshot;
const target = { virtualNode: 'product-vn', weight: 100 };
const badTargets: unknown[] = [
  undefined, null, [], 'x', {}, [null], [{}], Array.from({ length: 11 }, (_, i) => ({ virtualNode: `n${i}`, weight: 0 })),
  [{ ...target, weight: 300 }], [{ ...target, weight: -1 }], [{ ...target, weight: 2.5 }], [{ ...target, weight: '5' }],
  [{ ...target, virtualNode: 'a b' }], [{ ...target, virtualNode: '' }], [{ ...target, port: 0 }], [{ ...target, port: 65536 }],
  [{ ...target, port: '80' }], [{ ...target, extra: 1 }], [{ virtualNode: 'product-vn' }], [target, { ...target, weight: 'x' }],
];
const badSnapshots: unknown[] = [
  undefined, null, [], 'snap', {},
  ...badTargets.map((weightedTargets) => ({ ...snapshot(), weightedTargets })),
  { ...snapshot(), router: 'lattice' }, { ...snapshot(), router: undefined }, { ...snapshot(), routeKind: 'udpRoute' },
  { ...snapshot(), version: -1 }, { ...snapshot(), version: 1.5 }, { ...snapshot(), version: '1' },
  { ...snapshot(), takenAt: '' }, { ...snapshot(), takenAt: 'x'.repeat(65) }, { ...snapshot(), takenAt: undefined }, { ...snapshot(), extra: true },
];
/** Deployments: every malformed input with a good snapshot, bad snapshots, bad executionIds. */
const badDeployments: unknown[] = [
  undefined, null, [], 'deployment', 7,
  // (A deployment without a strategy is one prepared by hand: not a bad one.)
  ...corpus.filter((c) => c.input && typeof c.input === 'object' && !Array.isArray(c.input) && c.machine === undefined && c.label !== 'no strategy')
    .map((c) => ({ ...(c.input as object), snapshot: snapshot() })),
  ...badSnapshots.map((s) => ({ ...d(), snapshot: s })),
  ...['', 5, 'x'.repeat(2049), null].map((executionId) => ({ ...d(), executionId })),
  { ...d(), canaryNode: 'product-vn', snapshot: undefined, extra: 1 },
];
const goodDeployments = [d(), { ...d(), executionId: 'arn:x' }, { ...d(), strategy: validInputs.linear.strategy }, event('promote.json').deployment, event('rollback.json').deployment];

const progress = { stage: 0, weight: 10, passes: 0, consecutiveFailures: 0, checks: 1, history: [] };
const aborted = () => event('guard-aborted.json');

type Case = [label: string, event: unknown];
const each = (label: string, values: unknown[], make: (v: unknown) => unknown): Case[] => values.map((v, i) => [`${label} #${i}`, make(v)]);

const handlers: [string, (e: unknown) => Promise<unknown>, (e: unknown) => unknown, Case[]][] = [
  ['prepare', (e) => prepare(e, writer()), parsePrepareEvent, [
    ...each('event', [undefined, null, [], 'x', {}, { executionId: 'x' }], (v) => v),
    ['the input at the top level', validInputs.linear],
    ['an unknown event field', { input: validInputs.linear, extra: 1 }],
    ...each('executionId', ['', 5, null, 'x'.repeat(2049)], (executionId) => ({ input: validInputs.linear, executionId })),
    ...each('machine', ['canary', null, 5], (machine) => ({ input: validInputs.linear, machine })),
    ['a bad machine and a bad input', { input: null, machine: 'x' }],
    ...corpus.map((c): Case => [`input: ${c.label}`, { input: c.input, machine: machineOf(c) }]),
    ...corpus.slice(0, 60).filter((c) => c.label !== 'no strategy').map((c): Case => [`input, no machine: ${c.label}`, { input: c.input }]),
    ['good, no machine and no strategy', { input: { ...validInputs.linear, strategy: undefined } }],
    ['good, by hand', event('prepare.json')],
    ...Object.entries(validInputs).map(([machine, input]): Case => [`good ${machine}`, { input, machine, executionId: 'arn:x' }]),
  ]],
  ['set-weight', (e) => setWeight(e, writer()), parseSetWeightEvent, [
    ...each('event', [undefined, null, [], 'x', {}, { weight: 10 }], (v) => v),
    ...each('weight', [101, -5, 12.5, '30', undefined, null, true, 1e300], (weight) => ({ deployment: d(), weight })),
    ...each('deployment', badDeployments, (deployment) => ({ deployment, weight: 10 })),
    ...each('expected', badTargets.slice(1), (expected) => ({ deployment: d(), weight: 10, expected })),
    ['everything wrong', { deployment: { ...d(), snapshot: null, stableNode: 5 }, weight: 'x', expected: [], more: 1 }],
    ['good', event('set-weight.json')],
    ...each('good deployment', goodDeployments, (deployment) => ({ deployment, weight: 0, expected: [target] })),
  ]],
  ['promote', (e) => promote(e, writer()), parsePromoteEvent, [
    ...each('event', [undefined, 'promote', [], {}, { deployment: d(), weight: 1 }], (v) => v),
    ...each('deployment', badDeployments, (deployment) => ({ deployment })),
    ...each('expected', badTargets.slice(1), (expected) => ({ deployment: d(), expected })),
    ['good', event('promote.json')],
    ...each('good deployment', goodDeployments, (deployment) => ({ deployment, expected: [target] })),
  ]],
  ['rollback', (e) => rollback(e, writer()), parseRollbackEvent, [
    ...each('event', [undefined, null, [], 'x', {}, { reason: 'x' }], (v) => v),
    ...each('deployment', badDeployments, (deployment) => ({ deployment, reason: 'x' })),
    ...each('leaveRoute', ['yes', null, 1], (leaveRoute) => ({ deployment: d(), leaveRoute })),
    ...each('refused', ['yes', null, 0], (refused) => ({ deployment: d(), refused })),
    ['leaveRoute and refused', { deployment: d(), leaveRoute: true, refused: true }],
    ['leaveRoute and refused, and a bad deployment', { deployment: { ...d(), route: null }, leaveRoute: true, refused: true }],
    ['an unknown field', { deployment: d(), why: 'x' }],
    ...each('releaseLock', [null, [], 'x', {}, { route: d().route }, { executionId: 'x' }, { route: { meshName: 'a b' }, executionId: 'x' },
      { route: d().route, executionId: '' }, { route: d().route, executionId: 'x', extra: 1 }, { route: { ...d().route, meshOwner: '12' }, executionId: 'x' }],
    (releaseLock) => ({ releaseLock })),
    ...each('releaseLock with', [{ deployment: d() }, { reason: 'x' }, { leaveRoute: false }, { refused: true }, { deployment: null, reason: 1 }, { extra: 1 }],
      (more) => ({ releaseLock: { route: d().route, executionId: 'x' }, ...(more as object) })),
    ['releaseLock bad, with a deployment', { releaseLock: { route: null }, deployment: d() }],
    ['good', event('rollback.json')],
    ['good refused', { deployment: d(), reason: { Error: 'x', Cause: 'y' }, refused: true }],
    ['good leaveRoute', { deployment: d(), leaveRoute: true, refused: false }],
    ['good releaseLock', { releaseLock: { route: d().route, executionId: 'arn:x' } }],
    ...each('good deployment', goodDeployments, (deployment) => ({ deployment })),
  ]],
  ['check-health', (e) => checkCanaryHealth(e, new CloudWatchClient({})), parseCheckHealthEvent, [
    ...each('event', [undefined, null, [], {}, { progress }], (v) => v),
    ...each('deployment', badDeployments, (deployment) => ({ deployment })),
    ...each('deployment with progress', badDeployments.slice(0, 60), (deployment) => ({ deployment, progress })),
    ...each('progress', [null, [], {}, { ...progress, stage: -2 }, { ...progress, stage: 1.5 }, { ...progress, weight: 101 }, { ...progress, passes: -1 },
      { ...progress, consecutiveFailures: '1' }, { ...progress, checks: null }, { ...progress, history: undefined }, { ...progress, history: {} },
      { ...progress, extra: 1 }],
    (p) => ({ deployment: { ...d(), strategy: validInputs.linear.strategy }, progress: p })),
    ['good progress, as the gate writes it', { deployment: { ...d(), strategy: validInputs.linear.strategy }, progress: { ...progress, decision: 'advance', nextWeight: 20, waitSeconds: 60, reason: 'x' } }],
    ['progress without a strategy', { deployment: d(), progress }],
    ['progress without a strategy, and bad progress', { deployment: d(), progress: { ...progress, stage: 'x' } }],
    ['progress without a strategy, and an unknown deployment field', { deployment: { ...d(), extra: 1 }, progress }],
    ['good', event('check-health.json')],
    ...each('good deployment', goodDeployments, (deployment) => ({ deployment })),
    ['good with progress', { deployment: { ...d(), strategy: validInputs.linear.strategy }, progress }],
  ]],
  ['request-approval', (e) => requestApproval(e, new SNSClient({}), undefined), parseRequestApprovalEvent, [
    ...each('event', [undefined, null, [], {}, { taskToken: 't' }], (v) => v),
    ...each('deployment', badDeployments, (deployment) => ({ deployment, taskToken: 't' })),
    ...each('taskToken', [undefined, '', 5, null, 'x'.repeat(8193), 'a\nb'], (taskToken) => ({ deployment: d(), taskToken })),
    ...each('weight', [101, -1, 0.5, '5', null], (weight) => ({ deployment: d(), taskToken: 't', weight })),
    ['an unknown field', { deployment: d(), taskToken: 't', token: 't' }],
    ...each('good deployment', goodDeployments, (deployment) => ({ deployment, taskToken: 't', weight: 10 })),
  ]],
  ['guard', (e) => guard(e, { sfn: new SFNClient({}), routers: writer().routers, lock: { client: new DynamoDBClient({}), tableName: 't' }, writerTimeoutMs: 0, prepareTimeoutMs: 0, sleep: async () => undefined }), parseGuardEvent, [
    ...each('event', [undefined, null, [], 'x', {}], (v) => v),
    ['from another source', { ...aborted(), source: 'aws.ec2' }],
    ['another detail-type', { ...aborted(), 'detail-type': 'EC2 Instance State-change Notification' }],
    ['no source', { ...aborted(), source: undefined }],
    ['an unknown field', { ...aborted(), extra: 1 }],
    ...each('detail', [undefined, null, [], 'x', {}, { executionArn: 'arn:x' }, { status: 'ABORTED' }, { executionArn: '', status: 'ABORTED' },
      { executionArn: 'arn:x', status: 5 }, { executionArn: 'x'.repeat(2049), status: 'x'.repeat(65) }],
    (detail) => ({ ...aborted(), detail })),
    ['from another source, and no detail', { ...aborted(), source: 'x', detail: undefined }],
    ['good', aborted()],
    ['good, with more in the detail', { ...aborted(), detail: { ...aborted().detail, more: { a: 1 } } }],
    ['good, only what it needs', { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn: 'arn:x', status: 'SUCCEEDED' } }],
  ]],
];

describe.each(handlers)('%s: the event parser refuses what the handler refuses, with the same message', (_name, old, parse, cases) => {
  test('both accept the good events and refuse the bad ones', async () => {
    const differ: unknown[] = [];
    for (const [label, e] of cases) {
      const before = await settled(old(structuredClone(e)));
      const now = sync(() => parse(structuredClone(e)));
      // The good events are accepted, every other one refused: by both, with the same message.
      const good = label.startsWith('good');
      if (JSON.stringify(before) !== JSON.stringify(now) || (before === 'accepted') !== good) differ.push({ label, before, now });
    }
    expect(differ).toEqual([]);
    expect(cases.filter(([label]) => label.startsWith('good')).length).toBeGreaterThan(0);
  });
});

test('the deployment the guard reads back from the history: the same messages', () => {
  const name = 'the Prepare state\'s deployment';
  for (const value of [...badDeployments, ...goodDeployments]) {
    const before = sync(() => {
      const c = new Checker();
      checkDeployment(c, value, name);
      c.done();
    });
    expect({ value, outcome: sync(() => parsePreparedDeployment(value)) }).toEqual({ value, outcome: before });
  }
});
