// Helpers for tests that drive VPC Lattice routes on the local AWS: a fresh copy of the demo
// (local/demo-lattice.ts) for each test, and reading a route back with Lattice's own API
// (GetRule/GetListener), never through the router under test.
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetListenerCommand, GetRuleCommand, UpdateListenerCommand, UpdateRuleCommand, VPCLatticeClient,
  type RuleAction, type WeightedTargetGroup,
} from '@aws-sdk/client-vpc-lattice';
import { createDemoLattice, type DemoLattice, type DemoService } from '../../local/demo-lattice.ts';
import { latticeArn, latticeIdOf, latticeIds } from '../../functions/commons/routers/lattice/reference.ts';
import { stack, unique } from './executions.ts';
import { LOCAL_ACCOUNT } from './fixtures.ts';

export const lattice = new VPCLatticeClient({});

/** A route as a deployment input names it. */
export interface LatticeRoute { service: string; listener: string; rule?: string }

export interface LatticeDemoRoute {
  demo: DemoLattice;
  /** The deployment input's route, stable and canary target groups (IDs). */
  input: { route: LatticeRoute; stableTargetGroup: string; canaryTargetGroup: string };
  /** The stable and canary target groups' names, as `routes` and `watch` show them. */
  names: { stable: string; canary: string };
}

/**
 * A fresh copy of the demo for one test (names prefixed with `prefix` and a random suffix);
 * returns the input for one of its services' rule (or its listener's default action), from v1
 * to the given canary target group (product to v1.5 by default).
 */
export async function demoLattice(opts: { service?: DemoService; canary?: string; defaultAction?: boolean; prefix?: string } = {}): Promise<LatticeDemoRoute> {
  const service = opts.service ?? 'product';
  const canary = (opts.canary ?? (service === 'product' ? 'product-v15' : `${service}-v2`)) as keyof DemoLattice['targetGroups'];
  const prefix = unique(opts.prefix ?? 'lt');
  const demo = await createDemoLattice(lattice, prefix);
  const s = demo.services[service];
  const route: LatticeRoute = opts.defaultAction ? { service: s.service, listener: s.listener } : { service: s.service, listener: s.listener, rule: s.rule };
  return {
    demo,
    input: { route, stableTargetGroup: demo.targetGroups[`${service}-v1`], canaryTargetGroup: demo.targetGroups[canary] },
    names: { stable: `${prefix}-${service}-v1`, canary: `${prefix}-${canary}` },
  };
}

/** The route's forward target groups now (IDs), read with GetRule (or GetListener for a default action). */
export async function latticeTargets(route: LatticeRoute): Promise<WeightedTargetGroup[]> {
  const ids = { serviceIdentifier: route.service, listenerIdentifier: route.listener };
  const action = route.rule
    ? (await lattice.send(new GetRuleCommand({ ...ids, ruleIdentifier: route.rule }))).action
    : (await lattice.send(new GetListenerCommand(ids))).defaultAction;
  if (!action || !('forward' in action) || !action.forward) throw new Error(`${JSON.stringify(route)} is not a forward action`);
  return action.forward.targetGroups!.map((g) => ({ targetGroupIdentifier: latticeIdOf(g.targetGroupIdentifier!), weight: g.weight }));
}

/** The route's whole state (action, match, priority... as GetRule/GetListener return it), for exact comparisons. */
export async function latticeRouteState(route: LatticeRoute): Promise<Record<string, unknown>> {
  const ids = { serviceIdentifier: route.service, listenerIdentifier: route.listener };
  const { $metadata, lastUpdatedAt, ...rest } = route.rule
    ? await lattice.send(new GetRuleCommand({ ...ids, ruleIdentifier: route.rule }))
    : await lattice.send(new GetListenerCommand(ids));
  return rest;
}

/** The canary's percent of the route's traffic now (weights are relative). */
export async function latticeCanaryPercent(route: LatticeRoute, canary: string): Promise<number> {
  const groups = await latticeTargets(route);
  const total = groups.reduce((s, g) => s + (g.weight ?? 0), 0);
  const w = groups.find((g) => g.targetGroupIdentifier === latticeIdOf(canary))?.weight ?? 0;
  return total === 0 ? 0 : Math.round((100 * w) / total);
}

/** Someone else sets the route's action (a forward or a fixed response), with Lattice's own API. */
export async function setLatticeActionByHand(route: LatticeRoute, action: RuleAction): Promise<void> {
  const ids = { serviceIdentifier: route.service, listenerIdentifier: route.listener };
  if (route.rule) await lattice.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: route.rule, action }));
  else await lattice.send(new UpdateListenerCommand({ ...ids, defaultAction: action }));
}

/** Someone else sets the route's target groups, with Lattice's own API. */
export const setLatticeByHand = (route: LatticeRoute, targetGroups: WeightedTargetGroup[]): Promise<void> =>
  setLatticeActionByHand(route, { forward: { targetGroups } });

const dynamo = new DynamoDBClient({});
/**
 * The route's item in the stack's lock table (undefined: not locked), keyed as the router keys
 * it: the rule's ARN, or the listener's for a default action. Named without reading the route,
 * so it works whatever the route holds now (a fixed response, say).
 */
export async function latticeLockItem(route: LatticeRoute) {
  const key = latticeArn(latticeIds(route), `arn:aws:vpc-lattice:${process.env.AWS_REGION}:${LOCAL_ACCOUNT}`);
  return (await dynamo.send(new GetItemCommand({ TableName: stack().outputs.LockTableName, Key: { route: { S: key } }, ConsistentRead: true }))).Item;
}
