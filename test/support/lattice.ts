// Helpers for tests that drive VPC Lattice routes on the local AWS: a fresh copy of the demo
// (local/demo-lattice.ts), and reading a route back with Lattice's own API (GetRule/GetListener),
// never through the router under test.
import {
  GetListenerCommand, GetRuleCommand, UpdateListenerCommand, UpdateRuleCommand, VPCLatticeClient,
  type WeightedTargetGroup,
} from '@aws-sdk/client-vpc-lattice';
import { createDemoLattice, type DemoLattice, type DemoService } from '../../local/demo-lattice.ts';
import { latticeIdOf } from '../../functions/commons/routers/lattice/reference.ts';
import { unique } from './executions.ts';

export const lattice = new VPCLatticeClient({});

/** A route as a deployment input names it. */
export interface LatticeRoute { service: string; listener: string; rule?: string }

export interface LatticeDemoRoute {
  demo: DemoLattice;
  /** The deployment input's route, stable and canary target groups. */
  input: { route: LatticeRoute; stableTargetGroup: string; canaryTargetGroup: string };
}

/**
 * A fresh copy of the demo for one test; returns the input for one of its services' rule (or
 * its listener's default action), from v1 to the given canary target group (product to v1.5 by default).
 */
export async function demoLattice(opts: { service?: DemoService; canary?: string; defaultAction?: boolean } = {}): Promise<LatticeDemoRoute> {
  const service = opts.service ?? 'product';
  const canary = (opts.canary ?? (service === 'product' ? 'product-v15' : `${service}-v2`)) as keyof DemoLattice['targetGroups'];
  const demo = await createDemoLattice(lattice, unique('lt'));
  const s = demo.services[service];
  const route: LatticeRoute = opts.defaultAction ? { service: s.service, listener: s.listener } : { service: s.service, listener: s.listener, rule: s.rule };
  return { demo, input: { route, stableTargetGroup: demo.targetGroups[`${service}-v1`], canaryTargetGroup: demo.targetGroups[canary] } };
}

/** The route's forward target groups now, read with GetRule (or GetListener for a default action). */
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

/** Someone else sets the route's target groups, with Lattice's own API. */
export async function setLatticeByHand(route: LatticeRoute, targetGroups: WeightedTargetGroup[]): Promise<void> {
  const ids = { serviceIdentifier: route.service, listenerIdentifier: route.listener };
  const action = { forward: { targetGroups } };
  if (route.rule) await lattice.send(new UpdateRuleCommand({ ...ids, ruleIdentifier: route.rule, action }));
  else await lattice.send(new UpdateListenerCommand({ ...ids, defaultAction: action }));
}
