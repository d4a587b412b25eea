// What each Lambda function receives, as zod schemas, and a parser per function that returns the
// typed event or throws InvalidInput naming every bad field ("event.weight must be an integer
// from 0 to 100 (got 101)"). The deployment a step receives is named on its own ("deployment.route"),
// the event's other fields as "event.<field>". Pure: zod only, no AWS SDK.
// A schema that only some functions use is built in a /* @__PURE__ */ call, so the bundles of
// the others leave it out (a plain top-level call could have side effects, as far as esbuild knows).
import * as z from 'zod/mini';
import { byBackend, deployment, isReleaseTargets, MAX_ROUTES, namesRelease, parseDeployment, parseDeploymentInput, strategyTypes, type Deployment, type DeploymentInput, type StrategyType } from './input.ts';
import { appMeshRoute, weightedTargets, type AppMeshRouteRef } from './routers/appmesh/schema.ts';
import type { LatticeRouteRef } from './routers/lattice/reference.ts';
import { latticeRoute, targetGroups } from './routers/lattice/schema.ts';
import type { Progress } from './strategy.ts';
import { array, integer, isObject, object, oneOf, picked, present, rule, text, validate, type Naming } from './validate.ts';

const naming: Naming = { whole: 'event', bare: ['deployment'] };
const executionId = text(2048);
const anything = z.optional(z.unknown());

// ------------------------------------------------------------------ prepare
export const prepareEvent = /* @__PURE__ */ (() => object({
  input: present('pass the deployment input as {"input": {...}}'),
  executionId: z.optional(executionId),
  /** The state machine running it passes its own type: the input's strategy must match. */
  machine: z.optional(oneOf(strategyTypes)),
}))();
export interface PrepareEvent {
  input: DeploymentInput;
  executionId?: string;
  machine?: StrategyType;
}

/** The event first; its input only once the event is right (the machine decides what the input needs). */
export function parsePrepareEvent(event: unknown): PrepareEvent {
  const e = validate(prepareEvent, event, naming);
  return { ...e, input: parseDeploymentInput(e.input, e.machine) };
}

// ------------------------------------------------------------------ set-weight and promote
/**
 * The targets this deployment last wrote, in its backend's format: App Mesh's weightedTargets
 * ({virtualNode, weight, port?}) or VPC Lattice's target groups ({targetGroupIdentifier, weight}).
 */
const oneRouteTargets = () => byBackend(weightedTargets, targetGroups, (v) => Array.isArray(v) && isObject(v[0]) && 'targetGroupIdentifier' in v[0]);
/** A release's: every route's, in route order (ReleaseTargets: {route, weightedTargets} each). */
const releaseTargets = () => array(object({ route: text(2048), weightedTargets: oneRouteTargets() }), 1, MAX_ROUTES);
const expected = () => z.optional(picked(isReleaseTargets, releaseTargets(), oneRouteTargets()));

export const setWeightEvent = /* @__PURE__ */ (() => object({
  deployment,
  weight: integer(0, 100),
  /** The targets this deployment last wrote: another writer's change is drift. */
  expected: expected(),
}))();
export type SetWeightEvent = { deployment: Deployment; weight: number; expected?: unknown[] };
export const parseSetWeightEvent = (event: unknown): SetWeightEvent => validate(setWeightEvent, event, naming) as SetWeightEvent;

export const promoteEvent = /* @__PURE__ */ (() => object({ deployment, expected: expected() }))();
export type PromoteEvent = { deployment: Deployment; expected?: unknown[] };
export const parsePromoteEvent = (event: unknown): PromoteEvent => validate(promoteEvent, event, naming) as PromoteEvent;

// ------------------------------------------------------------------ rollback
const rollbackShape = () => ({
  deployment,
  /** Why: a string, or a Step Functions error {Error, Cause}. */
  reason: anything,
  /** After drift with onDrift "halt": release the lock, leave the route as someone else set it. */
  leaveRoute: z.optional(z.boolean({ error: 'true or false' })),
  /** Stopped before any change: release the lock, never read or write the route. */
  refused: z.optional(z.boolean({ error: 'true or false' })),
});
export const rollbackEvent = /* @__PURE__ */ (() => object({ ...rollbackShape(), releaseLock: anything }).check(rule((e) => [
  e.leaveRoute === true && e.refused === true && ((at) => `${at('leaveRoute')} and ${at('refused')} cannot both be true`),
])))();

const routeRef = () => byBackend(appMeshRoute, latticeRoute, (r) => isObject(r) && ('service' in r || 'listener' in r));

/** Releases the route's lock if that execution holds it (an execution stopped during its prepare step has no deployment). */
export const releaseLockEvent = /* @__PURE__ */ (() => object({
  ...rollbackShape(),
  deployment: anything,
  // One route {route, executionId}, or a release's {routes: [{route}, ...], executionId}: picked by its shape.
  releaseLock: picked(namesRelease,
    object({ routes: array(object({ route: routeRef() }), 1, MAX_ROUTES), executionId }),
    object({ route: routeRef(), executionId })),
}).check(rule((e) => (['deployment', 'reason', 'leaveRoute', 'refused'] as const)
  .map((k) => e[k] !== undefined && ((at) => `${at(k)} cannot go with ${at('releaseLock')}`)))))();

export type RollbackEvent =
  | { deployment: Deployment; reason?: unknown; leaveRoute?: boolean; refused?: boolean }
  | { releaseLock: { route: AppMeshRouteRef | LatticeRouteRef; executionId: string } | { routes: { route: AppMeshRouteRef | LatticeRouteRef }[]; executionId: string } };

export function parseRollbackEvent(event: unknown): RollbackEvent {
  if (isObject(event) && event.releaseLock !== undefined) {
    // "event.deployment cannot go with event.releaseLock": here the deployment is only a field of the event.
    const { releaseLock } = validate(releaseLockEvent, event, { whole: 'event' });
    return { releaseLock } as RollbackEvent;
  }
  const { releaseLock: _, ...e } = validate(rollbackEvent, event, naming);
  return e as RollbackEvent;
}

// ------------------------------------------------------------------ check-health
export const progress = /* @__PURE__ */ (() => object({
  stage: integer(-1, 1000),
  weight: integer(0, 100),
  passes: integer(0, Number.MAX_SAFE_INTEGER),
  consecutiveFailures: integer(0, Number.MAX_SAFE_INTEGER),
  checks: integer(0, Number.MAX_SAFE_INTEGER),
  // What the gate wrote last time: read by nobody before the gate writes them anew.
  decision: anything,
  nextWeight: anything,
  waitSeconds: anything,
  reason: anything,
  traffic: anything, // strategy.ts TrafficProgress: only the gate reads it, and writes it anew
  history: z.array(z.unknown(), { error: 'an array' }),
}))();

export const checkHealthEvent = /* @__PURE__ */ (() => object({ deployment, progress: z.optional(progress) }).check(rule((e) => [
  e.progress !== undefined && isObject(e.deployment) && e.deployment.strategy === undefined
    && ((at) => `${at('deployment', 'strategy')} is missing: a verdict with progress needs the strategy to decide what comes next`),
  // Only about a deployment that is otherwise right.
], (issues) => !issues.some((i) => i.path?.[0] === 'deployment'))))();
export interface CheckHealthEvent {
  deployment: Deployment;
  /** The progress the state machine carries: with it, the result says what comes next. */
  progress?: Progress;
}
export const parseCheckHealthEvent = (event: unknown): CheckHealthEvent => validate(checkHealthEvent, event, naming) as CheckHealthEvent;

// ------------------------------------------------------------------ request-approval
export const requestApprovalEvent = /* @__PURE__ */ (() => object({
  deployment,
  /** A credential: it goes into the approver's message and nowhere else. */
  taskToken: text(8192),
  weight: z.optional(integer(0, 100)),
}))();
export type RequestApprovalEvent = z.infer<typeof requestApprovalEvent>;
export const parseRequestApprovalEvent = (event: unknown): RequestApprovalEvent => validate(requestApprovalEvent, event, naming);

// ------------------------------------------------------------------ guard
/** The fields every EventBridge event has: not checked (the detail and the source are what a function reads). */
const envelope = {
  version: anything, id: anything, 'detail-type': anything, source: anything, account: anything, time: anything, region: anything, resources: anything,
};
/** The "Step Functions Execution Status Change" event EventBridge sends (events/guard-aborted.json). */
export const executionStatusChange = /* @__PURE__ */ (() => object({
  ...envelope,
  // The detail's other fields may grow: only the two the guard needs are checked.
  detail: z.looseObject({ executionArn: text(2048), status: text(64) }, { error: 'an object' }),
}).check(rule((e) => [
  (e.source !== 'aws.states' || e['detail-type'] !== 'Step Functions Execution Status Change')
    && ((at) => `${at()} must be a "Step Functions Execution Status Change" event from aws.states`),
])))();
export type ExecutionStatusChange = z.infer<typeof executionStatusChange>;
export const parseGuardEvent = (event: unknown): ExecutionStatusChange => validate(executionStatusChange, event, naming);

/** The deployment the guard reads back from an execution's history. */
export const parsePreparedDeployment = (value: unknown): Deployment => parseDeployment(value, 'the Prepare state\'s deployment');


// ------------------------------------------------------------------ alarm
/** The "CloudWatch Alarm State Change" event EventBridge sends (events/alarm-state-change.json). */
export const alarmStateChange = /* @__PURE__ */ (() => object({
  ...envelope,
  // The detail's other fields (previousState, configuration, ...) may grow: only what the alarm path reads is checked.
  detail: z.looseObject({
    alarmName: text(255),
    state: z.looseObject({ value: text(64), reason: z.optional(z.string()), timestamp: z.optional(z.string()) }, { error: 'an object' }),
  }, { error: 'an object' }),
}).check(rule((e) => [
  (e.source !== 'aws.cloudwatch' || e['detail-type'] !== 'CloudWatch Alarm State Change')
    && ((at) => `${at()} must be a "CloudWatch Alarm State Change" event from aws.cloudwatch`),
])))();
export type AlarmStateChange = z.infer<typeof alarmStateChange>;
export const parseAlarmEvent = (event: unknown): AlarmStateChange => validate(alarmStateChange, event, naming);
