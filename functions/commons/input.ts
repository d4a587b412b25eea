// The deployment input: what a user asks for, as one zod schema. The TypeScript types are
// inferred from it, the prepare step validates with it, and schema/deployment-input.schema.json
// (what users' editors read) is generated from it and from `jsonSchemaDocs` below (`npm run schema`).
// Pure: zod only, no AWS SDK.
// A schema that only some functions use is built in a /* @__PURE__ */ call, so the bundles of
// the others leave it out (a plain top-level call could have side effects, as far as esbuild knows).
import * as z from 'zod/mini';
import { appMeshName, appMeshRoute, appMeshSnapshot, NAME_PATTERN } from './routers/appmesh/schema.ts';
import { latticeIdOf } from './routers/lattice/reference.ts';
import { latticeRoute, latticeSnapshot, latticeTargetGroup, TARGET_GROUP_PATTERN } from './routers/lattice/schema.ts';
import { array, bool, finite, integer, isObject, object, oneOf, picked, rule, text, validate, type Naming, type Problem } from './validate.ts';

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

// ---- hooks block (issue 13): Lambda functions invoked as checks of each verdict (hooks.ts).
/** Lambda's Invoke FunctionName (botocore's lambda model, NamespacedFunctionName): a name, name:alias or version, a partial or full ARN. */
const FUNCTION_NAME = /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$/;
const functionNameWords = 'a Lambda function name, name:alias or function ARN (1-256 characters)';
export const hookTimings = ['every-verdict', 'before-promotion'] as const;
export const DEFAULT_HOOK_TIMEOUT = 10;
export const MAX_HOOKS = 5;
/** A hook's longest wait: check-health's Timeout covers two rounds of it (every-verdict, then before-promotion). */
export const MAX_HOOK_TIMEOUT_SECONDS = 20;

export const hookCheck = object({
  name: text255.check(),
  functionName: z.string({ error: functionNameWords }).check(z.maxLength(256, { error: functionNameWords }), z.regex(FUNCTION_NAME, { error: functionNameWords })),
  when: z.optional(oneOf(hookTimings)),
  timeoutSeconds: z.optional(integer(1, MAX_HOOK_TIMEOUT_SECONDS)),
});
export type HookCheck = z.infer<typeof hookCheck>;
/** A set's hooks, each named once (a release's names are unique across its sets: releaseRules). */
const hookList = array(hookCheck, 0, MAX_HOOKS).check(z.refine((hooks) => new Set(hooks.map((h) => h.name)).size === hooks.length, {
  params: { problem: ((at) => `${at()}: each check needs its own name`) satisfies Problem },
}));

const hookDocs: Record<string, Record<string, unknown>> = {
  'healthChecks.hooks': { description: `Lambda functions invoked as checks of the verdict (at most ${MAX_HOOKS}; each check has its own name). The template's HookFunctionArns must name them.` },
  'healthChecks.hooks[]': {
    id: 'hookCheck',
    description: 'Invoked with the deployment, the canary\'s share and the stage; answers {"verdict": "pass" | "fail" | "inconclusive", "reason"?}. '
      + 'A thrown error, no answer within timeoutSeconds, any other answer or an Invoke Lambda refuses is a failing check with the reason.',
  },
  'healthChecks.hooks[].name': { description: 'How the check is named in verdicts and logs (hook:<name>).' },
  'healthChecks.hooks[].functionName': { description: 'The function to invoke: its name, name:alias or ARN.' },
  'healthChecks.hooks[].when': { description: 'every-verdict (default): on every verdict, the baseline included; before-promotion: only on the verdict whose pass would promote.' },
  'healthChecks.hooks[].timeoutSeconds': { description: 'Seconds to wait for the hook\'s answer before it counts as a failure (default 10, at most 20).' },
};
// ---- end of the hooks block

// ---- traffic block: proof that the traffic moved (issue 13).
/** The request-count metric of one target: {target} in a dimension value stands for the target's ID (node name, target group ID). */
export const TARGET_PLACEHOLDER = '{target}';
const requestCountDimensions = 'an object of 1 to 30 name: value strings, one value holding {target}';
const requestCount = object({
  namespace: text255.check(),
  metricName: text255.check(),
  dimensions: z.record(
    z.string({ error: 'keyed by names of 1-255 characters' }).check(z.minLength(1), z.maxLength(255)),
    text(1024),
    { error: requestCountDimensions },
  ).check(z.refine((d) => Object.keys(d).length >= 1 && Object.keys(d).length <= 30
    && Object.values(d).some((v) => v.includes(TARGET_PLACEHOLDER)), { error: requestCountDimensions })),
  statistic: z.optional(oneOf(['Sum'])),
});
const windowWords = 'one of 10, 30 or a multiple of 60 up to 3600';
export const trafficVerification = object({
  tolerancePercent: z.optional(finite().check(z.gte(0, { error: 'a number from 0 to 50' }), z.lte(50, { error: 'a number from 0 to 50' }))),
  minRequests: z.optional(integer(1, 1_000_000_000)),
  windowSeconds: z.optional(integer(10, 3600, z.refine((n) => n === 10 || n === 30 || n % 60 === 0, { error: windowWords }))),
  maxWaitSeconds: z.optional(integer(0, 86_400)),
  requestCount: z.optional(requestCount),
});
export type TrafficVerification = z.infer<typeof trafficVerification>;
export type RequestCountMetric = z.infer<typeof requestCount>;
// A 5-minute window by default: CloudWatch publishes per-minute metrics (VPC Lattice's among them)
// a minute or more late, and a window shorter than that delay would often hold no data at all.
export const trafficDefaults = { tolerancePercent: 5, minRequests: 100, windowSeconds: 300, maxWaitSeconds: 600 } as const;

/**
 * A before-promotion hook runs on the verdict whose pass would promote. The manual-approval machine
 * has none (a person, or the approval timeout, promotes): such a hook would never run, so it is refused.
 */
const beforePromotionNeedsAVerdict = /* @__PURE__ */ rule((d) => {
  if (!isObject(d.strategy) || d.strategy.type !== 'manual-approval') return [];
  const sets: [(string | number)[], unknown][] = [[['healthChecks'], d.healthChecks], ...(Array.isArray(d.routes) ? d.routes.map((r, i): [(string | number)[], unknown] => [['routes', i, 'healthChecks'], isObject(r) ? r.healthChecks : undefined]) : [])];
  return sets.flatMap(([path, checks]) => (isObject(checks) && Array.isArray(checks.hooks) ? checks.hooks : []).map((h, i) => isObject(h) && h.when === 'before-promotion'
    && ((at) => `${at(...path, 'hooks', i, 'when')} is before-promotion, but the manual-approval machine promotes on a person's answer (or its timeout), with no verdict before it: the hook would never run; use every-verdict`)));
});

/** Holds a whole execution may take at most: each is a verdict (about 9 history events), and an execution's history holds 25,000. */
export const MAX_TRAFFIC_HOLDS = 2000;

/**
 * A hold is a verdict every half window, for up to maxWaitSeconds at every stage: all of them must
 * fit one execution's history (a linear strategy of 10% steps has 10 stages).
 */
const trafficHoldsFit = /* @__PURE__ */ rule((d) => {
  const t = d.trafficVerification;
  if (!isObject(t) || !isObject(d.strategy)) return [];
  const window = typeof t.windowSeconds === 'number' && t.windowSeconds > 0 ? t.windowSeconds : trafficDefaults.windowSeconds;
  const maxWait = typeof t.maxWaitSeconds === 'number' ? t.maxWaitSeconds : trafficDefaults.maxWaitSeconds;
  const step = d.strategy.type === 'linear' ? d.strategy.stepPercent : undefined;
  const stages = typeof step === 'number' && step >= 1 && step <= 100 ? Math.ceil(100 / step) : 1;
  const holds = stages * Math.ceil(maxWait / Math.max(1, window / 2));
  const most = Math.floor((MAX_TRAFFIC_HOLDS / stages) * Math.max(1, window / 2));
  return [maxWait <= 86_400 && holds > MAX_TRAFFIC_HOLDS
    && ((at) => `${at('trafficVerification', 'maxWaitSeconds')} must be at most ${most} s here: a hold is a verdict every half window (${window / 2} s) at each of the ${stages} stage${stages > 1 ? 's' : ''}, and `
      + `${MAX_TRAFFIC_HOLDS} holds are the most an execution's history (25,000 events) has room for; use a longer windowSeconds or a shorter maxWaitSeconds`)];
});

/** App Mesh publishes no request counts of its own: a route of App Mesh needs trafficVerification.requestCount. */
const trafficNeedsRequestCount = /* @__PURE__ */ rule((d) => {
  const t = d.trafficVerification;
  if (!isObject(t) || t.requestCount !== undefined) return [];
  const meshRoutes = Array.isArray(d.routes) ? d.routes.some((r) => !namesLattice(r)) : !namesLattice(d);
  return [meshRoutes && ((at) => `${at('trafficVerification', 'requestCount')} is missing: App Mesh publishes no request counts, `
    + 'so verifying its split needs a metric per virtual node, e.g. {"namespace": "…", "metricName": "…", "dimensions": {"VirtualNode": "{target}"}}')];
});
const trafficShape = { trafficVerification: z.optional(trafficVerification) };
const trafficDocs: Record<string, Record<string, unknown>> = {
  trafficVerification: {
    description: 'Confirm from request counts that the traffic really moved: after each shift (and its settle time), verdicts count only once '
      + 'each route\'s canary has its share of the stable+canary requests within tolerancePercent; until then they are inconclusive and the '
      + 'deployment holds (a failing check still counts). Not verified within maxWaitSeconds: rollback. Too little traffic is never a pass. '
      + 'VPC Lattice routes read AWS/VpcLattice TotalRequestCount by target group; App Mesh routes need requestCount.',
  },
  'trafficVerification.tolerancePercent': { description: 'How far (percentage points) the canary\'s measured share may be from its weight (default 5).' },
  'trafficVerification.minRequests': { description: 'Fewer stable+canary requests than this since the shift settled: too little traffic to tell (default 100).' },
  'trafficVerification.windowSeconds': {
    description: 'Count the requests of the last this many seconds (from the start of the 10 s period, or the minute, it began in), never from before '
      + 'the shift settled: 10, 30 or a multiple of 60 up to 3600 (default 300: longer than the delay with which CloudWatch publishes per-minute metrics). Windows under a minute need high-resolution metrics.',
    anyOf: [{ enum: [10, 30] }, { multipleOf: 60 }],
  },
  'trafficVerification.maxWaitSeconds': {
    description: 'Roll back when the split is not verified this many seconds after the shift settled (default 600; 0: the first verdict after it must verify it). '
      + 'The deployment holds meanwhile, a verdict every half window or the step\'s own interval, at most a window.',
  },
  'trafficVerification.requestCount': {
    description: 'The request-count metric of each target, {target} standing for its ID in a dimension value: required for App Mesh routes '
      + '(e.g. Envoy statistics the CloudWatch agent publishes per virtual node); VPC Lattice routes default to AWS/VpcLattice TotalRequestCount, TargetGroup={target}.',
  },
  'trafficVerification.requestCount.dimensions': { description: 'Name: value; {target} in a value is replaced by the target\'s ID (virtual node name, target group ID).', minProperties: 1, maxProperties: 30 },
  'trafficVerification.requestCount.statistic': { description: 'Sum (the only statistic that adds up across periods).' },
};
// ---- end of the traffic block

/** Each list of checks names its checks uniquely (looked at even when a check is malformed, as the other rules are). */
const uniqueNames = (list: unknown, field: string): false | Problem => Array.isArray(list) && list.length <= 20
  && new Set(list.map((m) => m?.name)).size !== list.length && ((at) => `${at(field)}: each check needs its own name`);

export const healthChecks = object({
  alarms: z.optional(alarms),
  metrics: z.optional(array(metricCheck, 0, 20)),
  errorRates: z.optional(array(errorRateCheck, 0, 20)),
  hooks: z.optional(hookList),
}).check(rule(({ metrics, errorRates }) => [uniqueNames(metrics, 'metrics'), uniqueNames(errorRates, 'errorRates')]));
export type HealthChecks = z.infer<typeof healthChecks>;

/** What every deployment input has, whatever its backend. */
const commonShape = {
  strategy: z.optional(strategy),
  healthChecks: z.optional(healthChecks),
  failureThreshold: z.optional(integer(1, limits.failureThreshold)),
  inconclusive: z.optional(oneOf(['fail', 'pass'])),
  onDrift: z.optional(oneOf(['halt', 'rollback'])),
  keepStableTarget: z.optional(bool()),
  ...settleShape,
  ...trafficShape,
};

/** An App Mesh route and its virtual nodes. Copies of appMeshName, so the JSON Schema describes each on its own. */
const appMeshShape = { route: appMeshRoute, stableNode: appMeshName.check(), canaryNode: appMeshName.check() };
/** A VPC Lattice listener rule (or a listener's default action) and its target groups, by ID or ARN. */
const latticeShape = {
  route: latticeRoute, stableTargetGroup: latticeTargetGroup.check(), canaryTargetGroup: latticeTargetGroup.check(),
  allowControllerManaged: z.optional(bool()),
};

/**
 * The backend an input (or a deployment) names, by its route first: VPC Lattice when the route
 * has a service or a listener, App Mesh when it has any App Mesh field; with no such route, VPC
 * Lattice when it names a stable or canary target group, else App Mesh (every input written
 * before Lattice). Messages then speak of that backend's fields only ("stableTargetGroup is not a
 * known field" beside an App Mesh route).
 */
export function namesLattice(value: unknown): boolean {
  if (!isObject(value)) return false;
  const route = value.route;
  if (isObject(route) && ('service' in route || 'listener' in route)) return true;
  if (isObject(route) && ['meshName', 'virtualRouterName', 'routeName'].some((k) => k in route)) return false;
  return 'stableTargetGroup' in value || 'canaryTargetGroup' in value;
}

/**
 * The App Mesh or the VPC Lattice schema, picked by the value's shape (validate.ts picked). For the
 * JSON Schema, `executionInput` states the same as a union.
 */
export const byBackend = <A extends z.core.$ZodType, L extends z.core.$ZodType>(appMesh: A, lattice: L, isLattice: (value: unknown) => boolean = namesLattice) =>
  picked(isLattice, lattice, appMesh);

/** canaryNode differs from stableNode, canaryTargetGroup from stableTargetGroup (by ID, an ARN being the same target group). */
const canaryIsNotStable = rule((d) => [
  typeof d.stableNode === 'string' && NAME_PATTERN.test(d.stableNode) && d.stableNode === d.canaryNode
    && ((at) => `${at('canaryNode')} must differ from ${at('stableNode')} (both are ${d.stableNode})`),
  typeof d.stableTargetGroup === 'string' && typeof d.canaryTargetGroup === 'string' && TARGET_GROUP_PATTERN.test(d.stableTargetGroup)
    && TARGET_GROUP_PATTERN.test(d.canaryTargetGroup) && latticeIdOf(d.stableTargetGroup) === latticeIdOf(d.canaryTargetGroup)
    && ((at) => `${at('canaryTargetGroup')} must differ from ${at('stableTargetGroup')} (both are ${latticeIdOf(d.stableTargetGroup as string)})`),
]);

const appMeshInput = /* @__PURE__ */ (() => object({ ...appMeshShape, ...commonShape }).check(canaryIsNotStable, trafficNeedsRequestCount, beforePromotionNeedsAVerdict, trafficHoldsFit))();
const latticeInput = /* @__PURE__ */ (() => object({ ...latticeShape, ...commonShape }).check(canaryIsNotStable, beforePromotionNeedsAVerdict, trafficHoldsFit))();

// ---- Several routes in one deployment (issue 11): a release.
/** At most this many routes move together: each step writes them all in one invocation, and their locks are one transaction. */
export const MAX_ROUTES = 10;

/** A value that names several routes (`routes`) rather than one (`route`). */
export const namesRelease = (value: unknown): boolean => isObject(value) && 'routes' in value;

/** Targets in a release's form (ReleaseTargets: one {route, weightedTargets} per route), not one route's. */
export const isReleaseTargets = (v: unknown): boolean => Array.isArray(v) && isObject(v[0]) && 'route' in v[0];

/** Picks the release schema for a value with `routes`, else the one-route schemas by backend. */
const byShape = <R extends z.core.$ZodType, A extends z.core.$ZodType, L extends z.core.$ZodType>(release: R, appMesh: A, lattice: L) =>
  picked(namesRelease, release, byBackend(appMesh, lattice));

/** One route of a release: the route fields of a one-route input, and health checks of its own. */
const routeEntryShape = { healthChecks: z.optional(healthChecks) };
const appMeshEntry = /* @__PURE__ */ (() => object({ ...appMeshShape, ...routeEntryShape }).check(canaryIsNotStable))();
const latticeEntry = /* @__PURE__ */ (() => object({ ...latticeShape, ...routeEntryShape }).check(canaryIsNotStable))();

/** A route as written, for telling two entries apart: a Lattice part by its ID, an ARN being the same resource. */
function routeKey(route: unknown): string | undefined {
  if (!isObject(route)) return undefined;
  if ('service' in route || 'listener' in route) {
    return ['service', 'listener', 'rule'].map((k) => (typeof route[k] === 'string' ? latticeIdOf(route[k] as string) : '')).join('/');
  }
  return ['meshOwner', 'meshName', 'virtualRouterName', 'routeName'].map((k) => String(route[k] ?? '')).join('/');
}

/** Across a release: each route once, and each metric or error-rate check named once (the release's and every route's). */
const releaseRules = /* @__PURE__ */ rule(({ routes, healthChecks: shared }) => {
  if (!Array.isArray(routes) || routes.length > MAX_ROUTES) return [];
  const seen = new Map<string, number>();
  const problems: (Problem | false)[] = [];
  routes.forEach((entry, i) => {
    const key = isObject(entry) ? routeKey(entry.route) : undefined;
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else problems.push((at) => `${at('routes', i, 'route')} names the same route as ${at('routes', first, 'route')}: each route once per deployment`);
  });
  for (const kind of ['metrics', 'errorRates', 'hooks'] as const) {
    const names = new Map<string, string>();
    const lists: [string, unknown][] = [['healthChecks', isObject(shared) ? shared[kind] : undefined],
      ...routes.map((e, i): [string, unknown] => [`routes[${i}].healthChecks`, isObject(e) && isObject(e.healthChecks) ? e.healthChecks[kind] : undefined])];
    for (const [where, list] of lists) {
      if (!Array.isArray(list) || list.length > 20) continue;
      for (const check of list) {
        const name = isObject(check) && typeof check.name === 'string' ? check.name : undefined;
        if (name === undefined) continue;
        const other = names.get(name);
        if (other !== undefined && other !== where) problems.push((at) => `${at(`${where}.${kind}`)}: the check name "${name.slice(0, 40)}" is also used in ${other}; each check of a release needs its own name`);
        else names.set(name, where);
      }
    }
  }
  return problems;
});

const releaseInput = /* @__PURE__ */ (() => object({
  routes: array(byBackend(appMeshEntry, latticeEntry), 1, MAX_ROUTES),
  ...commonShape,
}).check(releaseRules, trafficNeedsRequestCount, beforePromotionNeedsAVerdict, trafficHoldsFit))();
export type ReleaseRouteInput = (AppMeshDeploymentInput | LatticeDeploymentInput) & { healthChecks?: HealthChecks };
export type ReleaseInput = Omit<AppMeshDeploymentInput, 'route' | 'stableNode' | 'canaryNode'> & { routes: ReleaseRouteInput[] };
// ---- end of the release block

/**
 * What a user asks for: an App Mesh route or a VPC Lattice one, or several routes of either
 * (`routes`). The strategy may be left out when no state machine runs it (the prepare step by hand).
 */
export const deploymentInput = /* @__PURE__ */ (() => byShape(releaseInput, appMeshInput, latticeInput))();
export type AppMeshDeploymentInput = z.infer<typeof appMeshInput>;
export type LatticeDeploymentInput = z.infer<typeof latticeInput>;
/** Either backend's input: what the parsers below accept. */
export type AnyDeploymentInput = AppMeshDeploymentInput | LatticeDeploymentInput;
/**
 * App Mesh's input type, as the CLI and request-approval still read it (stableNode/canaryNode).
 * At run time a parsed input may be a Lattice one (AnyDeploymentInput); this alias goes once
 * those readers name targets through the route's backend (issue 10, CLI and approval parts).
 */
export type DeploymentInput = AppMeshDeploymentInput;

/**
 * A state machine's input, as one schema the JSON Schema users' editors read is made from (a
 * strategy is required; the route is either backend's). The validators above say the same with
 * the backend picked first (byBackend), so their messages name the fields of one backend.
 */
export const executionInput = /* @__PURE__ */ (() => {
  // One set of route fields, for a one-route input and for each route of a release: the JSON
  // Schema describes them once (scripts/schema.ts reads "routes[].x" as the same field as "x").
  const routeFields = {
    route: z.optional(z.union([appMeshRoute, latticeRoute])),
    stableNode: z.optional(appMeshName.check()),
    canaryNode: z.optional(appMeshName.check()),
    stableTargetGroup: z.optional(latticeTargetGroup.check()),
    canaryTargetGroup: z.optional(latticeTargetGroup.check()),
    allowControllerManaged: z.optional(bool()),
  };
  return object({
    ...routeFields,
    routes: z.optional(array(object({ ...routeFields, healthChecks: commonShape.healthChecks }).check(canaryIsNotStable), 1, MAX_ROUTES)),
    ...commonShape,
    strategy,
  }).check(canaryIsNotStable);
})();

/** The deployment object: the input plus what the prepare step recorded (the snapshot). It travels from state to state. */
const deploymentOf = <S extends z.core.$ZodLooseShape>(shape: S, snapshot: z.core.$ZodType) => object({
  ...shape,
  ...commonShape,
  executionId: z.optional(text(2048)),
  snapshot,
}).check(canaryIsNotStable);
/** A release's route after the prepare step: the route entry and its backend's snapshot. */
const appMeshPrepared = /* @__PURE__ */ (() => object({ ...appMeshShape, ...routeEntryShape, snapshot: appMeshSnapshot }).check(canaryIsNotStable))();
const latticePrepared = /* @__PURE__ */ (() => object({ ...latticeShape, ...routeEntryShape, snapshot: latticeSnapshot }).check(canaryIsNotStable))();
/** A release's snapshot as the state machines carry it: every route's weighted targets (ReleaseTargets), and when. */
const releaseSnapshot = /* @__PURE__ */ object({
  weightedTargets: array(object({ route: text(2048), weightedTargets: array(z.unknown(), 1, 100) }), 1, MAX_ROUTES),
  takenAt: text(64),
});
// The release-wide rules (each route once, check names unique) are the prepare step's: a deployment
// is what prepare returned, and leaving them out here keeps them out of every other function's bundle.
const releaseDeployment = /* @__PURE__ */ (() => object({
  routes: array(byBackend(appMeshPrepared, latticePrepared), 1, MAX_ROUTES),
  ...commonShape,
  executionId: z.optional(text(2048)),
  snapshot: releaseSnapshot,
}))();
export const deployment = /* @__PURE__ */ (() => byShape(
  releaseDeployment, deploymentOf(appMeshShape, appMeshSnapshot), deploymentOf(latticeShape, latticeSnapshot),
))();
/** One route of a prepared release. */
export type ReleaseRoute = ReleaseRouteInput & { snapshot: z.infer<typeof appMeshSnapshot> | z.infer<typeof latticeSnapshot> };
export type ReleaseDeployment = Omit<AppMeshDeployment, 'route' | 'stableNode' | 'canaryNode' | 'snapshot'> & {
  routes: ReleaseRoute[];
  snapshot: z.infer<typeof releaseSnapshot>;
};
export type AppMeshDeployment = AppMeshDeploymentInput & { executionId?: string; snapshot: z.infer<typeof appMeshSnapshot> };
export type LatticeDeployment = LatticeDeploymentInput & { executionId?: string; snapshot: z.infer<typeof latticeSnapshot> };
/** Either backend's deployment object. */
export type AnyDeployment = AppMeshDeployment | LatticeDeployment;
/** App Mesh's deployment type, as its readers outside the writer still use it: see DeploymentInput. */
export type Deployment = AppMeshDeployment;

/**
 * What users' editors show (titles, descriptions), the names of the shared $defs, and the JSON
 * Schema words for the rules the schema above checks in code (a refinement has no JSON Schema).
 * Keyed by field path in executionInput: "a.b", "list[]" for its items, "strategy(linear)" for a
 * strategy type. Only the generator (scripts/schema.ts) reads this, so no function bundle carries
 * it; it fails on a path that names no field, and a unit test compares its output with the
 * committed file.
 */
const appMeshOnly = [{ required: ['stableNode'] }, { required: ['canaryNode'] }];
const latticeOnly = [{ required: ['stableTargetGroup'] }, { required: ['canaryTargetGroup'] }, { required: ['allowControllerManaged'] }];
const appMeshRouteOf = (title: string) => ({
  title, type: 'object', required: ['route', 'stableNode', 'canaryNode'], properties: { route: { type: 'object', required: ['meshName'] } },
});
const latticeRouteOf = (title: string) => ({
  title, type: 'object', required: ['route', 'stableTargetGroup', 'canaryTargetGroup'], properties: { route: { type: 'object', required: ['service'] } },
});

// Built in a /* @__PURE__ */ call: a spread in a plain literal could run getters, as far as esbuild knows, and keep it in every bundle.
export const jsonSchemaDocs: Record<string, Record<string, unknown>> = /* @__PURE__ */ (() => ({
  '': {
    title: 'mesh-canary deployment input',
    description: 'The input of a mesh-canary state machine execution: an App Mesh route with stableNode and canaryNode, '
      + 'a VPC Lattice route with stableTargetGroup and canaryTargetGroup, or several such routes that move together (routes). The prepare step validates it with the same rules '
      + '(and those this schema cannot say: the canary differs from the stable, a Lattice route\'s ARNs agree with each other, '
      + 'each metric check has its own name, and strategy.type names the machine that runs it) before anything changes.',
    oneOf: [
      { ...appMeshRouteOf('App Mesh'), not: { anyOf: [...latticeOnly, { required: ['routes'] }] } },
      { ...latticeRouteOf('VPC Lattice'), not: { anyOf: [...appMeshOnly, { required: ['routes'] }] } },
      {
        title: 'Several routes (a release)', type: 'object', required: ['routes'],
        not: { anyOf: [{ required: ['route'] }, ...appMeshOnly, ...latticeOnly] },
      },
    ],
  },
  routes: {
    description: `Several routes that move together (a release): 1 to ${MAX_ROUTES}, on App Mesh or VPC Lattice, each with its own stable and canary `
      + 'and optional health checks of its own. Every step gives each route the same canary share; one verdict covers every check; '
      + 'any failure puts every route back to its own snapshot.',
  },
  'routes[]': {
    title: 'A route of the release',
    oneOf: [{ ...appMeshRouteOf('App Mesh route'), not: { anyOf: latticeOnly } }, { ...latticeRouteOf('VPC Lattice route'), not: { anyOf: appMeshOnly } }],
  },
  route: { description: 'The route whose weighted targets move: an App Mesh route, or a VPC Lattice listener rule (or a listener\'s default action).' },
  'route|0': { title: 'App Mesh route' },
  'route|0.meshName': { id: 'name', description: 'An App Mesh name: 1-255 letters, digits, . _ or -, starting with a letter or digit.' },
  'route|0.meshOwner': { description: 'Account that owns a mesh shared through AWS RAM.' },
  'route|1': { title: 'VPC Lattice route' },
  'route|1.service': { description: 'The VPC Lattice service: its ID (svc-…) or ARN.' },
  'route|1.listener': { description: 'The service\'s listener: its ID (listener-…) or ARN.' },
  'route|1.rule': { description: 'The listener rule whose target groups move: its ID (rule-…) or ARN. Left out: the listener\'s default action.' },
  stableNode: { description: 'App Mesh: the virtual node serving now; a weighted target of the route.' },
  canaryNode: { description: 'App Mesh: the new virtual node; added to the route when missing.' },
  stableTargetGroup: { description: 'VPC Lattice: the target group serving now (ID tg-… or ARN); a target group of the route.' },
  canaryTargetGroup: { description: 'VPC Lattice: the new target group (ID tg-… or ARN); added to the route when missing.' },
  allowControllerManaged: {
    description: 'VPC Lattice: deploy even when the AWS Gateway API Controller manages the route (its application-networking.k8s.aws/ManagedBy tag '
      + 'on the rule, listener or service). Default false: such a route is refused before any change, naming the HTTPRoute whose '
      + 'backendRefs weights to shift instead, because the controller reconciles the route and can revert the weights mesh-canary writes.',
  },
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
  ...hookDocs,
  ...errorRateDocs,
  ...trafficDocs,
}))();

const inputNaming: Naming = { whole: 'input', prefix: '' };

/**
 * Validates what a user asks for. Throws InvalidInput naming every bad field. With `machine`
 * (the state machine running it), a strategy of that type is required.
 */
export function parseDeploymentInput(value: unknown, machine?: StrategyType): DeploymentInput {
  // The validators accept either backend (AnyDeploymentInput); the type says App Mesh's: see DeploymentInput.
  return validate(deploymentInput as z.ZodMiniType<DeploymentInput>, value, inputNaming, (problems) => {
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
  return validate(deployment, value, { whole }) as Deployment;
}

/** The input with every default written out, so the state machines can rely on each field. */
export function withDefaults(input: DeploymentInput): DeploymentInput {
  const out: DeploymentInput = { failureThreshold: 1, inconclusive: 'fail', onDrift: 'halt', keepStableTarget: false, ...input };
  const s = input.strategy;
  if (s?.type === 'step-then-all') out.strategy = { checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  if (s?.type === 'manual-approval') out.strategy = { onApprovalTimeout: 'rollback', checkIntervalSeconds: DEFAULT_CHECK_INTERVAL, ...s };
  return out;
}
