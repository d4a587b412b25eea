// The CLI on a deployment with several routes (issue 11): the events name every route, watch
// shows one bar block per route, the report one share line with a marker where a route left the
// release's share, watch --output json each route in its backend's wire format, routes --input
// every route, start a name that says how many routes, abort a check and restore of every
// route and a releaseLock naming them all. Histories are built as the machine writes them for a
// multi-route deployment (the contract in the issue 11 design): Prepare's deployment with
// `routes` (each with its snapshot), step results whose weightedTargets are ReleaseTargets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, SendTaskFailureCommand, SFNClient, StartExecutionCommand, StopExecutionCommand, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetRuleCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { defaultExecutionName } from '../../cli/commands/start.ts';
import { EXECUTION_NAME, outcomeOf, preparedDeployment } from '../../cli/execution.ts';
import { deploymentEvents } from '../../cli/follow.ts';
import { cli } from '../support/cli-run.ts';
import { releasesOf } from '../../cli/release.ts';
import { styleFor } from '../../cli/render.ts';
import { renderReport, stages } from '../../cli/report.ts';
import { divergences, eventText, renderFrame, watchView, type ExecutionState } from '../../cli/view.ts';
import { parseRollbackEvent } from '../../functions/commons/events.ts';
import { describeRouteOutput, richSpec } from '../support/fixtures.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const plain = styleFor({ write: () => true, isTTY: false });
const SVC = 'svc-0123456789abcdef0';
const LISTENER = 'listener-0123456789abcdef0';
const RULE = 'rule-0123456789abcdef0';
const STABLE = 'tg-0123456789abcdef0';
const CANARY = 'tg-0fedcba9876543210';
const productRoute = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const latticeRoute = { service: SVC, listener: LISTENER, rule: RULE };
const PRODUCT = 'demomesh/product-vr/product-r';
const CUSTOMER = `${SVC}/${LISTENER}/${RULE}`;
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:release-42';

/** Two routes moved together, mixed backends: product on App Mesh, customer on VPC Lattice. */
const multiInput = (more: object = {}) => ({
  routes: [
    { route: productRoute, stableNode: 'product-vn', canaryNode: 'product-v2-vn', healthChecks: { alarms: { names: ['product-v2-5xx'] } } },
    { route: latticeRoute, stableTargetGroup: STABLE, canaryTargetGroup: CANARY },
  ],
  strategy: { type: 'linear', stepPercent: 25, intervalSeconds: 60 },
  healthChecks: { alarms: { prefix: 'release-42-' } },
  ...more,
});

type Wire = Record<string, unknown>;
/** The routes' wire targets at a share: App Mesh {virtualNode, weight}, Lattice {targetGroupIdentifier, weight}. */
const productAt = (w: number): Wire[] => [{ virtualNode: 'product-vn', weight: 100 - w }, { virtualNode: 'product-v2-vn', weight: w }];
const customerAt = (w: number): Wire[] => [{ targetGroupIdentifier: STABLE, weight: 100 - w }, { targetGroupIdentifier: CANARY, weight: w }];
/** ReleaseTargets: one entry per route, in input order. */
const releaseTargets = (product: Wire[], customer: Wire[]) => [{ route: PRODUCT, weightedTargets: product }, { route: CUSTOMER, weightedTargets: customer }];
const at = (w: number) => releaseTargets(productAt(w), customerAt(w));

const productSnapshot = { router: 'appmesh', routeKind: 'httpRoute', weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }], version: 1, takenAt: new Date(T0).toISOString() };
const customerSnapshot = { router: 'lattice', routeKind: 'rule', weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 100 }], takenAt: new Date(T0).toISOString() };

/** The deployment Prepare returns for a multi-route input: each route with its snapshot; the release's snapshot as ReleaseTargets. */
function multiDeployment(input: any = multiInput()) {
  return {
    ...input, executionId: EXECUTION,
    routes: input.routes.map((r: object, i: number) => ({ ...r, snapshot: [productSnapshot, customerSnapshot][i] })),
    snapshot: { weightedTargets: releaseTargets(productSnapshot.weightedTargets, customerSnapshot.weightedTargets), takenAt: new Date(T0).toISOString() },
  };
}

/** Builds a multi-route execution's history as Step Functions writes it. */
class History {
  readonly events: HistoryEvent[] = [];
  private t = T0;
  private progress: any = { stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] };
  readonly deployment: any;
  readonly input: any;

  constructor(input: any = multiInput()) {
    this.input = input;
    this.deployment = multiDeployment(input);
    this.push('ExecutionStarted', 'executionStartedEventDetails', { input: JSON.stringify(input) });
  }

  after(seconds: number): this {
    this.t += seconds * 1000;
    return this;
  }

  push(type: string, key?: string, details?: object): this {
    this.events.push({ id: this.events.length + 1, previousEventId: this.events.length, timestamp: new Date(this.t), type, ...(key ? { [key]: details } : {}) } as HistoryEvent);
    return this;
  }

  task(name: string, output: object): this {
    return this.push('TaskStateEntered', 'stateEnteredEventDetails', { name, input: '{}' })
      .push('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: 'invoke', parameters: '{}' })
      .after(0.05).push('TaskSucceeded', 'taskSucceededEventDetails', { resourceType: 'lambda', resource: 'invoke', output: '{}' })
      .push('TaskStateExited', 'stateExitedEventDetails', { name, output: JSON.stringify(output) });
  }

  prepare(): this {
    return this.task('Prepare', { deployment: this.deployment, gate: { progress: this.progress } });
  }

  verdict(verdict: 'pass' | 'fail', decision: string, extra: { nextWeight?: number; waitSeconds?: number; reasons?: string[] } = {}): this {
    const entry = { at: new Date(this.t).toISOString(), weight: this.progress.weight, verdict, decision, ...(extra.reasons ? { reasons: extra.reasons } : {}) };
    this.progress = { ...this.progress, decision, nextWeight: extra.nextWeight, waitSeconds: extra.waitSeconds, history: [...this.progress.history, entry] };
    return this.task('CheckHealth', { deployment: this.deployment, gate: { verdict, progress: this.progress } });
  }

  /** Every route at `weight`, unless `targets` says otherwise (a route that did not get the step's share). */
  shift(weight: number, targets = at(weight)): this {
    this.progress = { ...this.progress, stage: this.progress.stage + 1, weight, passes: 0 };
    return this.task('Shift', { deployment: this.deployment, lastShift: { weight, changed: true, weightedTargets: targets, routeVersion: [2, null] } });
  }

  wait(seconds: number): this {
    return this.push('WaitStateEntered', 'stateEnteredEventDetails', { name: 'Wait', input: '{}' }).after(seconds)
      .push('WaitStateExited', 'stateExitedEventDetails', { name: 'Wait', output: '{}' });
  }

  awaitApproval(): this {
    return this.push('ParallelStateEntered', 'stateEnteredEventDetails', { name: 'AwaitApproval', input: '{}' }).push('ParallelStateStarted')
      .push('TaskStateEntered', 'stateEnteredEventDetails', { name: 'RequestApproval', input: '{}' })
      .push('TaskScheduled', 'taskScheduledEventDetails', {
        resourceType: 'lambda', resource: 'invoke.waitForTaskToken',
        parameters: JSON.stringify({ FunctionName: 'RequestApprovalFunction', Payload: { deployment: this.deployment, taskToken: 'secret-token', weight: 10 } }),
      });
  }

  promote(): this {
    return this.task('Promote', { promotion: { changed: true, weightedTargets: releaseTargets([{ virtualNode: 'product-v2-vn', weight: 100 }], [{ targetGroupIdentifier: CANARY, weight: 100 }]), routeVersion: [3, null], removedStableTarget: true } });
  }

  /** Rollback (or HaltOnDrift) with the error a Catch put at $.error. */
  undo(state: 'Rollback' | 'HaltOnDrift', summary: string, targets = releaseTargets(productSnapshot.weightedTargets, customerSnapshot.weightedTargets), error?: { Error: string; Cause: string }): this {
    return this.task(state, { deployment: this.deployment, ...(error ? { error } : {}), rollback: { changed: true, weightedTargets: targets, routeVersion: [3, null], summary, keptChanges: [] } });
  }

  end(status: 'SUCCEEDED' | 'FAILED' | 'ABORTED', error?: string, cause?: string): ExecutionState {
    if (status === 'SUCCEEDED') this.push('ExecutionSucceeded', 'executionSucceededEventDetails', { output: '{"outcome":"promoted"}' });
    if (status === 'FAILED') this.push('ExecutionFailed', 'executionFailedEventDetails', { error, cause });
    if (status === 'ABORTED') this.push('ExecutionAborted', 'executionAbortedEventDetails', { error: '', cause: '' });
    return { description: { name: 'release-42', executionArn: EXECUTION, status, startDate: new Date(T0), stopDate: new Date(this.t), error, cause }, history: this.events };
  }

  running(): ExecutionState {
    return { description: { name: 'release-42', executionArn: EXECUTION, status: 'RUNNING', startDate: new Date(T0) }, history: this.events };
  }

  get now(): Date {
    return new Date(this.t);
  }
}

const rollbackSummary = `rolled back because CanaryUnhealthy: the canary at 50% had 1 failing verdict.
Route ${PRODUCT} restored to its snapshot (product-vn 100).
Route ${CUSTOMER} restored to its snapshot (${STABLE} 100).`;

/** Two steps, then a failing verdict at 50%: both routes rolled back. */
function rolledBack(): ExecutionState {
  return new History().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(60)
    .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 60 }).shift(50).wait(60)
    .verdict('fail', 'rollback', { reasons: ['alarm product-v2-5xx is ALARM'] }).undo('Rollback', rollbackSummary)
    .end('FAILED', 'CanaryRolledBack', rollbackSummary);
}

describe('deployment events of a multi-route execution', () => {
  test('each route\'s targets read from ReleaseTargets with its own backend; all of them in one list beside', () => {
    const events = deploymentEvents(rolledBack().history);
    expect(events.find((e) => e.kind === 'prepared')).toMatchObject({
      snapshot: [{ id: 'product-vn', weight: 100 }, { id: STABLE, weight: 100 }],
      routes: [{ label: PRODUCT, targets: [{ id: 'product-vn', weight: 100 }] }, { label: CUSTOMER, targets: [{ id: STABLE, weight: 100 }] }],
    });
    const shift = events.find((e) => e.kind === 'shift');
    expect(shift).toMatchObject({
      weight: 25,
      routes: [
        { label: PRODUCT, targets: [{ id: 'product-vn', weight: 75 }, { id: 'product-v2-vn', weight: 25 }] },
        { label: CUSTOMER, targets: [{ id: STABLE, weight: 75 }, { id: CANARY, weight: 25 }] },
      ],
    });
    expect(events.find((e) => e.kind === 'rolled-back')).toMatchObject({ routes: [{ label: PRODUCT }, { label: CUSTOMER }] });
  });

  test('an entry is matched to its route by label, whatever its position', () => {
    const h = new History().prepare().shift(25, [...at(25)].reverse());
    const shift = deploymentEvents(h.events).find((e) => e.kind === 'shift');
    expect(shift).toMatchObject({ routes: [{ label: CUSTOMER, targets: [{ id: STABLE, weight: 75 }, { id: CANARY, weight: 25 }] }, { label: PRODUCT }] });
  });

  test('a snapshot per route, or failing that the release\'s ReleaseTargets; an unreadable one is no deployment', () => {
    const h = new History().prepare();
    expect(preparedDeployment(h.events)).toMatchObject({ routes: [{ snapshot: productSnapshot }, { snapshot: customerSnapshot }] });
    const withoutOwn = { ...h.deployment, routes: h.deployment.routes.map(({ snapshot: _, ...r }: any) => r) };
    const events = new History().task('Prepare', { deployment: withoutOwn }).events;
    expect(deploymentEvents(events).find((e) => e.kind === 'prepared')).toMatchObject({ routes: [{ label: PRODUCT }, { label: CUSTOMER, targets: [{ id: STABLE, weight: 100 }] }] });
    const broken = { ...withoutOwn, snapshot: { weightedTargets: 'nope' } };
    expect(preparedDeployment(new History().task('Prepare', { deployment: broken }).events)).toBeUndefined();
  });

  test('one line per event names each route', () => {
    const lines = deploymentEvents(rolledBack().history).map((e) => eventText(e, plain));
    expect(lines).toEqual(expect.arrayContaining([
      `started: 2 routes: ${PRODUCT} product-vn → product-v2-vn; ${CUSTOMER} ${STABLE} → ${CANARY} (linear, +25% every 1 min)`,
      `snapshot taken: ${PRODUCT}: product-vn 100; ${CUSTOMER}: ${STABLE} 100`,
      `canary at 25%: ${PRODUCT}: product-vn 75, product-v2-vn 25; ${CUSTOMER}: ${STABLE} 75, ${CANARY} 25`,
      // The rollback's summary, one line per route, is one line of the log.
      `rolled back: ${rollbackSummary.replace(/\n/g, ' ')}`,
    ]));
    const promoted = deploymentEvents(new History().prepare().shift(100).promote().events).find((e) => e.kind === 'promoted')!;
    expect(eventText(promoted, plain)).toBe(`promoted: ${PRODUCT}: product-v2-vn 100; ${CUSTOMER}: ${CANARY} 100`);
  });
});

describe('the watch view of a multi-route execution', () => {
  test('one bar block per route: its label, stable → canary, each target with weight, share and bar; the rest as for one route', () => {
    const h = new History().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(10);
    const view = watchView(h.running(), h.now);
    expect(view).toMatchObject({ canaryWeight: 25, route: undefined, targets: undefined });
    expect(view.routes).toEqual([
      expect.objectContaining({ label: PRODUCT, stable: 'product-vn', canary: 'product-v2-vn', targetWord: 'virtual node', canaryWeight: 25 }),
      expect.objectContaining({ label: CUSTOMER, stable: STABLE, canary: CANARY, targetWord: 'target group', canaryWeight: 25 }),
    ]);
    expect(view.routes!.some((r) => r.diverged)).toBe(false);
    const frame = renderFrame(view, plain, h.now);
    expect(frame.slice(1, 4)).toEqual(['routes   2, moved together: every route at the same canary share', `release  ${view.strategyText}`, '']);
    const block = (label: string) => frame.slice(frame.findIndex((l) => l.startsWith(`  ${label}`)));
    expect(block(PRODUCT).slice(0, 4)).toEqual([
      `  ${PRODUCT}  product-vn → product-v2-vn`,
      '    virtual node   weight  share',
      `    product-vn         75    75%  ${'█'.repeat(23)}${'░'.repeat(7)}`,
      `    product-v2-vn      25    25%  ${'█'.repeat(8)}${'░'.repeat(22)}`,
    ]);
    expect(block(CUSTOMER).slice(0, 4)).toEqual([
      `  ${CUSTOMER}  ${STABLE} → ${CANARY}`,
      '    target group          weight  share',
      `    ${STABLE}      75    75%  ${'█'.repeat(23)}${'░'.repeat(7)}`,
      `    ${CANARY}      25    25%  ${'█'.repeat(8)}${'░'.repeat(22)}`,
    ]);
    expect(frame).toContain('step     step 1/4 at 25%');
    expect(frame.join('\n')).not.toMatch(/undefined|route {3}\?/);
  });

  test('a frame taller than the terminal: one line per route (its share as a bar, its targets), the rest as it was', () => {
    const h = new History().prepare().shift(25, releaseTargets(productAt(25), customerAt(30)));
    const view = watchView(h.running(), h.now);
    const full = renderFrame(view, plain, h.now, { maxLines: 100 });
    expect(full).toEqual(renderFrame(view, plain, h.now));
    const compact = renderFrame(view, plain, h.now, { maxLines: 12 });
    expect(compact.length).toBeLessThan(full.length);
    const width = CUSTOMER.length;
    expect(compact).toContain(`  ${PRODUCT.padEnd(width)}   25% ${'█'.repeat(5)}${'░'.repeat(15)}  product-vn 75, product-v2-vn 25`);
    expect(compact).toContain(`  ${CUSTOMER}   30% ${'█'.repeat(6)}${'░'.repeat(14)}  ${STABLE} 70, ${CANARY} 30  canary at 30%, not the release's 25%`);
    expect(compact.slice(-3)).toEqual(full.slice(-3));
  });

  test('before the snapshot, each route says its weights come then', () => {
    const h = new History();
    const frame = renderFrame(watchView(h.running(), h.now), plain, h.now);
    expect(frame.filter((l) => l.includes('(the route\'s weights appear once the snapshot is taken)'))).toHaveLength(2);
  });

  test('a route whose targets do not give the canary the step\'s share is marked, until a step puts it right', () => {
    const h = new History().prepare().shift(25, releaseTargets(productAt(25), customerAt(30)));
    const view = watchView(h.running(), h.now);
    expect(view.routes![1].diverged).toMatchObject({ label: CUSTOMER, share: 30, expected: 25, when: 'shift' });
    expect(view.routes![0].diverged).toBeUndefined();
    expect(renderFrame(view, plain, h.now)).toContain(`  ${CUSTOMER}  ${STABLE} → ${CANARY}   canary at 30%, not the release's 25%`);
    h.shift(50);
    expect(watchView(h.running(), h.now).routes!.every((r) => !r.diverged)).toBe(true);
  });

  test('promoted: every route, in one outcome line', () => {
    const h = new History().prepare().shift(100).promote();
    const view = watchView(h.end('SUCCEEDED'), h.now);
    expect(view.canaryWeight).toBe(100);
    expect(view.routes!.map((r) => r.canaryWeight)).toEqual([100, 100]);
    expect(renderFrame(view, plain, h.now).find((l) => l.startsWith('outcome'))).toMatch(/^outcome  PROMOTED in .*: all 2 routes$/);
  });

  test('an abort: every route read afterwards; one not restored makes it fail, and says which', () => {
    const h = new History().prepare().shift(25).after(5);
    const routes = [
      { label: PRODUCT, targets: [{ id: 'product-vn', weight: 100 }], restored: true },
      { label: CUSTOMER, targets: [{ id: STABLE, weight: 75 }, { id: CANARY, weight: 25 }], restored: false },
    ];
    const state = { ...h.end('ABORTED'), routeAfter: { restored: false, targets: routes.flatMap((r) => r.targets), routes } };
    const view = watchView(state, h.now);
    expect(view.outcome).toMatchObject({ kind: 'aborted', exitCode: 3, summary: 'aborted, and NOT every route is at its snapshot: run mesh-canary abort --restore' });
    expect(view.routes![1].diverged).toMatchObject({ when: 'after-abort', share: 25, expected: 0 });
    expect(renderFrame(view, plain, h.now)).toContain(`  ${CUSTOMER}  ${STABLE} → ${CANARY}   NOT at its snapshot (canary at 25%, snapshot 0%)`);
    const restored = watchView({ ...state, routeAfter: { restored: true, targets: [], routes: routes.map((r) => ({ ...r, targets: r.targets.slice(0, 1).map((t) => ({ ...t, weight: 100 })), restored: true })) } }, h.now);
    expect(restored.outcome).toMatchObject({ kind: 'aborted', exitCode: 1, summary: 'aborted; all 2 routes are back at their snapshots' });
    expect(restored.canaryWeight).toBe(0);
  });

  test('outcomes of one route read as before', () => {
    expect(outcomeOf({ status: 'ABORTED' }, true).summary).toBe('aborted; the route is back at its snapshot');
    expect(outcomeOf({ status: 'FAILED', error: 'InvalidInput', cause: 'x' }, undefined, 3).summary).toBe('failed before changing any route: InvalidInput: x');
  });
});

describe('divergences: where a route did not have the release\'s share', () => {
  const releases = releasesOf(multiInput());
  test('after a shift, a promotion, a rollback (against the route\'s snapshot) and a halt (against the last shift)', () => {
    const h = new History().prepare()
      .shift(25, releaseTargets(productAt(25), customerAt(20)))
      .shift(50)
      .undo('HaltOnDrift', 'halted', releaseTargets(productAt(50), customerAt(10)));
    expect(divergences(deploymentEvents(h.events), releases).map(({ label, share, expected, when }) => ({ label, share, expected, when }))).toEqual([
      { label: CUSTOMER, share: 20, expected: 25, when: 'shift' },
      { label: CUSTOMER, share: 10, expected: 50, when: 'halted' },
    ]);
    // Halted while shifting to 50%: the step moved product before customer's drift stopped it.
    const cause = JSON.stringify({ errorType: 'RouteDriftDetected', errorMessage: `${CUSTOMER}: the route changed since this deployment last wrote it` });
    const midStep = new History().prepare().shift(25).verdict('pass', 'advance', { nextWeight: 50 })
      .undo('HaltOnDrift', 'halted', releaseTargets(productAt(50), customerAt(60)), { Error: 'RouteDriftDetected', Cause: cause });
    expect(divergences(deploymentEvents(midStep.events), releases).map(({ label, share, expected, when }) => ({ label, share, expected, when }))).toEqual([
      { label: PRODUCT, share: 50, expected: 25, when: 'partial-step' },
      { label: CUSTOMER, share: 60, expected: 25, when: 'halted' },
    ]);
    expect(renderFrame(watchView(midStep.running(), midStep.now), plain, midStep.now)).toEqual(expect.arrayContaining([
      `  ${PRODUCT}  product-vn → product-v2-vn   canary at 50%: the step to 50% moved this route before the release halted`,
      `  ${CUSTOMER}  ${STABLE} → ${CANARY}   changed by hand: canary at 60%, not the release's 25%`,
    ]));
    const rolled = new History().prepare().shift(25).undo('Rollback', 'r', releaseTargets(productAt(0), customerAt(25)));
    expect(divergences(deploymentEvents(rolled.events), releases)).toMatchObject([{ label: CUSTOMER, share: 25, expected: 0, when: 'rolled-back' }]);
    expect(divergences(deploymentEvents(rolledBack().history), releases)).toEqual([]);
  });
});

describe('the report of a multi-route execution', () => {
  test('the routes in the title and in a table of their own; one share line for the release', () => {
    const svg = renderReport(rolledBack(), new Date(T0 + 600_000));
    expect(svg).toContain(`<title>mesh-canary: 2 routes: product-v2-vn, ${CANARY}</title>`);
    expect(svg).toContain(`${PRODUCT}, ${CUSTOMER} · linear, +25% every 1 min`);
    expect(svg).toContain('>Routes (2, moved together)</text>');
    expect(svg).toContain(`>${PRODUCT}</text>`);
    expect(svg).toContain(`>product-vn → product-v2-vn · at the end: product-vn 100<title>`);
    expect(svg).toContain(`>${STABLE} → ${CANARY} · at the end: ${STABLE} 100<title>`);
    // One line: the step shares, as for one route; no marker when every route had the release's share.
    expect(svg.match(/stroke="#2563eb" stroke-width="2.5" stroke-linejoin="round"/g)).toHaveLength(1);
    expect(svg).not.toContain('#9333ea');
    expect(svg).toContain('rolled back: alarm product-v2-5xx is ALARM');
    expect(svg).toContain('rolled back to the snapshots of all 2 routes');
  });

  test('a marker and a diamond where a route diverged; the legend explains it', () => {
    const h = new History().prepare().shift(25, releaseTargets(productAt(25), customerAt(30))).wait(60).shift(50);
    const svg = renderReport(h.running(), h.now);
    expect(svg).toContain(`>${`30% (not 25%) on ${CUSTOMER}`.slice(0, 59)}…</text>`);
    expect(svg).toContain(`${CUSTOMER}: canary at 30%, not the release&#39;s 25%`);
    expect(svg.match(/<path d="M[\d.]+,[\d.]+ l6,6 l-6,6 l-6,-6 Z" fill="#9333ea"/g)).toHaveLength(1);
    expect(svg).toContain('a route off the release&#39;s share');
  });

  test('drift on one route: rolled back (onDrift rollback) names the route; halted (onDrift halt) marks it', () => {
    const cause = JSON.stringify({ errorType: 'RouteDriftDetected', errorMessage: `${CUSTOMER}: the route changed since this deployment last wrote it` });
    const rolled = new History().prepare().shift(25).undo('Rollback', 'rolled back because RouteDriftDetected', at(0), { Error: 'RouteDriftDetected', Cause: cause });
    const failure = deploymentEvents(rolled.events).find((e) => e.kind === 'rolled-back');
    expect(failure).toMatchObject({ failure: { error: 'RouteDriftDetected', route: CUSTOMER } });
    // Several routes failed: the deciding one is named first, the others after "also".
    const both = JSON.stringify({ errorType: 'RouteDriftDetected', errorMessage: `${PRODUCT}: the route changed (also ${CUSTOMER}: RouteDriftDetected: the route changed) [2 of 2 routes failed]` });
    const twice = new History().prepare().shift(25).undo('Rollback', 'r', at(0), { Error: 'RouteDriftDetected', Cause: both });
    expect(deploymentEvents(twice.events).find((e) => e.kind === 'rolled-back')).toMatchObject({ failure: { route: PRODUCT } });
    expect(renderReport(rolled.end('FAILED', 'CanaryRolledBack', 'rolled back because RouteDriftDetected'))).toContain(`rolled back: RouteDriftDetected on ${CUSTOMER}`.slice(0, 59));

    const halted = new History().prepare().shift(25).undo('HaltOnDrift', 'halted', releaseTargets(productAt(25), customerAt(60)), { Error: 'RouteDriftDetected', Cause: cause });
    const state = halted.end('FAILED', 'RouteDriftDetected', cause);
    const svg = renderReport(state);
    expect(svg).toContain(`halted: weights changed by hand on ${CUSTOMER}`.slice(0, 59));
    expect(svg).toContain(`${CUSTOMER}: changed by hand: canary at 60%, not the release&#39;s 25%`);
    // The routes differ: the line stays at the release's share.
    const view = watchView(state, halted.now);
    expect(view.canaryWeight).toBe(25);
    expect(stages(view.events, view.startedAt, halted.now, 'x').at(-1)?.then).toBe(`halted, weights changed by hand: on ${CUSTOMER}; every route left as it is`);
  });
});

const local = ['--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:9'];

describe('watch --output json of a multi-route execution', () => {
  const sfn = mockClient(SFNClient);
  afterAll(() => sfn.restore());

  test('each route: its label, stable and canary, the input\'s own fields, its targets in its backend\'s wire format; all as ReleaseTargets', async () => {
    const h = new History().prepare().shift(25, releaseTargets(productAt(25), customerAt(30)));
    const state = h.end('FAILED', 'CanaryRolledBack', 'rolled back');
    sfn.reset();
    sfn.on(DescribeExecutionCommand).resolves({ ...state.description, stateMachineArn: 'x' } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    const r = await cli('watch', EXECUTION, '--output', 'json');
    const out = JSON.parse(r.stdout);
    expect(out.routes).toEqual([
      { route: PRODUCT, stable: 'product-vn', canary: 'product-v2-vn', stableNode: 'product-vn', canaryNode: 'product-v2-vn', weightedTargets: productAt(25), canaryShare: 25 },
      {
        route: CUSTOMER, stable: STABLE, canary: CANARY, stableTargetGroup: STABLE, canaryTargetGroup: CANARY, weightedTargets: customerAt(30), canaryShare: 30,
        diverged: { share: 30, expected: 25, when: 'shift' },
      },
    ]);
    expect(out.weightedTargets).toEqual(releaseTargets(productAt(25), customerAt(30)));
    expect(out).toMatchObject({ canaryShare: 25, outcome: 'rolled back', exitCode: 1 });
    expect(out).not.toHaveProperty('route');
  });

  test('the plain output: one line per event, naming each route', async () => {
    const state = rolledBack();
    sfn.reset();
    sfn.on(DescribeExecutionCommand).resolves({ ...state.description, stateMachineArn: 'x' } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: state.history });
    const r = await cli('watch', EXECUTION);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`canary at 50%: ${PRODUCT}: product-vn 50, product-v2-vn 50; ${CUSTOMER}: ${STABLE} 50, ${CANARY} 50\n`);
  });
});

describe('reject of a multi-route execution', () => {
  const sfn = mockClient(SFNClient);
  afterAll(() => sfn.restore());

  test('names every canary on its route, and says every route goes back', async () => {
    const h = new History(multiInput({ strategy: { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 600 } })).prepare().shift(10).awaitApproval();
    sfn.reset();
    sfn.on(DescribeExecutionCommand).resolves({ ...h.running().description, stateMachineArn: 'x' } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    sfn.on(SendTaskFailureCommand).resolves({});
    const r = await cli('reject', EXECUTION, '--reason', 'latency', ...local);
    expect(r.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, { taskToken: 'secret-token', error: 'Rejected', cause: 'latency' });
    expect(r.stdout).toBe(`rejected product-v2-vn on ${PRODUCT}, ${CANARY} on ${CUSTOMER}: every route goes back to its snapshot (execution release-42)\n`);
    const json = JSON.parse((await cli('reject', EXECUTION, '--output', 'json', ...local)).stdout);
    expect(json.routes).toEqual([
      { route: productRoute, canary: 'product-v2-vn', stableNode: 'product-vn', canaryNode: 'product-v2-vn' },
      { route: latticeRoute, canary: CANARY, stableTargetGroup: STABLE, canaryTargetGroup: CANARY },
    ]);
  });
});

describe('start: the default name of a multi-route execution', () => {
  const now = new Date('2026-11-27T10:15:00Z');
  test('the first route\'s canary, how many more, the time; within 80 characters, never cutting the count or the time', () => {
    expect(defaultExecutionName('product-v2-vn', now, 1)).toBe('product-v2-vn-and-1-more-20261127-101500');
    expect(defaultExecutionName('product-v2-vn', now)).toBe('product-v2-vn-20261127-101500');
    const long = defaultExecutionName('c'.repeat(80), now, 9);
    expect(long).toHaveLength(80);
    expect(long.endsWith('-and-9-more-20261127-101500')).toBe(true);
    expect(long).toMatch(EXECUTION_NAME);
  });
});

// start and routes --input read the file with the prepare step's own validator (parseDeploymentInput), which takes `routes`.
const dir = mkdtempSync(join(tmpdir(), 'mesh-canary-cli-multi-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe('start and routes with a multi-route input file', () => {
  const sfn = mockClient(SFNClient);
  const appMesh = mockClient(AppMeshClient);
  const lattice = mockClient(VPCLatticeClient);
  afterAll(() => [sfn, appMesh, lattice].forEach((m) => m.restore()));
  beforeEach(() => {
    [sfn, appMesh, lattice].forEach((m) => m.reset());
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', productAt(25) as any), 7));
    lattice.on(GetRuleCommand).resolves({
      arn: `arn:aws:vpc-lattice:us-east-1:123456789012:service/${SVC}/listener/${LISTENER}/rule/${RULE}`, lastUpdatedAt: new Date(T0),
      action: { forward: { targetGroups: customerAt(25) as any } },
    });
  });

  test('start names the execution after the first canary and how many more routes, and sends the input as it is', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION });
    const r = await cli('start', 'linear', '--input', file('release.json', multiInput()), '--state-machine-arn', 'arn:aws:states:us-east-1:123456789012:stateMachine:LinearStateMachine', ...local);
    expect(r.code).toBe(0);
    const sent = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(sent.name).toMatch(/^product-v2-vn-and-1-more-\d{8}-\d{6}$/);
    expect(JSON.parse(sent.input!)).toEqual(multiInput());
  });

  test('routes --input shows every route, one table each, in input order; --output json one entry per route', async () => {
    const path = file('release.json', multiInput());
    const r = await cli('routes', '--input', path, ...local);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const product = lines.findIndex((l) => l.startsWith(`${PRODUCT}  httpRoute, version 7`));
    const customer = lines.findIndex((l) => l.startsWith(`${CUSTOMER}  rule`));
    expect(product).toBeGreaterThanOrEqual(0);
    expect(customer).toBeGreaterThan(product);
    expect(lines[customer - 1]).toBe('');
    expect(r.stdout).toMatch(/product-v2-vn\s+25\s+25%/);
    expect(r.stdout).toMatch(new RegExp(`${CANARY}\\s+25\\s+25%`));
    const json = JSON.parse((await cli('routes', '--input', path, '--output', 'json', ...local)).stdout);
    expect(json.routes.map((x: any) => x.route)).toEqual([productRoute, latticeRoute]);
    expect(json.routes[1].weightedTargets).toEqual([{ targetGroupIdentifier: STABLE, weight: 75, share: 75 }, { targetGroupIdentifier: CANARY, weight: 25, share: 25 }]);
  });

  test('routes for one route, from flags, is as before: one table, a JSON object with its route', async () => {
    const r = await cli('routes', '--mesh', 'demomesh', '--router', 'product-vr', '--route', 'product-r', '--output', 'json', ...local);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ route: productRoute, routeKind: 'httpRoute', version: 7 });
  });
});

describe('abort of a multi-route execution', () => {
  const sfn = mockClient(SFNClient);
  const lambda = mockClient(LambdaClient);
  const appMesh = mockClient(AppMeshClient);
  const lattice = mockClient(VPCLatticeClient);
  const mocks = [sfn, lambda, appMesh, lattice];
  afterAll(() => mocks.forEach((m) => m.restore()));
  const ROLLBACK = 'arn:aws:lambda:us-east-1:123456789012:function:rollback';
  const payload = (body: object) => ({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(body)) as any });
  const rule = (targets: Wire[]) => ({
    arn: `arn:aws:vpc-lattice:us-east-1:123456789012:service/${SVC}/listener/${LISTENER}/rule/${RULE}`, lastUpdatedAt: new Date(T0),
    action: { forward: { targetGroups: targets as any } },
  });
  const ended = (h: History) => {
    const state = h.end('FAILED', 'States.TaskFailed', 'x');
    sfn.on(DescribeExecutionCommand).resolves({ ...state.description, stateMachineArn: 'x' } as any);
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
  };
  const invoked = () => lambda.commandCalls(InvokeCommand).map((c) => JSON.parse(new TextDecoder().decode(c.args[0].input.Payload as Uint8Array)));
  beforeEach(() => {
    mocks.forEach((m) => m.reset());
    lambda.on(InvokeCommand).resolves(payload({ changed: true }));
  });

  test('a route off its snapshot: the rollback function gets the whole deployment (it restores every route); the check reads every route', async () => {
    ended(new History().prepare().shift(25));
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]), 7));
    // Undone: the canary target group the deployment added is removed again.
    lattice.on(GetRuleCommand).resolvesOnce(rule(customerAt(25))).resolves(rule([{ targetGroupIdentifier: STABLE, weight: 100 }]));
    const r = await cli('abort', EXECUTION, '--restore', '--rollback-function-arn', ROLLBACK, ...local);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(invoked()).toEqual([{ deployment: multiDeployment(), reason: expect.stringMatching(/^aborted by .* via mesh-canary abort$/) }]);
    expect(parseRollbackEvent(invoked()[0])).toMatchObject({ deployment: { routes: [{ route: productRoute }, { route: latticeRoute }] } });
    expect(r.stdout.split('\n')).toEqual([
      'release-42 had ended FAILED; all 2 routes restored to their snapshots (no step was running at the stop):',
      `  route ${PRODUCT} restored to its snapshot: product-vn 100`,
      `  route ${CUSTOMER} restored to its snapshot: ${STABLE} 100`,
      '',
    ]);
  });

  test('every route already at its snapshot: nothing invoked; --output json one entry per route', async () => {
    ended(new History().prepare().shift(25));
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]), 7));
    lattice.on(GetRuleCommand).resolves(rule([{ targetGroupIdentifier: STABLE, weight: 100 }]));
    const r = await cli('abort', EXECUTION, '--restore', '--rollback-function-arn', ROLLBACK, '--output', 'json', ...local);
    expect(r.code).toBe(0);
    expect(invoked()).toEqual([]);
    expect(JSON.parse(r.stdout)).toMatchObject({
      action: 'restored', restored: true, restores: 0,
      routes: [
        { route: productRoute, label: PRODUCT, restored: true, weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] },
        { route: latticeRoute, label: CUSTOMER, restored: true, weightedTargets: [{ targetGroupIdentifier: STABLE, weight: 100 }] },
      ],
    });
  });

  test('a route that stays off after the restores fails the abort, naming that route and its snapshot only', async () => {
    ended(new History().prepare().shift(25));
    appMesh.on(DescribeRouteCommand).resolves(describeRouteOutput(richSpec('httpRoute', [{ virtualNode: 'product-vn', weight: 100 }]), 7));
    lattice.on(GetRuleCommand).resolves(rule(customerAt(25)));
    const r = await cli('abort', EXECUTION, '--restore', '--rollback-function-arn', ROLLBACK, ...local);
    expect(r.code).toBe(3);
    expect(invoked()).toHaveLength(1);
    expect(r.stderr).toContain(`1 of 2 routes NOT back at their snapshot weights after 1 restores: ${CUSTOMER} has ${STABLE} 75, ${CANARY} 25, its snapshot is ${STABLE} 100. Something else writes to them: someone must act`);
    expect(r.stderr).not.toContain(`${PRODUCT} has`);
  });

  test('stopped during Prepare: {"releaseLock": {"routes": [{"route"} per route], "executionId"}}, and says no route was changed', async () => {
    const h = new History().push('TaskStateEntered', 'stateEnteredEventDetails', { name: 'Prepare', input: '{}' })
      .push('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: 'invoke', parameters: '{}' });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: 'release-42', status: 'RUNNING', startDate: new Date(T0), input: JSON.stringify(multiInput()), stateMachineArn: 'x' });
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: h.events });
    lambda.on(InvokeCommand).resolves(payload({ released: true }));
    const r = await cli('abort', EXECUTION, '--rollback-function-arn', ROLLBACK, ...local);
    expect(r.code).toBe(0);
    expect(invoked()).toEqual([{ releaseLock: { routes: [{ route: productRoute }, { route: latticeRoute }], executionId: EXECUTION } }]);
    // The rollback function's own parser takes it as a release's releaseLock.
    expect(parseRollbackEvent(invoked()[0])).toEqual({ releaseLock: { routes: [{ route: productRoute }, { route: latticeRoute }], executionId: EXECUTION } });
    expect(r.stdout).toBe('stopped release-42 at state Prepare before its prepare step took a snapshot: none of its 2 routes was changed; the route locks it held are released\n');
  });
});
