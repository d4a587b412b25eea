// What VPC Lattice adds to the input contract: its route reference (a listener rule, or a
// listener's default action when no rule is given) and target group identifiers with Lattice's
// own patterns (botocore's vpc-lattice model: an ID or an ARN, interchangeably), the snapshot of
// a route it takes, and its weighted target groups (the list set-weight and promote receive as
// `expected`). Pure: zod only, no AWS SDK.
import * as z from 'zod/mini';
import type { Limits } from '../types.ts';
import { array, integer, object, oneOf, rule, text } from '../../validate.ts';
import { latticeRefProblems } from './reference.ts';

/**
 * VPC Lattice's limits: each weight 0-999, at most 10 target groups per action. Weights are
 * relative, so the writer may rescale them to give the canary its percent exactly.
 */
export const latticeLimits: Limits = { maxWeight: 999, maxTargets: 10, rescale: true };
const { maxWeight: MAX_WEIGHT, maxTargets: MAX_TARGETS } = latticeLimits;

const ID = '[0-9a-z]{17}';
const ARN = 'arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:[0-9]{12}';
/** A service, listener, rule or target group: its ID or its ARN (Lattice's own patterns, anchored). */
export const SERVICE_PATTERN = new RegExp(`^(svc-${ID}|${ARN}:service/svc-${ID})$`);
export const LISTENER_PATTERN = new RegExp(`^(listener-${ID}|${ARN}:service/svc-${ID}/listener/listener-${ID})$`);
export const RULE_PATTERN = new RegExp(`^(rule-${ID}|${ARN}:service/svc-${ID}/listener/listener-${ID}/rule/rule-${ID})$`);
export const TARGET_GROUP_PATTERN = new RegExp(`^(tg-${ID}|${ARN}:targetgroup/tg-${ID})$`);

const identifier = (what: string, example: string, pattern: RegExp) =>
  z.string({ error: `a VPC Lattice ${what} ID ("${example}-" and 17 lowercase letters or digits) or its ARN` }).check(z.regex(pattern));

export const latticeService = identifier('service', 'svc', SERVICE_PATTERN);
export const latticeListener = identifier('listener', 'listener', LISTENER_PATTERN);
export const latticeRule = identifier('listener rule', 'rule', RULE_PATTERN);
/** A target group (the stable, the canary, a weighted target group) by ID or ARN. */
export const latticeTargetGroup = identifier('target group', 'tg', TARGET_GROUP_PATTERN);

/** A listener rule, or a listener's default action when `rule` is left out. ARNs must agree with each other. */
export const latticeRoute = object({
  service: latticeService,
  listener: latticeListener,
  rule: z.optional(latticeRule),
}).check(rule((r) => latticeRefProblems(r).map((p) => (at) => `${at()}: ${p}`)));

/** A target group as a Lattice action holds it: {targetGroupIdentifier, weight 0-999}, every weight explicit. */
export const weightedTargetGroup = object({
  targetGroupIdentifier: latticeTargetGroup,
  weight: integer(0, MAX_WEIGHT),
});
export type LatticeTarget = z.infer<typeof weightedTargetGroup>;

/** An action's target groups as Lattice allows them: 1 to 10. */
export const targetGroups = array(weightedTargetGroup, 1, MAX_TARGETS);

/** The kinds of route: a listener rule, or a listener's default action. */
export const latticeRouteKinds = ['rule', 'defaultAction'] as const;
export type LatticeRouteKind = (typeof latticeRouteKinds)[number];

/** The route as it was before the deployment, as the prepare step records it. */
export const latticeSnapshot = object({
  router: oneOf(['lattice']),
  routeKind: oneOf(latticeRouteKinds),
  /** The action's target groups exactly as they were before the deployment (under the key every step result uses). */
  weightedTargets: targetGroups,
  /** The rule's or listener's lastUpdatedAt when the snapshot was taken (Lattice has no version). */
  lastUpdatedAt: z.optional(text(64)),
  takenAt: text(64),
}, 'pass the deployment object the prepare step returned');
export type LatticeSnapshot = z.infer<typeof latticeSnapshot>;
