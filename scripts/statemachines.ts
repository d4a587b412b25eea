// Builds the three state machines' definitions, statemachines/<strategy>.asl.json, from pieces
// written once: each state, the two Retry policies, the Catch lists and the approval branch.
// ASL has no include, so the definitions are generated, and committed as generated: SAM deploys
// each file as it is and a reader sees each machine whole in one file. A test regenerates them
// and compares (test/unit/statemachines.test.ts). State names are checked by the type checker
// against functions/commons/states.ts, the module the rest of the TypeScript reads them from.
//   npm run statemachines              writes statemachines/*.asl.json
//   npm run statemachines -- --check   exit 1, naming each file that is not this script's output
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { functionErrors, machineErrors, type StateName } from '../functions/commons/states.ts';
import type { StrategyType } from '../functions/commons/strategy.ts';

/** An error name a Retry or Catch matches, or a Fail state raises: ours, or one of AWS's. */
type ErrorName = (typeof functionErrors)[keyof typeof functionErrors] | (typeof machineErrors)[keyof typeof machineErrors]
  | `States.${string}` | `Lambda.${string}` | 'Sandbox.Timedout';

interface Catcher { ErrorEquals: ErrorName[]; ResultPath: string; Next: StateName }
interface State {
  Type: 'Task' | 'Pass' | 'Choice' | 'Wait' | 'Fail' | 'Parallel';
  Next?: StateName;
  Default?: StateName;
  Choices?: { Next: StateName; [rule: string]: unknown }[];
  Catch?: Catcher[];
  Branches?: { StartAt: StateName; States: States }[];
  Error?: ErrorName;
  [field: string]: unknown;
}
type States = { [name in StateName]?: State };

/** The machines users start, one per strategy: each file's name, and the machine the input's strategy must name. */
export const machines = ['linear', 'step-then-all', 'manual-approval'] as const satisfies readonly StrategyType[];
export type Machine = (typeof machines)[number];

const purpose: Record<Machine, string> = {
  linear: "raise the canary's share by stepPercent every intervalSeconds until 100%, with a health verdict before each raise and one at the end, then promote. Any failure after the first change rolls the route back to its snapshot.",
  'step-then-all': 'canary at canaryPercent, bake for bakeSeconds with a health verdict every checkIntervalSeconds, then 100% and promote. Any failure after the first change rolls the route back to its snapshot.',
  'manual-approval': 'canary at canaryPercent, then wait for a person to approve (promote) or reject (roll back), checking health all the while; no answer within approvalTimeoutSeconds rolls back, or promotes if onApprovalTimeout says so.',
};

// ---------------------------------------------------------------- the pieces, each written once

const lambdaServiceErrors: ErrorName[] = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** Every step: Lambda's service errors and TransientAwsError, 4 attempts, exponential backoff with full jitter. */
const retry = [
  { ErrorEquals: lambdaServiceErrors, IntervalSeconds: 1, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 20, JitterStrategy: 'FULL' },
  { ErrorEquals: ['TransientAwsError'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
];
/** The steps that put the route back or release its lock: 12 attempts up to a minute apart, also on timeouts. */
const retryHard = [{
  ErrorEquals: [...lambdaServiceErrors, 'TransientAwsError', 'Sandbox.Timedout', 'States.Timeout'],
  IntervalSeconds: 1, MaxAttempts: 12, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL',
}];

const caught = (ErrorEquals: ErrorName[], Next: StateName, ResultPath = '$.error'): Catcher => ({ ErrorEquals, ResultPath, Next });
/** Prepare's refusals: before any change, so the execution ends with the function's own error. */
const refusals: ErrorName[] = ['InvalidInput', 'DeploymentInProgress', 'RouteNotFound', 'VirtualNodeNotFound', 'TargetGroupNotFound', 'TargetNotInRoute',
  'UnsupportedRoute', 'ControllerManagedRoute', 'AwsRequestRejected', 'TransientAwsError'];
/** The writers (Shift, Promote): drift goes to the onDrift policy, anything else rolls back. */
const writerCatch = [caught(['RouteDriftDetected'], 'OnDrift'), caught(['States.ALL'], 'Rollback')];

type FunctionId = 'Prepare' | 'CheckHealth' | 'SetWeight' | 'Promote' | 'Rollback' | 'RequestApproval';
/** Invokes one of the stack's functions: its ARN, and Lambda's integration, are DefinitionSubstitutions values. */
const invoke = (fn: FunctionId, Payload: Record<string, unknown>, Resource = '${LambdaInvoke}') =>
  ({ Type: 'Task' as const, Resource, Parameters: { FunctionName: `\${${fn}FunctionArn}`, Payload } });
const TASK_TIMEOUT = 60;
const deployment = { 'deployment.$': '$.deployment' };

const checkHealth = {
  ...invoke('CheckHealth', { ...deployment, 'progress.$': '$.gate.progress' }),
  TimeoutSeconds: TASK_TIMEOUT,
  ResultSelector: { 'verdict.$': '$.Payload.verdict', 'progress.$': '$.Payload.progress' },
  ResultPath: '$.gate',
  Retry: retry,
};
/** Rollback's three uses (restore, halt on drift, release after a refusal): a reason, and a flag for the last two. */
const rollbackTask = (flag: Record<string, true>) => ({
  ...invoke('Rollback', { ...deployment, 'reason.$': '$.error', ...flag }),
  TimeoutSeconds: TASK_TIMEOUT,
  Retry: retryHard,
});
const rollbackResult = { 'summary.$': '$.Payload.summary', 'weightedTargets.$': '$.Payload.weightedTargets' };

/** manual-approval: a Parallel whose branches wait for a person and keep checking health; the first to end stops the other. */
const awaitApproval: State = {
  Type: 'Parallel',
  Comment: 'Waits for a person while health keeps being checked. Each branch ends by failing on purpose, which stops the other: Approved promotes, anything else rolls back.',
  Branches: [
    {
      StartAt: 'RequestApproval',
      States: {
        RequestApproval: {
          ...invoke('RequestApproval', { ...deployment, 'taskToken.$': '$$.Task.Token', 'weight.$': '$.gate.progress.weight' }, '${LambdaInvokeWaitForTaskToken}'),
          TimeoutSecondsPath: '$.deployment.strategy.approvalTimeoutSeconds',
          ResultPath: '$.answer',
          Retry: retry,
          Catch: [caught(['States.Timeout'], 'OnApprovalTimeout', '$.timeout')],
          Next: 'CheckAnswer',
        },
        Approved: { Type: 'Fail', Error: 'Approved', Cause: 'approved' },
        OnApprovalTimeout: {
          Type: 'Choice',
          Choices: [{ Variable: '$.deployment.strategy.onApprovalTimeout', StringEquals: 'promote', Next: 'PromoteOnTimeout' }],
          Default: 'ApprovalTimedOut',
        },
        PromoteOnTimeout: { Type: 'Fail', Error: 'Approved', Cause: 'nobody answered before approvalTimeoutSeconds, and onApprovalTimeout is promote' },
        ApprovalTimedOut: { Type: 'Fail', Error: 'ApprovalTimedOut', Cause: 'nobody answered before approvalTimeoutSeconds (onApprovalTimeout: rollback)' },
        CheckAnswer: {
          Type: 'Choice',
          Comment: 'Only an explicit {"approved": true} approves; any other answer rolls back.',
          Choices: [{
            And: [
              { Variable: '$.answer.approved', IsPresent: true },
              { Variable: '$.answer.approved', IsBoolean: true },
              { Variable: '$.answer.approved', BooleanEquals: true },
            ],
            Next: 'Approved',
          }],
          Default: 'NotApproved',
        },
        NotApproved: { Type: 'Fail', Error: 'Rejected', Cause: 'the answer to the approval was not {"approved": true}' },
      },
    },
    {
      StartAt: 'MonitorWait',
      States: {
        // The gate's wait: checkIntervalSeconds, stretched to the settle time after the shift.
        MonitorWait: { Type: 'Wait', SecondsPath: '$.gate.progress.waitSeconds', Next: 'MonitorCheck' },
        MonitorCheck: { ...checkHealth, Next: 'MonitorGate' },
        MonitorGate: {
          Type: 'Choice',
          Choices: [{ Variable: '$.gate.progress.decision', StringEquals: 'rollback', Next: 'UnhealthyWhileWaiting' }],
          Default: 'MonitorWait',
        },
        UnhealthyWhileWaiting: { Type: 'Fail', Error: 'CanaryUnhealthy', CausePath: '$.gate.progress.reason' },
      },
    },
  ],
  Catch: [caught(['Approved'], 'Promote', '$.approval'), caught(['States.ALL'], 'Rollback')],
  Next: 'Promote',
};

// ---------------------------------------------------------------- the machines

/** One machine's definition. The three differ only where `approval` says: the approval wait after the shift. */
export function definition(machine: Machine) {
  const approval = machine === 'manual-approval';
  /** A promoted execution's output: what was deployed (in its backend's words, or a release's routes), every verdict, and the route(s) at the end. */
  const promotedOutput = (Comment: string, deployed: Record<string, string>) => ({
    Type: 'Pass' as const,
    Comment,
    Parameters: {
      outcome: 'promoted',
      ...deployed,
      'strategy.$': '$.deployment.strategy',
      'verdicts.$': '$.gate.progress.history',
      'checks.$': '$.gate.progress.checks',
      'snapshot.$': '$.deployment.snapshot.weightedTargets',
      'weightedTargets.$': '$.promotion.weightedTargets',
      ...(approval ? { 'approval.$': '$.approval.Cause' } : {}),
    },
    End: true as const,
  });
  const States: States = {
    Prepare: {
      ...invoke('Prepare', { 'input.$': '$', 'executionId.$': '$$.Execution.Id', machine }),
      Comment: "Validates the input, takes the route's lock (one deployment per route) and snapshots the route. Nothing has changed yet: a refusal here ends the execution with the function's own error (InvalidInput, DeploymentInProgress, RouteNotFound, ...) and its message as the cause.",
      TimeoutSeconds: TASK_TIMEOUT,
      ResultSelector: {
        'deployment.$': '$.Payload',
        gate: { progress: { stage: -1, weight: 0, passes: 0, consecutiveFailures: 0, checks: 0, history: [] } },
        lastShift: { weight: 0, 'weightedTargets.$': '$.Payload.snapshot.weightedTargets' },
      },
      ResultPath: '$',
      Retry: retry,
      Catch: [caught(refusals, 'DescribeRefusal', '$')],
      Next: 'CheckHealth',
    },
    DescribeRefusal: {
      Type: 'Pass',
      Comment: "The input was refused (Prepare's own errors; the error replaced the input, which may be anything): keeps what a person should read, the error name and its message, not the stack trace.",
      Parameters: { 'error.$': '$.Error', 'cause.$': 'States.StringToJson($.Cause)' },
      Next: 'InputRefused',
    },
    InputRefused: {
      Type: 'Fail',
      Comment: 'Refused before any change: the route was not touched. No lock is held, except after a TransientAwsError whose lock write landed: the abort guard releases that one (this execution ends FAILED).',
      ErrorPath: '$.error',
      CausePath: '$.cause.errorMessage',
    },
    CheckHealth: {
      ...checkHealth,
      Comment: "A health verdict, and the gate's decision under the strategy, failureThreshold and inconclusive policy.",
      Catch: [caught(['States.ALL'], 'CheckFailed')],
      Next: 'Gate',
    },
    CheckFailed: {
      Type: 'Choice',
      Comment: 'A health check that fails to run before the first change (stage -1: the baseline) has nothing to roll back.',
      Choices: [{ Variable: '$.gate.progress.stage', NumericEquals: -1, Next: 'ReleaseRoute' }],
      Default: 'Rollback',
    },
    Gate: {
      Type: 'Choice',
      Choices: ([['advance', 'Shift'], ['wait', 'Wait'], ['promote', 'Promote'], ['refuse', 'BaselineUnhealthy']] as const)
        .map(([decision, Next]) => ({ Variable: '$.gate.progress.decision', StringEquals: decision, Next })),
      Default: 'Unhealthy',
    },
    Shift: {
      ...invoke('SetWeight', { ...deployment, 'weight.$': '$.gate.progress.nextWeight', 'expected.$': '$.lastShift.weightedTargets' }),
      Comment: "Sets the canary's share (absolute weights; no write when the route already has them). Refuses to overwrite a weight someone else changed (RouteDriftDetected) and to write without the route's lock.",
      TimeoutSeconds: TASK_TIMEOUT,
      ResultSelector: { 'weight.$': '$.Payload.weight', 'weightedTargets.$': '$.Payload.weightedTargets', 'routeVersion.$': '$.Payload.routeVersion' },
      ResultPath: '$.lastShift',
      Retry: retry,
      Catch: writerCatch,
      Next: approval ? 'AwaitApproval' : 'Wait',
    },
    Wait: {
      Type: 'Wait',
      Comment: "The gate's wait before the next verdict; the first after a shift lasts at least settleSeconds, so the verdict judges the new split.",
      SecondsPath: '$.gate.progress.waitSeconds',
      Next: 'CheckHealth',
    },
    ...(approval ? { AwaitApproval: awaitApproval } : {}),
    Promote: {
      ...invoke('Promote', { ...deployment, 'expected.$': '$.lastShift.weightedTargets' }),
      TimeoutSeconds: TASK_TIMEOUT,
      ResultSelector: { 'weightedTargets.$': '$.Payload.weightedTargets', 'routeVersion.$': '$.Payload.routeVersion', 'removedStableTarget.$': '$.Payload.removedStableTarget' },
      ResultPath: '$.promotion',
      Retry: retry,
      Catch: writerCatch,
      Next: 'PromotedOutput',
    },
    PromotedOutput: {
      Type: 'Choice',
      Comment: "The output names stable and canary in the route's backend's words: App Mesh's virtual nodes (as always), VPC Lattice's target groups; a release's, each route's.",
      Choices: [
        { Variable: '$.deployment.routes', IsPresent: true, Next: 'PromotedRelease' },
        { Variable: '$.deployment.snapshot.router', StringEquals: 'lattice', Next: 'PromotedOnLattice' },
      ],
      Default: 'Promoted',
    },
    PromotedRelease: promotedOutput(
      "The execution's output for several routes: each route with its stable, canary and snapshot, every verdict, and every route at the end.",
      { 'routes.$': '$.deployment.routes' },
    ),
    PromotedOnLattice: promotedOutput(
      "The execution's output on VPC Lattice: what was deployed, every verdict, and the route at the end.",
      { 'route.$': '$.deployment.route', 'stableTargetGroup.$': '$.deployment.stableTargetGroup', 'canaryTargetGroup.$': '$.deployment.canaryTargetGroup' },
    ),
    Promoted: promotedOutput(
      "The execution's output: what was deployed, every verdict, and the route at the end.",
      { 'route.$': '$.deployment.route', 'stableNode.$': '$.deployment.stableNode', 'canaryNode.$': '$.deployment.canaryNode' },
    ),
    Unhealthy: {
      Type: 'Pass',
      Parameters: { Error: 'CanaryUnhealthy' satisfies ErrorName, 'Cause.$': '$.gate.progress.reason' },
      ResultPath: '$.error',
      Next: 'Rollback',
    },
    BaselineUnhealthy: {
      Type: 'Pass',
      Comment: 'The baseline verdict, before any change, failed: the deployment does not start.',
      Parameters: { Error: 'BaselineUnhealthy' satisfies ErrorName, 'Cause.$': '$.gate.progress.reason' },
      ResultPath: '$.error',
      Next: 'ReleaseRoute',
    },
    Rollback: {
      ...rollbackTask({}),
      Comment: 'Restores the snapshot exactly. Retried harder than any other step: a half-shifted route needs a person.',
      ResultSelector: rollbackResult,
      ResultPath: '$.rollback',
      Catch: [caught(['States.ALL'], 'DescribeRollbackFailure', '$.rollbackError')],
      Next: 'RolledBack',
    },
    RolledBack: { Type: 'Fail', Error: 'CanaryRolledBack', CausePath: '$.rollback.summary' },
    DescribeRollbackFailure: {
      Type: 'Pass',
      Parameters: {
        'cause.$': "States.Format('The rollback failed after every retry, so the route may not be at its snapshot and needs a person. Why the rollback started: {}. Why it failed: {}', $.error.Cause, $.rollbackError.Cause)",
      },
      ResultPath: '$.rollbackFailure',
      Next: 'RollbackFailed',
    },
    RollbackFailed: { Type: 'Fail', Error: 'RollbackFailed', CausePath: '$.rollbackFailure.cause' },
    OnDrift: {
      Type: 'Choice',
      Comment: 'Someone changed the weights by hand: by default mesh-canary does not fight them.',
      Choices: [{ Variable: '$.deployment.onDrift', StringEquals: 'rollback', Next: 'Rollback' }],
      Default: 'HaltOnDrift',
    },
    HaltOnDrift: {
      ...rollbackTask({ leaveRoute: true }),
      Comment: "Releases the route's lock and leaves the route as the person set it.",
      ResultSelector: rollbackResult,
      ResultPath: '$.rollback',
      Catch: [caught(['States.ALL'], 'DriftHaltedLockHeld', '$.rollbackError')],
      Next: 'DriftHalted',
    },
    DriftHalted: { Type: 'Fail', Error: 'RouteDriftDetected', CausePath: '$.rollback.summary' },
    DriftHaltedLockHeld: {
      Type: 'Fail',
      Error: 'RouteDriftDetected',
      Cause: "Someone changed the route's weights by hand, so the deployment stopped and left them as they are (onDrift: halt). Releasing the route's deployment lock failed; it expires at its TTL.",
    },
    ReleaseRoute: {
      ...rollbackTask({ refused: true }),
      Comment: "Refused before any change: releases the route's lock (the route is neither read nor written) and says why, readably.",
      ResultSelector: { 'summary.$': '$.Payload.summary' },
      ResultPath: '$.refusal',
      Catch: [caught(['States.ALL'], 'RefusedLockHeld', '$.releaseError')],
      Next: 'Refused',
    },
    Refused: {
      Type: 'Fail',
      Comment: "Ends with the refusal's own error (BaselineUnhealthy, HealthCheckMisconfigured, ...): nothing was shifted, so nothing was rolled back.",
      ErrorPath: '$.error.Error',
      CausePath: '$.refusal.summary',
    },
    RefusedLockHeld: {
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      Cause: "Refused before any change: the route was not touched. Releasing the route's deployment lock failed after every retry; the abort guard releases it, or it expires at its TTL.",
    },
  };
  return { Comment: `mesh-canary ${machine}: ${purpose[machine]}`, StartAt: 'Prepare' satisfies StateName, States: inFieldOrder(States) };
}

// ---------------------------------------------------------------- the files

/** Each state's fields in one order, whatever order the source spreads them in: Type and Comment first, the transition last. */
const fieldOrder = ['Type', 'Comment', 'Resource', 'Parameters', 'Branches', 'Choices', 'SecondsPath', 'TimeoutSeconds', 'TimeoutSecondsPath',
  'ResultSelector', 'ResultPath', 'Retry', 'Catch', 'Error', 'ErrorPath', 'Cause', 'CausePath', 'Next', 'Default', 'End'];

function inFieldOrder(states: States): States {
  return Object.fromEntries(Object.entries(states).map(([name, state]) => {
    const unknown = Object.keys(state).filter((field) => !fieldOrder.includes(field));
    if (unknown.length) throw new Error(`state ${name}: field ${unknown.join(', ')} is not in fieldOrder`);
    const ordered = Object.fromEntries(fieldOrder.filter((field) => field in state).map((field) => [field, state[field]])) as State;
    if (state.Branches) ordered.Branches = state.Branches.map((b) => ({ StartAt: b.StartAt, States: inFieldOrder(b.States) }));
    return [name, ordered];
  }));
}

export const definitionFile = (machine: Machine) => `statemachines/${machine}.asl.json`;

/** The file's text: two-space JSON and a final newline. */
export const render = (machine: Machine) => `${JSON.stringify(definition(machine), null, 2)}\n`;

/** The definitions under `root` that are missing or differ from this script's output, each with what to do. */
export function staleDefinitions(root: string): string[] {
  return machines.filter((m) => {
    const path = join(root, definitionFile(m));
    return !existsSync(path) || readFileSync(path, 'utf8') !== render(m);
  }).map((m) => `${definitionFile(m)} is not what scripts/statemachines.ts generates: run \`npm run statemachines\` and commit the result`);
}

export const usage = `Usage: npm run statemachines [-- --check]
Writes statemachines/{${machines.join(',')}}.asl.json from scripts/statemachines.ts.
  --check   write nothing; exit 1 if a committed definition differs from the generated one`;

export interface Output { out: (line: string) => void; err: (line: string) => void }

/** The command, for the definitions under `root`: returns its exit code (0, 1 when --check finds a stale file, 2 for usage errors). */
export function run(args: string[], root: string, io: Output): number {
  if (args.some((a) => a === '--help' || a === '-h')) {
    io.out(usage);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    io.err(`statemachines: unknown argument ${unknown[0]}\n${usage}`);
    return 2;
  }
  if (args.includes('--check')) {
    const stale = staleDefinitions(root);
    for (const line of stale) io.err(line);
    if (!stale.length) io.out(`statemachines: the ${machines.length} definitions are the generator's output`);
    return stale.length ? 1 : 0;
  }
  for (const m of machines) {
    writeFileSync(join(root, definitionFile(m)), render(m));
    io.out(`wrote ${definitionFile(m)}`);
  }
  return 0;
}

if (import.meta.main) {
  process.exitCode = run(process.argv.slice(2), resolve(import.meta.dirname, '..'), { out: console.log, err: console.error });
}
