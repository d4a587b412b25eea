// The deployment input: what a user asks for, as one zod schema. The TypeScript types are
// inferred from it, the prepare step validates with it, and schema/deployment-input.schema.json
// (what users' editors read) is generated from it and from `jsonSchemaDocs` below (`npm run schema`).
// Pure: zod only, no AWS SDK.
// A schema that only some functions use is built in a /* @__PURE__ */ call, so the bundles of
// the others leave it out (a plain top-level call could have side effects, as far as esbuild knows).
import * as z from 'zod/mini';
import { appMeshName, appMeshRoute, appMeshSnapshot, NAME_PATTERN } from './routers/appmesh/schema.ts';
import { array, bool, finite, integer, isObject, object, oneOf, rule, text, validate, type Naming, type Problem } from './validate.ts';

/** Limits on the strategy's numbers: a Standard execution lasts at most a year. */
export const limits = {
  intervalSeconds: 86_400,
  bakeSeconds: 7 * 86_400,
  checkIntervalSeconds: 86_400,
  approvalTimeoutSeconds: 30 * 86_400,
  failureThreshold: 100,
};

/** A health verdict this often while a strategy bakes or waits for approval, unless it says otherwise. */
export const DEFAULT_CHECK_INTERVAL = 60;

const percent = () => integer(1, 100);
const checkInterval = () => z.optional(integer(1, limits.checkIntervalSeconds));

const linear = object({
  type: z.literal('linear'),
  stepPercent: percent(),
  intervalSeconds: integer(0, limits.intervalSeconds),
});

const stepThenAll = object({
  type: z.literal('step-then-all'),
  canaryPercent: percent(),
  bakeSeconds: integer(0, limits.bakeSeconds),
  checkIntervalSeconds: checkInterval(),
});

const manualApproval = object({
  type: z.literal('manual-approval'),
  canaryPercent: percent(),
  approvalTimeoutSeconds: integer(1, limits.approvalTimeoutSeconds),
  onApprovalTimeout: z.optional(oneOf(['rollback', 'promote'])),
  checkIntervalSeconds: checkInterval(),
});

export const strategyTypes = ['linear', 'step-then-all', 'manual-approval'] as const;
export type StrategyType = (typeof strategyTypes)[number];

/** How traffic moves. Which fields a strategy has depends on its type; an unknown type is the only problem reported. */
export const strategy = z.discriminatedUnion('type', [linear, stepThenAll, manualApproval], {
  error: (iss) => (iss.code === 'invalid_union' ? `one of ${strategyTypes.join(', ')}` : 'an object'),
});
export type Strategy = z.infer<typeof strategy>;
// Every type listed is one the union knows (test/unit/input-contract.test.ts checks the converse).
strategyTypes satisfies readonly Strategy['type'][];

// ---- Propagation-aware verdicts (issue 10): the settle time after each shift.
/** At most an hour: no backend documents a slower weight change, and the lock's expiry grows with it per stage. */
export const MAX_SETTLE_SECONDS = 3600;
const settleShape = {
  settleSeconds: z.optional(integer(0, MAX_SETTLE_SECONDS)),
};
const settleDocs: Record<string, Record<string, unknown>> = {
  settleSeconds: {
    description: 'Seconds a weight change takes to reach traffic: after each shift the first verdict waits at least this long, '
      + 'so it judges the new split. Default from the route\'s backend: 0 on App Mesh, 90 on VPC Lattice.',
  },
};
// ---- end of the settle block

export const comparisons = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export const plainStatistics = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'] as const;
const PERCENTILE = /^p(100|[1-9][0-9]?(\.[0-9]{1,2})?)$/;
const statistic = `one of ${plainStatistics.join(', ')} or a percentile such as p99`;
const dimensions = 'an object of at most 30 name: value strings';

const text255 = text(255);

export const metricCheck = object({
  // Its own copy of text255: the JSON Schema describes this field alone.
  name: text255.check(),
  namespace: text255,
  metricName: text255,
  dimensions: z.optional(z.record(
    z.string({ error: 'keyed by names of 1-255 characters' }).check(z.minLength(1), z.maxLength(255)),
    text(1024),
    { error: dimensions },
  ).check(z.refine((d) => Object.keys(d).length <= 30, { error: dimensions }))),
  statistic: z.union([z.enum(plainStatistics, { error: statistic }), z.string({ error: statistic }).check(z.regex(PERCENTILE))], { error: statistic }),
  windowSeconds: integer(60, 86_400, z.multipleOf(60, { error: 'a multiple of 60' })),
  comparison: oneOf(comparisons),
  threshold: finite(),
  minSampleCount: z.optional(integer(1, 1_000_000_000)),
});
export type MetricCheck = z.infer<typeof metricCheck>;
export type Comparison = MetricCheck['comparison'];

const alarms = object({
  names: z.optional(array(text255, 1, 100).check(
    z.refine((names) => new Set(names).size === names.length, { params: { problem: ((at) => `${at()} lists an alarm twice`) satisfies Problem } }),
  )),
  prefix: z.optional(text255),
}).check(z.refine((a) => a.names !== undefined || a.prefix !== undefined, { error: 'given names, a prefix, or both' }));

// ---- Request error rate of a VPC Lattice target group (issue 10).
/**
 * A target group as Lattice's API names it: its ID, or its ARN (the check reads the ID from it).
 * Private to this block: once the Lattice router lands, its schema (latticeTargetGroup) can replace it.
 */
const tgIdOrArn = /^(?:tg-[0-9a-z]{17}|arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:\d{12}:targetgroup\/tg-[0-9a-z]{17})$/;
const targetGroupWords = 'a VPC Lattice target group ID (tg- and 17 lowercase letters or digits) or its ARN';

export const errorRateCheck = object({
  name: text255.check(),
  targetGroup: z.string({ error: targetGroupWords }).check(z.regex(tgIdOrArn, { error: targetGroupWords })),
  maxErrorPercent: finite().check(z.gte(0, { error: 'a number from 0 to 100' }), z.lte(100, { error: 'a number from 0 to 100' })),
  windowSeconds: integer(60, 86_400, z.multipleOf(60, { error: 'a multiple of 60' })),
  minRequests: z.optional(integer(1, 1_000_000_000)),
});
export type ErrorRateCheck = z.infer<typeof errorRateCheck>;

const errorRateDocs: Record<string, Record<string, unknown>> = {
  'healthChecks.errorRates': { description: 'Request error rates of VPC Lattice target groups, from AWS/VpcLattice metrics; each check has its own name.' },
  'healthChecks.errorRates[]': {
    id: 'errorRateCheck',
    description: "Fails when the target group's 5xx responses are more than maxErrorPercent of its requests over the window; "
      + 'inconclusive below minRequests requests. Two plain metric queries (5xx count and request count, Sum), no metric math.',
  },
  'healthChecks.errorRates[].name': { description: 'How the check is named in verdicts and logs.' },
  'healthChecks.errorRates[].targetGroup': { description: 'The target group to judge (usually the canary\'s): its ID or ARN.' },
  'healthChecks.errorRates[].maxErrorPercent': { description: 'The check fails when 5xx responses are more than this percent of the requests.' },
  'healthChecks.errorRates[].windowSeconds': { description: 'Look back this many seconds (a multiple of 60).' },
  'healthChecks.errorRates[].minRequests': { description: 'Below this many requests in the window the check is inconclusive, not passing (default 1).' },
};
// ---- end of the error-rate block

/** Each list of checks names its checks uniquely (looked at even when a check is malformed, as the other rules are). */
const uniqueNames = (list: unknown, field: string): false | Problem => Array.isArray(list) && list.length <= 20
  && new Set(list.map((m) => m?.name)).size !== list.length && ((at) => `${at(field)}: each check needs its own name`);

export const healthChecks = object({
  alarms: z.optional(alarms),
  metrics: z.optional(array(metricCheck, 0, 20)),
  errorRates: z.optional(array(errorRateCheck, 0, 20)),
}).check(rule(({ metrics, errorRates }) => [uniqueNames(metrics, 'metrics'), uniqueNames(errorRates, 'errorRates')]));
export type HealthChecks = z.infer<typeof healthChecks>;

const inputShape = {
  route: appMeshRoute,
  // Copies of appMeshName, so the JSON Schema describes each on its own.
  stableNode: appMeshName.check(),
  canaryNode: appMeshName.check(),
  strategy: z.optional(strategy),
  healthChecks: z.optional(healthChecks),
  failureThreshold: z.optional(integer(1, limits.failureThreshold)),
  inconclusive: z.optional(oneOf(['fail', 'pass'])),
  onDrift: z.optional(oneOf(['halt', 'rollback'])),
  keepStableTarget: z.optional(bool()),
  ...settleShape,
};

/** canaryNode differs from stableNode (when both are names at all). */
const canaryIsNotStable = rule((d) => [
  typeof d.stableNode === 'string' && NAME_PATTERN.test(d.stableNode) && d.stableNode === d.canaryNode
    && ((at) => `${at('canaryNode')} must differ from ${at('stableNode')} (both are ${d.stableNode})`),
]);

/** What a user asks for. The strategy may be left out when no state machine runs it (the prepare step by hand). */
export const deploymentInput = /* @__PURE__ */ (() => object(inputShape).check(canaryIsNotStable))();
export type DeploymentInput = z.infer<typeof deploymentInput>;

/** A state machine's input: a strategy is required. The JSON Schema users' editors read is made from this. */
export const executionInput = /* @__PURE__ */ (() => object({ ...inputShape, strategy }).check(canaryIsNotStable))();

/** The deployment object: the input plus what the prepare step recorded (the snapshot). It travels from state to state. */
export const deployment = object({
  ...inputShape,
  executionId: z.optional(text(2048)),
  snapshot: appMeshSnapshot,
}).check(canaryIsNotStable);
export type Deployment = z.infer<typeof deployment>;

/**
 * What users' editors show (titles, descriptions), the names of the shared $defs, and the JSON
 * Schema words for the rules the schema above checks in code (a refinement has no JSON Schema).
 * Keyed by field path in executionInput: "a.b", "list[]" for its items, "strategy(linear)" for a
 * strategy type. Only the generator (scripts/schema.ts) reads this, so no function bundle carries
 * it; it fails on a path that names no field, and a unit test compares its output with the
 * committed file.
 */
// Built in a /* @__PURE__ */ call: a spread in a plain literal could run getters, as far as esbuild knows, and keep it in every bundle.
export const jsonSchemaDocs: Record<string, Record<string, unknown>> = /* @__PURE__ */ (() => ({
  '': {
    title: 'mesh-canary deployment input',
    description: 'The input of a mesh-canary state machine execution. The prepare step validates it with the same rules '
      + '(and three this schema cannot say: canaryNode differs from stableNode, each metric check has its own name, and '
      + 'strategy.type names the machine that runs it) before anything changes.',
  },
  route: { description: 'The App Mesh route whose weighted targets move.' },
  'route.meshName': { id: 'name', description: 'An App Mesh name: 1-255 letters, digits, . _ or -, starting with a letter or digit.' },
  'route.meshOwner': { description: 'Account that owns a mesh shared through AWS RAM.' },
  stableNode: { description: 'The virtual node serving now; a weighted target of the route.' },
  canaryNode: { description: 'The new virtual node; added to the route when missing.' },
  strategy: { description: 'How traffic moves from the stable to the canary.' },
  'strategy(linear)': { title: 'linear', description: 'The canary gains stepPercent of the traffic at each step, one healthy verdict per step.' },
  'strategy(linear).stepPercent': { description: 'Percent of the stable+canary traffic added per step; the last step ends at 100.' },
  'strategy(linear).intervalSeconds': { description: 'Seconds between a step and the verdict that lets the next one happen.' },
  'strategy(step-then-all)': { title: 'step-then-all', description: 'The canary takes canaryPercent, bakes, then takes all the traffic.' },
  'strategy(step-then-all).canaryPercent': { description: 'The canary\'s share of the stable+canary traffic while it bakes.' },
  'strategy(step-then-all).bakeSeconds': { description: 'How long the canary bakes at canaryPercent before it takes all the traffic.' },
  'strategy(step-then-all).checkIntervalSeconds': { description: 'A health verdict this often during the bake (default 60).' },
  'strategy(manual-approval)': { title: 'manual-approval', description: 'The canary takes canaryPercent and waits until someone approves (promote) or rejects (rollback).' },
  'strategy(manual-approval).canaryPercent': { description: 'The canary\'s share of the stable+canary traffic while it waits for approval.' },
  'strategy(manual-approval).approvalTimeoutSeconds': { description: 'How long to wait for someone to approve or reject.' },
  'strategy(manual-approval).onApprovalTimeout': { description: 'What happens when nobody answers in time (default rollback).' },
  'strategy(manual-approval).checkIntervalSeconds': { description: 'A health verdict this often while waiting (default 60).' },
  healthChecks: { description: 'What decides whether the canary is healthy.' },
  'healthChecks.alarms': {
    description: 'CloudWatch alarms: ALARM fails the canary, INSUFFICIENT_DATA is inconclusive.',
    anyOf: [{ required: ['names'] }, { required: ['prefix'] }],
  },
  'healthChecks.alarms.names': { uniqueItems: true },
  'healthChecks.alarms.names[]': { id: 'text255' },
  'healthChecks.metrics[]': {
    id: 'metricCheck',
    description: 'Fails when `statistic comparison threshold` holds over the window; inconclusive below minSampleCount samples.',
  },
  'healthChecks.metrics[].name': { description: 'How the check is named in verdicts and logs.' },
  'healthChecks.metrics[].dimensions': { maxProperties: 30 },
  'healthChecks.metrics[].statistic': { description: 'Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99.' },
  'healthChecks.metrics[].windowSeconds': { description: 'Look back this many seconds (a multiple of 60).' },
  'healthChecks.metrics[].comparison': { description: 'The check fails when `statistic comparison threshold` holds, as a CloudWatch alarm would.' },
  'healthChecks.metrics[].minSampleCount': { description: 'Below this many samples in the window the check is inconclusive, not passing (default 1).' },
  failureThreshold: { description: 'Consecutive failing verdicts that roll back (default 1: the first).' },
  inconclusive: { description: 'How an inconclusive verdict counts (default fail).' },
  onDrift: { description: 'When someone else changes the stable or canary weight mid-deployment: halt and leave the route as they set it (default), or roll back to the snapshot.' },
  keepStableTarget: { description: 'Keep the old stable at weight 0 after promotion (default false: remove it).' },
  ...settleDocs,
  ...errorRateDocs,
}))();

const inputNaming: Naming = { whole: 'input', prefix: '' };

/**
 * Validates what a user asks for. Throws InvalidInput naming every bad field. With `machine`
 * (the state machine running it), a strategy of that type is required.
 */
export function parseDeploymentInput(value: unknown, machine?: StrategyType): DeploymentInput {
  return validate(deploymentInput, value, inputNaming, (problems) => {
    if (!machine || !isObject(value)) return;
    const type = (value.strategy as { type?: unknown } | undefined)?.type;
    if (value.strategy === undefined) {
      problems.push(`strategy is missing: the ${machine} state machine needs {"type": "${machine}", ...}`);
    } else if (typeof type === 'string' && (strategyTypes as readonly string[]).includes(type) && type !== machine) {
      problems.push(`strategy.type is "${type}" but this is the ${machine} state machine: start the ${type} one instead`);
    }
  });
}

/** Validates a prepared deployment (input + snapshot), as set-weight, promote and rollback receive it. */
export function parseDeployment(value: unknown, whole = 'deployment'): Deployment {
  return validate(deployment, value, { whole });
}

/** The input with every default written out, so the state machines can rely on each field. */
export function withDefaults(input: DeploymentInput): DeploymentInput {
  const out: DeploymentInput = { failureThreshold: 1, inconclusive: 'fail', onDrift: 'halt', keepStableTarget: false, ...input };
  const s = input.strategy;
  if (s?.type === 'step-then-all') out.strategy = { checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  if (s?.type === 'manual-approval') out.strategy = { onApprovalTimeout: 'rollback', checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  return out;
}
