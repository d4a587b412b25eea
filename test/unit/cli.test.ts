// The CLI's pure parts over execution histories: deployment events, the pending approval, the
// prepared deployment, outcomes and exit codes, the watch view and its frame, and the report.
// Histories are built with the event shapes the local AWS produces (see the builder).
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { activeStates, outcomeOf, parseExecutionArn, pendingApproval, preparedDeployment, readableCause } from '../../cli/execution.ts';
import { sameTargets } from '../../functions/commons/weights.ts';
import { deploymentEvents } from '../../cli/follow.ts';
import { bar, duration, styleFor, truncate, visibleLength, weightTable, LiveRegion } from '../../cli/render.ts';
import { esc, renderReport, reportHtml, stages, wrap } from '../../cli/report.ts';
import { eventText, renderFrame, watchView, type ExecutionState } from '../../cli/view.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const plain = styleFor({ write: () => true, isTTY: false });
const route = { meshName: 'demomesh', virtualRouterName: 'product-vr', routeName: 'product-r' };
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAW-secret-task-token';

type Target = { virtualNode: string; weight: number };
const split = (w: number, stable = 'product-vn', canary = 'product-v15-vn'): Target[] => [{ virtualNode: stable, weight: 100 - w }, { virtualNode: canary, weight: w }];
/** The same targets as the CLI holds them: neutral, read from the step results by the route's router. */
const ids = (ts: Target[]) => ts.map((t) => ({ id: t.virtualNode, weight: t.weight }));

/** Builds an execution history as Step Functions (and the local AWS) writes it. */
class History {
  readonly events: HistoryEvent[] = [];
  private t = T0;
  private progress: any = { stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] };
  readonly input: any;
  readonly deployment: any;

  constructor(strategy: object, canary = 'product-v15-vn', more: object = {}) {
    this.input = { route, stableNode: 'product-vn', canaryNode: canary, strategy, healthChecks: { alarms: { names: ['canary-5xx'] } }, ...more };
    this.deployment = { ...this.input, snapshot: { router: 'appmesh', routeKind: 'httpRoute', weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }], version: 1, takenAt: new Date(T0).toISOString() } };
    this.push('ExecutionStarted', 'executionStartedEventDetails', { input: JSON.stringify(this.input) });
  }

  after(seconds: number): this {
    this.t += seconds * 1000;
    return this;
  }

  push(type: string, key?: string, details?: object): this {
    this.events.push({ id: this.events.length + 1, previousEventId: this.events.length, timestamp: new Date(this.t), type, ...(key ? { [key]: details } : {}) } as HistoryEvent);
    return this;
  }

  enter(name: string, kind = 'Task'): this {
    return this.push(`${kind}StateEntered`, 'stateEnteredEventDetails', { name, input: '{}' });
  }

  exit(name: string, output: object, kind = 'Task'): this {
    return this.push(`${kind}StateExited`, 'stateExitedEventDetails', { name, output: JSON.stringify(output) });
  }

  task(name: string, output: object, seconds = 0.05): this {
    return this.enter(name).push('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: 'invoke', parameters: '{}' })
      .after(seconds).push('TaskSucceeded', 'taskSucceededEventDetails', { resourceType: 'lambda', resource: 'invoke', output: '{}' }).exit(name, output);
  }

  /** A task whose error a Catch handled: it exits with the state as it was before. */
  caught(name: string, error: string): this {
    return this.enter(name).push('TaskScheduled', 'taskScheduledEventDetails', { resourceType: 'lambda', resource: 'invoke', parameters: '{}' })
      .push('TaskFailed', 'taskFailedEventDetails', { resourceType: 'lambda', resource: 'invoke', error, cause: '{}' })
      .exit(name, { deployment: this.deployment, gate: { verdict: 'pass', progress: this.progress }, lastShift: { weight: this.progress.weight, weightedTargets: split(this.progress.weight) }, error: { Error: error } });
  }

  prepare(): this {
    return this.task('Prepare', { deployment: this.deployment, gate: { progress: this.progress } });
  }

  verdict(verdict: 'pass' | 'fail' | 'inconclusive', decision: string, extra: { nextWeight?: number; waitSeconds?: number; reasons?: string[]; state?: string; hooks?: Record<string, string> } = {}): this {
    const entry = { at: new Date(this.t).toISOString(), weight: this.progress.weight, verdict, decision, ...(extra.reasons ? { reasons: extra.reasons } : {}), ...(extra.hooks ? { hooks: extra.hooks } : {}) };
    const passes = verdict === 'pass' && this.progress.stage >= 0 ? this.progress.passes + 1 : 0;
    this.progress = { ...this.progress, passes, decision, nextWeight: extra.nextWeight, waitSeconds: extra.waitSeconds, history: [...this.progress.history, entry] };
    return this.task(extra.state ?? 'CheckHealth', { deployment: this.deployment, gate: { verdict, progress: this.progress } });
  }

  shift(weight: number): this {
    this.progress = { ...this.progress, stage: this.progress.stage + 1, weight, passes: 0 };
    return this.task('Shift', { lastShift: { weight, weightedTargets: split(weight, this.input.stableNode, this.input.canaryNode), routeVersion: 2 } });
  }

  wait(seconds: number): this {
    return this.enter('Wait', 'Wait').after(seconds).exit('Wait', {}, 'Wait');
  }

  awaitApproval(): this {
    return this.enter('AwaitApproval', 'Parallel').push('ParallelStateStarted').enter('RequestApproval').enter('MonitorWait', 'Wait')
      .push('TaskScheduled', 'taskScheduledEventDetails', {
        resourceType: 'lambda', resource: 'invoke.waitForTaskToken',
        parameters: JSON.stringify({ FunctionName: 'RequestApprovalFunction', Payload: { deployment: this.deployment, taskToken: TOKEN, weight: this.progress.weight } }),
      })
      .push('TaskStarted', 'taskStartedEventDetails', { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' })
      .push('TaskSubmitted', 'taskSubmittedEventDetails', { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', output: '{}' });
  }

  answer(kind: 'approved' | 'rejected' | 'timed-out', reason = 'checkout latency doubled'): this {
    const r = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };
    if (kind === 'approved') this.push('TaskSucceeded', 'taskSucceededEventDetails', { ...r, output: JSON.stringify({ approved: true, by: 'alice' }) });
    if (kind === 'rejected') this.push('TaskFailed', 'taskFailedEventDetails', { ...r, error: 'Rejected', cause: reason });
    if (kind === 'timed-out') this.push('TaskTimedOut', 'taskTimedOutEventDetails', { ...r, error: 'States.Timeout' });
    return this.push('ParallelStateFailed').exit('AwaitApproval', {}, 'Parallel');
  }

  promote(): this {
    return this.task('Promote', { promotion: { weightedTargets: [{ virtualNode: this.input.canaryNode, weight: 100 }] } });
  }

  rollback(why: string): this {
    return this.task('Rollback', { rollback: { summary: `rolled back because ${why}. Route demomesh/product-vr/product-r restored to its snapshot (product-vn 100).`, weightedTargets: [{ virtualNode: 'product-vn', weight: 100 }] } });
  }

  end(status: 'SUCCEEDED' | 'FAILED' | 'ABORTED', error?: string, cause?: string): ExecutionState {
    if (status === 'SUCCEEDED') this.push('ExecutionSucceeded', 'executionSucceededEventDetails', { output: '{"outcome":"promoted"}' });
    if (status === 'FAILED') this.push('ExecutionFailed', 'executionFailedEventDetails', { error, cause });
    if (status === 'ABORTED') this.push('ExecutionAborted', 'executionAbortedEventDetails', { error: '', cause: '' });
    return { description: { name: 'product-v15', status, startDate: new Date(T0), stopDate: new Date(this.t), error, cause }, history: this.events };
  }

  running(): ExecutionState {
    return { description: { name: 'product-v15', status: 'RUNNING', startDate: new Date(T0) }, history: this.events };
  }

  get now(): Date {
    return new Date(this.t);
  }
}

const linear = () => new History({ type: 'linear', stepPercent: 25, intervalSeconds: 60 });

/** A linear canary whose alarm fires at 50%: rolled back. */
function linearRolledBack(): ExecutionState {
  const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(60)
    .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 60 }).shift(50).wait(60)
    .verdict('fail', 'rollback', { reasons: ['alarm canary-5xx is ALARM: 5xx rate 14%'] }).enter('Unhealthy', 'Pass').exit('Unhealthy', {}, 'Pass').rollback('CanaryUnhealthy: alarm');
  return h.end('FAILED', 'CanaryRolledBack', 'rolled back because CanaryUnhealthy: the canary at 50% had 1 failing verdict. Route demomesh/product-vr/product-r restored to its snapshot (product-vn 100).');
}

function approvalHeld(): History {
  return new History({ type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 600, checkIntervalSeconds: 30 })
    .prepare().verdict('pass', 'advance', { nextWeight: 10, waitSeconds: 30 }).shift(10).awaitApproval();
}

describe('deployment events from a history', () => {
  test('a linear rollback: snapshot, verdicts with their decisions, shifts, the rollback and the end', () => {
    const events = deploymentEvents(linearRolledBack().history);
    expect(events.map((e) => e.kind)).toEqual(['started', 'prepared', 'verdict', 'shift', 'verdict', 'shift', 'verdict', 'rolled-back', 'ended']);
    expect(events[2]).toMatchObject({ verdict: 'pass', weight: 0, decision: 'advance', nextWeight: 25 });
    expect(events[6]).toMatchObject({ verdict: 'fail', weight: 50, decision: 'rollback', reasons: ['alarm canary-5xx is ALARM: 5xx rate 14%'] });
    expect(events.at(-1)).toMatchObject({ kind: 'ended', status: 'FAILED', error: 'CanaryRolledBack' });
  });

  test.each([
    ['approved', { answer: 'approved', by: 'alice' }],
    ['rejected', { answer: 'rejected', reason: 'checkout latency doubled' }],
    ['timed-out', { answer: 'timed-out' }],
  ] as const)('an approval %s is an event with who or why', (kind, expected) => {
    const events = deploymentEvents(approvalHeld().after(5).answer(kind).events);
    expect(events.filter((e) => e.kind === 'awaiting-approval')).toHaveLength(1);
    expect(events.find((e) => e.kind === 'approval')).toMatchObject(expected);
  });

  test('a task whose error was caught exits with the old state: no phantom shift or verdict', () => {
    const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(60)
      .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 60 }).caught('Shift', 'RouteDriftDetected').caught('CheckHealth', 'HealthCheckMisconfigured');
    expect(deploymentEvents(h.events).map((e) => e.kind)).toEqual(['started', 'prepared', 'verdict', 'shift', 'verdict']);
  });

  test('a state whose output is not what the CLI expects is skipped, not fatal', () => {
    const h = linear().exit('CheckHealth', { unexpected: true }).exit('Shift', {}).exit('Prepare', { deployment: {} });
    expect(deploymentEvents(h.events).map((e) => e.kind)).toEqual(['started']);
  });
});

/** Someone set the weights by hand at 25%; onDrift halt leaves them. */
function driftHalted(): ExecutionState {
  const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(60)
    .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 60 }).caught('Shift', 'RouteDriftDetected')
    .enter('OnDrift', 'Choice').exit('OnDrift', {}, 'Choice')
    .task('HaltOnDrift', { rollback: { summary: 'stopped because RouteDriftDetected: product-vn is 90, not 75. Route demomesh/product-vr/product-r left as it is now (product-vn 90, product-v15-vn 10), not restored: onDrift is halt.', weightedTargets: split(10) } });
  return h.end('FAILED', 'RouteDriftDetected', 'stopped because RouteDriftDetected: product-vn is 90, not 75. Route left as it is now (product-vn 90, product-v15-vn 10), not restored: onDrift is halt.');
}

describe('a drift halt', () => {
  test('is its own outcome (exit 3), with the route as the person left it', () => {
    const state = driftHalted();
    expect(deploymentEvents(state.history).map((e) => e.kind)).toEqual(['started', 'prepared', 'verdict', 'shift', 'verdict', 'halted', 'ended']);
    const v = watchView(state, new Date());
    expect(v.outcome).toMatchObject({ kind: 'halted', exitCode: 3 });
    expect(v.outcome!.summary).toMatch(/^halted on drift: stopped because RouteDriftDetected: product-vn is 90, not 75/);
    expect(v.targets).toEqual(ids(split(10)));
    expect(v.canaryWeight).toBe(10);
    expect(renderFrame(v, plain, new Date()).join('\n')).toContain('HALTED stopped because RouteDriftDetected');
  });

  test('is marked in the report, the share drawn where the person put it', () => {
    const svg = renderReport(driftHalted());
    expect(svg).toContain('halted: weights changed by hand');
    expect(svg).toContain('halted, weights changed by hand: product-vn 90, product-v15-vn 10');
  });
});

describe('the pending approval', () => {
  test('found while the approval task waits; its token is read from the TaskScheduled parameters', () => {
    expect(pendingApproval(approvalHeld().events)).toEqual({ token: TOKEN, since: expect.any(Date) });
  });

  test.each(['approved', 'rejected', 'timed-out'] as const)('none once %s', (kind) => {
    expect(pendingApproval(approvalHeld().answer(kind).events)).toBeUndefined();
  });

  test('none when the wait ended because health failed (the Parallel exited)', () => {
    const h = approvalHeld().push('ParallelStateFailed').exit('AwaitApproval', {}, 'Parallel');
    expect(pendingApproval(h.events)).toBeUndefined();
  });

  test('none in a linear deployment', () => {
    expect(pendingApproval(linearRolledBack().history)).toBeUndefined();
  });
});

describe('what the CLI reads from a history', () => {
  test('the prepared deployment carries the snapshot', () => {
    expect((preparedDeployment(linearRolledBack().history)?.snapshot as { weightedTargets?: unknown }).weightedTargets).toEqual([{ virtualNode: 'product-vn', weight: 100 }]);
    expect(preparedDeployment(linear().events)).toBeUndefined();
  });

  test('active states: a Parallel and its branches while waiting; none of them after it exits', () => {
    expect(activeStates(approvalHeld().events).map((s) => s.name)).toEqual(['AwaitApproval', 'RequestApproval', 'MonitorWait']);
    expect(activeStates(approvalHeld().answer('approved').enter('Promote').events).map((s) => s.name)).toEqual(['Promote']);
    expect(activeStates(linearRolledBack().history)).toEqual([]);
  });

  test('execution ARNs', () => {
    expect(parseExecutionArn('arn:aws:states:eu-west-1:123456789012:execution:LinearStateMachine:product-v15')).toEqual({
      partition: 'aws', region: 'eu-west-1', accountId: '123456789012', stateMachineName: 'LinearStateMachine', name: 'product-v15',
      stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:LinearStateMachine',
    });
    expect(parseExecutionArn('arn:aws:states:eu-west-1:123456789012:stateMachine:LinearStateMachine')).toBeUndefined();
  });

  test('a Lambda error cause reads as its message', () => {
    expect(readableCause('{"errorType":"TargetNotInRoute","errorMessage":"product-vn is not a target","trace":["at x"]}')).toBe('product-vn is not a target');
    expect(readableCause('plain words')).toBe('plain words');
  });

  test('same targets (the routers\' rule, which routes --watch uses) means same order, weights and ports', () => {
    const t = (id: string, weight: number, port?: number) => (port === undefined ? { id, weight } : { id, weight, port } as { id: string; weight: number });
    expect(sameTargets([t('a', 1)], [t('a', 1)])).toBe(true);
    expect(sameTargets([t('a', 1, 80)], [t('a', 1)])).toBe(false);
    expect(sameTargets([t('a', 1), t('b', 0)], [t('b', 0), t('a', 1)])).toBe(false);
  });
});

describe('outcomes and exit codes', () => {
  test.each([
    [{ status: 'SUCCEEDED' }, undefined, 'promoted', 0],
    [{ status: 'FAILED', error: 'CanaryRolledBack', cause: 'rolled back because Rejected: no' }, undefined, 'rolled back', 1],
    [{ status: 'ABORTED' }, true, 'aborted', 1],
    [{ status: 'ABORTED' }, false, 'aborted', 3],
    [{ status: 'ABORTED' }, undefined, 'aborted', 3],
    [{ status: 'FAILED', error: 'RollbackFailed', cause: 'x' }, undefined, 'rollback failed', 3],
    [{ status: 'FAILED', error: 'InvalidInput', cause: 'bad' }, undefined, 'failed', 3],
    [{ status: 'TIMED_OUT' }, undefined, 'timed out', 3],
    [{ status: 'ABORTED', error: 'AlarmFired', cause: 'alarm a went to ALARM' }, true, 'rolled back', 1],
    [{ status: 'ABORTED', error: 'AlarmFired', cause: 'alarm a went to ALARM' }, false, 'rolled back', 3],
  ])('%o (route restored: %s) is %s, exit %d', (d, restored, kind, code) => {
    expect(outcomeOf(d, restored)).toMatchObject({ kind, exitCode: code });
  });

  test('a rollback reads once, not "rolled back: rolled back because"', () => {
    expect(outcomeOf({ status: 'FAILED', error: 'CanaryRolledBack', cause: 'rolled back because Rejected: no' }).summary).toBe('rolled back because Rejected: no');
    // Only a refusal says the route was not changed; any other error does not claim it.
    expect(outcomeOf({ status: 'FAILED', error: 'BaselineUnhealthy', cause: 'x' }).summary).toMatch(/^failed before changing the route/);
    expect(outcomeOf({ status: 'FAILED', error: 'States.Runtime', cause: 'x' }).summary).not.toMatch(/before changing/);
    expect(outcomeOf({ status: 'FAILED', error: 'States.Runtime', cause: 'x' }).exitCode).toBe(3);
  });

  test('stopped by the alarm path: a rollback that names the alarm, never an unexplained abort', () => {
    const d = { status: 'ABORTED', error: 'AlarmFired', cause: 'alarm product-v15-5xx went to ALARM at 2026-11-27T10:16:40.206+0000: Threshold Crossed' };
    expect(outcomeOf(d, true).summary).toBe('rolled back: alarm product-v15-5xx went to ALARM at 2026-11-27T10:16:40.206+0000: Threshold Crossed; the route is back at its snapshot');
    expect(outcomeOf(d, true, 3).summary).toMatch(/; all 3 routes are back at their snapshots$/);
    expect(outcomeOf(d, false).summary).toMatch(/^rolled back on an alarm \(alarm product-v15-5xx .*\), but the route is NOT at its snapshot: run mesh-canary abort --restore$/);
  });
});

describe('the watch view', () => {
  test('linear: the step in the plan, the weights, and the time to the next verdict', () => {
    const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).wait(60)
      .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 60 }).shift(50).enter('Wait', 'Wait');
    const now = new Date(h.now.getTime() + 20_000);
    const v = watchView(h.running(), now);
    expect(v.step).toBe('step 2/4 at 50%');
    expect(v.activity).toBe('waiting for the next verdict');
    expect(v.upcoming).toEqual([{ label: 'next verdict', at: new Date(h.now.getTime() + 60_000), then: '75% if it passes' }]);
    expect(v.targets).toEqual(ids(split(50)));
    expect(v.strategyText).toBe('linear, +25% every 1 min');

    const frame = renderFrame(v, plain, now).join('\n');
    expect(frame).toContain('demomesh/product-vr/product-r');
    expect(frame).toMatch(/product-vn\s+50\s+50%\s+█{15}░{15}/);
    expect(frame).toMatch(/product-v15-vn\s+50\s+50%/);
    expect(frame).toContain('next verdict in 40 s, then 75% if it passes');
    expect(frame).toContain('2 pass · 0 fail · 0 inconclusive');
    expect(frame).not.toContain('\x1b[');
  });

  test('step-then-all: passing verdicts counted against the bake', () => {
    const h = new History({ type: 'step-then-all', canaryPercent: 20, bakeSeconds: 90, checkIntervalSeconds: 30 })
      .prepare().verdict('pass', 'advance', { nextWeight: 20, waitSeconds: 30 }).shift(20).wait(30).verdict('pass', 'wait', { waitSeconds: 30 });
    expect(watchView(h.running(), h.now).step).toBe('baking at 20%: 1/3 passing verdicts, then 100%');
    const last = h.wait(30).verdict('pass', 'wait', { waitSeconds: 30 }).enter('Wait', 'Wait');
    expect(watchView(last.running(), last.now).upcoming[0]).toMatchObject({ label: 'next verdict', then: '100% and promote if it passes' });
  });

  test('manual approval: waiting, the deadline, the next health check, and how to answer', () => {
    const h = approvalHeld().after(10);
    const v = watchView(h.running(), h.now);
    expect(v.step).toBe('at 10%, held for approval');
    expect(v.activity).toBe('waiting for approval');
    expect(v.upcoming.map((u) => u.label)).toEqual(['next health check', 'approval deadline (then rollback)']);
    const frame = renderFrame(v, plain, h.now).join('\n');
    expect(frame).toContain('mesh-canary approve product-v15');
    expect(frame).toContain('approval deadline (then rollback) in 9m 50s');
    expect(frame).not.toContain(TOKEN);
  });

  test('the end: the outcome, the route as the rollback left it, the failing reasons', () => {
    const state = linearRolledBack();
    const v = watchView(state, new Date());
    expect(v.outcome).toMatchObject({ kind: 'rolled back', exitCode: 1 });
    expect(v.targets).toEqual([{ id: 'product-vn', weight: 100 }]);
    const frame = renderFrame(v, plain, new Date()).join('\n');
    expect(frame).toContain('ROLLED BACK because CanaryUnhealthy');
    expect(frame).toContain('FAIL → rollback  alarm canary-5xx is ALARM: 5xx rate 14%');
  });

  test('an abort: the route the CLI read afterwards decides between rolled back and failed', () => {
    const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).enter('Wait', 'Wait').after(5);
    const restored = watchView({ ...h.end('ABORTED'), routeAfter: { targets: [{ id: 'product-vn', weight: 100 }], restored: true } }, h.now);
    expect(restored.outcome).toMatchObject({ kind: 'aborted', exitCode: 1 });
    expect(restored.canaryWeight).toBe(0);
  });

  test('one line per event, for logs and pipes', () => {
    const lines = deploymentEvents(linearRolledBack().history).map((e) => eventText(e, plain));
    expect(lines).toEqual(expect.arrayContaining([
      'snapshot taken: product-vn 100',
      'verdict at 0%: pass → advance to 25%',
      'canary at 25%: product-vn 75, product-v15-vn 25',
      'verdict at 50%: FAIL → rollback (alarm canary-5xx is ALARM: 5xx rate 14%)',
      'execution FAILED with CanaryRolledBack',
    ]));
  });
});

test('hook results: each verdict names its hooks and their verdicts, in the line, the frame and the report', () => {
  const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60, hooks: { smoke: 'pass' } }).shift(25).wait(60)
    .verdict('fail', 'rollback', { reasons: ['hook share-limit: the canary\'s share 25% is above 20%'], hooks: { smoke: 'pass', 'share-limit': 'fail' } });
  const ended = h.end('FAILED', 'CanaryRolledBack', 'rolled back because CanaryUnhealthy');
  const lines = deploymentEvents(ended.history).map((e) => eventText(e, plain));
  expect(lines).toEqual(expect.arrayContaining([
    'verdict at 0%: pass → advance to 25%, hooks smoke pass',
    'verdict at 25%: FAIL → rollback, hooks smoke pass, share-limit FAIL (hook share-limit: the canary\'s share 25% is above 20%)',
  ]));
  const frame = renderFrame(watchView(ended, h.now), plain, h.now).join('\n');
  expect(frame).toMatch(/FAIL → rollback  hooks smoke pass, share-limit FAIL  hook share-limit/);
  const svg = renderReport(ended);
  expect(svg).toContain('(hooks: smoke pass, share-limit fail)');
});

describe('terminal rendering', () => {
  test('colour only on a terminal, and never with NO_COLOR', () => {
    expect(styleFor({ write: () => true, isTTY: true }, {}).red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(styleFor({ write: () => true, isTTY: true }, { NO_COLOR: '1' }).red('x')).toBe('x');
    expect(styleFor({ write: () => true, isTTY: false }, {}).red('x')).toBe('x');
  });

  test('bars, tables, durations and truncation', () => {
    expect(bar(0.25, 8)).toBe('██░░░░░░');
    expect(weightTable(ids(split(10)), plain, { barWidth: 10 }).slice(0, 1)).toEqual(['target          weight  share']);
    expect(weightTable(ids(split(10)), plain, { barWidth: 10, word: 'virtual node' })).toEqual([
      'virtual node    weight  share',
      'product-vn          90    90%  █████████░',
      'product-v15-vn      10    10%  █░░░░░░░░░',
    ]);
    expect([400, 12_000, 245_000, 3_720_000].map(duration)).toEqual(['0.4 s', '12 s', '4m 05s', '1h 02m']);
    const cut = truncate('\x1b[31mabcdefghij\x1b[39m', 5);
    expect(visibleLength(cut)).toBe(5);
  });

  test('a live region redraws in place on a terminal and only logs elsewhere', () => {
    let tty = '';
    const region = new LiveRegion({ write: (s: string) => (tty += s), isTTY: true, columns: 80 }, true);
    region.update(['a', 'b']);
    region.update(['c']);
    region.close();
    expect(tty).toBe('\x1b[?25la\x1b[K\nb\x1b[K\n\x1b[2F\x1b[Jc\x1b[K\n\x1b[?25h');
    let pipe = '';
    const logOnly = new LiveRegion({ write: (s: string) => (pipe += s) }, false);
    logOnly.update(['frame']);
    logOnly.log('line');
    expect(pipe).toBe('line\n');
  });
});

describe('the report', () => {
  /** Every tag opened is closed, in order: the SVG is well-formed enough for any viewer. */
  function wellFormed(svg: string): boolean {
    const stack: string[] = [];
    for (const [, close, name, selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
      if (selfClosing) continue;
      if (!close) stack.push(name);
      else if (stack.pop() !== name) return false;
    }
    return stack.length === 0;
  }

  test('a rollback: each step, each verdict in its colour with its reasons, the rollback marked', () => {
    const svg = renderReport(linearRolledBack());
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=|@import|url\(/); // self-contained: nothing to fetch, nothing to run
    for (const step of ['25%', '50%']) expect(svg).toContain(`>${step}</text>`);
    expect(svg.match(/<circle [^>]*r="5.5" fill="#16a34a"/g)).toHaveLength(2); // two passing verdicts
    expect(svg.match(/<circle [^>]*r="5.5" fill="#dc2626"/g)).toHaveLength(1); // one failing
    expect(svg).toContain('verdict fail at 50% → rollback: alarm canary-5xx is ALARM: 5xx rate 14%');
    expect(svg).toContain('rolled back: alarm canary-5xx is ALARM: 5xx rate 14%');
    expect(svg).toContain('ROLLED BACK');
    expect(svg).toContain('product-v15-vn on demomesh/product-vr/product-r');
  });

  test('an approval: the wait shaded, the answer and the promotion marked', () => {
    const svg = renderReport(approvalHeld().after(40).answer('approved').promote().end('SUCCEEDED'));
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('waiting for approval');
    expect(svg).toContain('approved by alice');
    expect(svg).toContain('>promoted</text>');
    expect(svg).toContain('PROMOTED');
    expect(svg).not.toContain(TOKEN);
  });

  test('a rejection and a timeout are marked as such', () => {
    expect(renderReport(approvalHeld().after(3).answer('rejected').rollback('Rejected').end('FAILED', 'CanaryRolledBack', 'rolled back because Rejected'))).toContain('rejected: checkout latency doubled');
    expect(renderReport(approvalHeld().after(600).answer('timed-out').rollback('ApprovalTimedOut').end('FAILED', 'CanaryRolledBack', 'x'))).toContain('approval timed out');
  });

  test('an abort says whether the route was restored', () => {
    const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).enter('Wait', 'Wait').after(5);
    const svg = renderReport({ ...h.end('ABORTED'), routeAfter: { targets: [{ id: 'product-vn', weight: 100 }], restored: true } });
    expect(svg).toContain('aborted, route restored');
  });

  test('a long deployment gets minute ticks; text from the history is escaped', () => {
    const h = new History({ type: 'linear', stepPercent: 50, intervalSeconds: 300 }, 'v<2>&"x"').prepare()
      .verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 300 }).shift(50).wait(300)
      .verdict('inconclusive', 'rollback', { reasons: ['metric <p99> & friends: 3 samples'] }).rollback('x');
    const svg = renderReport(h.end('FAILED', 'CanaryRolledBack', 'rolled back because <x>'));
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('>5m</text>');
    expect(svg).toContain('v&lt;2&gt;&amp;&quot;x&quot;');
    expect(svg).toContain('metric &lt;p99&gt; &amp; friends');
    expect(svg).toContain('fill="#9ca3af" stroke="#ffffff"'); // the inconclusive verdict is grey
  });

  test('stages: baseline, each step, and what ended it', () => {
    const state = linearRolledBack();
    const s = stages(deploymentEvents(state.history), new Date(T0), state.description.stopDate!, 'end');
    expect(s.map((x) => [x.index, x.weight, x.verdicts.map((v) => v.verdict).join(','), x.then])).toEqual([
      [0, 0, 'pass', 'shifted to 25%'],
      [1, 25, 'pass', 'shifted to 50%'],
      [2, 50, 'fail', 'rolled back to product-vn 100'],
    ]);
  });

  test('html wraps the same picture; helpers', () => {
    expect(reportHtml('<svg/>', 'a & b')).toMatch(/^<!doctype html>[\s\S]*<title>a &amp; b<\/title>[\s\S]*<svg\/>/);
    expect(esc(`<'&">`)).toBe('&lt;&#39;&amp;&quot;&gt;');
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
  });
});

describe('the settle time after each shift, in watch and the report', () => {
  // App Mesh settles for 0 s by default: an input that asks for a settle time shows it.
  const settling = () => new History({ type: 'linear', stepPercent: 50, intervalSeconds: 30 }, 'product-v15-vn', { settleSeconds: 90 })
    .prepare().verdict('pass', 'advance', { nextWeight: 50, waitSeconds: 90 }).shift(50).enter('Wait', 'Wait');

  test('watch: settling until HH:MM:SS, why, and the next verdict after it', () => {
    const h = settling();
    const now = new Date(h.now.getTime() + 20_000);
    const v = watchView(h.running(), now);
    expect(v.settle).toEqual({ seconds: 90, note: 'settleSeconds: 90' });
    expect(v.settlingUntil).toEqual(new Date(h.now.getTime() + 90_000));
    expect(v.strategyText).toBe('linear, +50% every 30 s, settling 1m 30s after each shift');
    const frame = renderFrame(v, plain, now).join('\n');
    const until = new Date(h.now.getTime() + 90_000).toISOString().slice(11, 19);
    expect(frame).toContain(`waiting for the next verdict · settling until ${until} UTC (settleSeconds: 90) · next verdict in 1m 10s`);
  });

  test('watch: once settled, or after the shift was undone, no longer settling', () => {
    const h = settling();
    expect(watchView(h.running(), new Date(h.now.getTime() + 91_000)).settlingUntil).toBeUndefined();
    const rolled = settling().rollback('x');
    expect(watchView(rolled.running(), new Date(rolled.now.getTime() + 1000)).settlingUntil).toBeUndefined();
  });

  test('App Mesh by default: no settle, the view as before', () => {
    const h = linear().prepare().verdict('pass', 'advance', { nextWeight: 25, waitSeconds: 60 }).shift(25).enter('Wait', 'Wait');
    const v = watchView(h.running(), new Date(h.now.getTime() + 1000));
    expect(v.settle.seconds).toBe(0);
    expect(v.settlingUntil).toBeUndefined();
    expect(renderFrame(v, plain, h.now).join('\n')).not.toContain('settl');
    expect(renderReport(h.running(), h.now)).not.toContain('settl');
  });

  test('report: a band from each shift for the settle time, explained in its tooltip and the legend', () => {
    const h = settling().after(90).verdict('pass', 'promote').promote();
    const svg = renderReport(h.end('SUCCEEDED'));
    expect(svg).toContain('settling at 50% (settleSeconds: 90); the next verdict comes after');
    expect(svg).toContain('settling after a shift (settleSeconds: 90)');
    expect(svg).toContain('settling 1m 30s after each shift');
  });
});
