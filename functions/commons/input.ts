// The deployment input: what a user asks for, as one zod schema. The TypeScript types are
// inferred from it, the prepare step validates with it, and schema/deployment-input.schema.json
// (what users' editors read) is generated from it (`npm run schema`).
// Pure: zod only, no AWS SDK.
import * as z from 'zod/mini';
import { appMeshRoute, appMeshSnapshot, NAME_PATTERN, virtualNodeName } from './routers/appmesh/schema.ts';
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

const percent = integer(1, 100);
const checkInterval = (while_: string) => z.optional(integer(1, limits.checkIntervalSeconds)
  .check(z.describe(`A health verdict this often ${while_} (default ${DEFAULT_CHECK_INTERVAL}).`)));

const linear = object({
  type: z.literal('linear'),
  stepPercent: percent.check(z.describe('Percent of the stable+canary traffic added per step; the last step ends at 100.')),
  intervalSeconds: integer(0, limits.intervalSeconds).check(z.describe('Seconds between a step and the verdict that lets the next one happen.')),
}).check(z.meta({ title: 'linear', description: 'The canary gains stepPercent of the traffic at each step, one healthy verdict per step.' }));

const stepThenAll = object({
  type: z.literal('step-then-all'),
  canaryPercent: percent.check(z.describe('The canary\'s share of the stable+canary traffic while it bakes.')),
  bakeSeconds: integer(0, limits.bakeSeconds).check(z.describe('How long the canary bakes at canaryPercent before it takes all the traffic.')),
  checkIntervalSeconds: checkInterval('during the bake'),
}).check(z.meta({ title: 'step-then-all', description: 'The canary takes canaryPercent, bakes, then takes all the traffic.' }));

const manualApproval = object({
  type: z.literal('manual-approval'),
  canaryPercent: percent.check(z.describe('The canary\'s share of the stable+canary traffic while it waits for approval.')),
  approvalTimeoutSeconds: integer(1, limits.approvalTimeoutSeconds).check(z.describe('How long to wait for someone to approve or reject.')),
  onApprovalTimeout: z.optional(oneOf(['rollback', 'promote']).check(z.describe('What happens when nobody answers in time (default rollback).'))),
  checkIntervalSeconds: checkInterval('while waiting'),
}).check(z.meta({ title: 'manual-approval', description: 'The canary takes canaryPercent and waits until someone approves (promote) or rejects (rollback).' }));

export const strategyTypes = ['linear', 'step-then-all', 'manual-approval'] as const;
export type StrategyType = (typeof strategyTypes)[number];

/** How traffic moves. Which fields a strategy has depends on its type; an unknown type is the only problem reported. */
export const strategy = z.discriminatedUnion('type', [linear, stepThenAll, manualApproval], {
  error: (iss) => (iss.code === 'invalid_union' ? `one of ${strategyTypes.join(', ')}` : 'an object'),
}).check(z.describe('How traffic moves from the stable to the canary.'));
export type Strategy = z.infer<typeof strategy>;
// Every type listed is one the union knows (test/unit/input-contract.test.ts checks the converse).
strategyTypes satisfies readonly Strategy['type'][];

export const comparisons = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
export const plainStatistics = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'] as const;
const PERCENTILE = /^p(100|[1-9][0-9]?(\.[0-9]{1,2})?)$/;
const statistic = `one of ${plainStatistics.join(', ')} or a percentile such as p99`;

const text255 = text(255).register(z.globalRegistry, { id: 'text255' });

export const metricCheck = object({
  name: text255.check(z.describe('How the check is named in verdicts and logs.')),
  namespace: text255,
  metricName: text255,
  dimensions: z.optional(z.record(
    z.string({ error: 'keyed by names of 1-255 characters' }).check(z.minLength(1), z.maxLength(255)),
    text(1024),
    { error: 'an object of at most 30 name: value strings' },
  ).check(
    z.refine((d) => Object.keys(d).length <= 30, { error: 'an object of at most 30 name: value strings' }),
    z.meta({ maxProperties: 30 }),
  )),
  statistic: z.union([z.enum(plainStatistics, { error: statistic }), z.string({ error: statistic }).check(z.regex(PERCENTILE))], { error: statistic })
    .check(z.describe('Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99.')),
  windowSeconds: integer(60, 86_400).check(
    z.multipleOf(60, { error: 'a multiple of 60' }),
    z.describe('Look back this many seconds (a multiple of 60).'),
  ),
  comparison: oneOf(comparisons).check(z.describe('The check fails when `statistic comparison threshold` holds, as a CloudWatch alarm would.')),
  threshold: finite(),
  minSampleCount: z.optional(integer(1, 1_000_000_000)
    .check(z.describe('Below this many samples in the window the check is inconclusive, not passing (default 1).'))),
}).register(z.globalRegistry, {
  id: 'metricCheck',
  description: 'Fails when `statistic comparison threshold` holds over the window; inconclusive below minSampleCount samples.',
});
export type MetricCheck = z.infer<typeof metricCheck>;
export type Comparison = MetricCheck['comparison'];

const alarms = object({
  names: z.optional(array(text255, 1, 100).check(
    z.refine((names) => new Set(names).size === names.length, { params: { problem: ((at) => `${at()} lists an alarm twice`) satisfies Problem } }),
    z.meta({ uniqueItems: true }),
  )),
  prefix: z.optional(text255),
}).check(
  z.refine((a) => a.names !== undefined || a.prefix !== undefined, { error: 'given names, a prefix, or both' }),
  z.meta({
    anyOf: [{ required: ['names'] }, { required: ['prefix'] }],
    description: 'CloudWatch alarms: ALARM fails the canary, INSUFFICIENT_DATA is inconclusive.',
  }),
);

export const healthChecks = object({
  alarms: z.optional(alarms),
  metrics: z.optional(array(metricCheck, 0, 20)),
}).check(
  // Looked at even when a check is malformed, as the other rules are.
  rule(({ metrics }) => [
    Array.isArray(metrics) && metrics.length <= 20 && new Set(metrics.map((m) => m?.name)).size !== metrics.length
      && ((at) => `${at('metrics')}: each check needs its own name`),
  ]),
  z.describe('What decides whether the canary is healthy.'),
);
export type HealthChecks = z.infer<typeof healthChecks>;

const inputShape = {
  route: appMeshRoute,
  stableNode: virtualNodeName.check(z.describe('The virtual node serving now; a weighted target of the route.')),
  canaryNode: virtualNodeName.check(z.describe('The new virtual node; added to the route when missing.')),
  strategy: z.optional(strategy),
  healthChecks: z.optional(healthChecks),
  failureThreshold: z.optional(integer(1, limits.failureThreshold).check(z.describe('Consecutive failing verdicts that roll back (default 1: the first).'))),
  inconclusive: z.optional(oneOf(['fail', 'pass']).check(z.describe('How an inconclusive verdict counts (default fail).'))),
  onDrift: z.optional(oneOf(['halt', 'rollback']).check(z.describe(
    'When someone else changes the stable or canary weight mid-deployment: halt and leave the route as they set it (default), or roll back to the snapshot.'))),
  keepStableTarget: z.optional(bool().check(z.describe('Keep the old stable at weight 0 after promotion (default false: remove it).'))),
};

/** canaryNode differs from stableNode (when both are names at all). */
const canaryIsNotStable = rule((d) => [
  typeof d.stableNode === 'string' && NAME_PATTERN.test(d.stableNode) && d.stableNode === d.canaryNode
    && ((at) => `${at('canaryNode')} must differ from ${at('stableNode')} (both are ${d.stableNode})`),
]);

/** What a user asks for. The strategy may be left out when no state machine runs it (the prepare step by hand). */
export const deploymentInput = object(inputShape).check(canaryIsNotStable);
export type DeploymentInput = z.infer<typeof deploymentInput>;

/** A state machine's input: a strategy is required. The JSON Schema users' editors read is made from this. */
export const executionInput = object({ ...inputShape, strategy }).check(canaryIsNotStable, z.meta({
  title: 'mesh-canary deployment input',
  description: 'The input of a mesh-canary state machine execution. The prepare step validates it with the same rules '
    + '(and three this schema cannot say: canaryNode differs from stableNode, each metric check has its own name, and '
    + 'strategy.type names the machine that runs it) before anything changes.',
}));

/** The deployment object: the input plus what the prepare step recorded (the snapshot). It travels from state to state. */
export const deployment = object({
  ...inputShape,
  executionId: z.optional(text(2048)),
  snapshot: appMeshSnapshot,
}).check(canaryIsNotStable);
export type Deployment = z.infer<typeof deployment>;

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
