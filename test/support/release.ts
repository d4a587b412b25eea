// Helpers for tests of releases (issue 11: several routes in one deployment) on the local AWS:
// fresh routes of either backend as a release's `routes` entries, each read back with its own
// backend's API (DescribeRoute, GetRule), never through the router under test; the lock table
// scanned for what an execution still holds. The clients default to the shared local AWS; a
// test that runs its own (release-faults.test.ts) passes clients that go straight to its moto.
import { AppMeshClient, DescribeRouteCommand, UpdateRouteCommand, type RouteSpec } from '@aws-sdk/client-app-mesh';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRuleCommand, UpdateRuleCommand, VPCLatticeClient, type GetRuleCommandOutput } from '@aws-sdk/client-vpc-lattice';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import { createDemoLattice, type DemoLattice, type DemoService } from '../../local/demo-lattice.ts';
import { latticeIdOf } from '../../functions/commons/routers/lattice/reference.ts';
import { routeLabelOf, routerFor } from '../../functions/commons/routers/index.ts';
import { appMesh as sharedAppMesh, stack, unique } from './executions.ts';
import { event, LOCAL_ACCOUNT, lockKeyOf } from './fixtures.ts';
import { lattice as sharedLattice } from './lattice.ts';

export interface RouteClients {
  appMesh: AppMeshClient;
  lattice: VPCLatticeClient;
}
const shared = (): RouteClients => ({ appMesh: sharedAppMesh, lattice: sharedLattice });

/** The demo's canary of each service: product to v1.5, customer and order to v2. */
const canaryOf = (s: DemoService) => (s === 'product' ? 'product-v15' : `${s}-v2`);

/** One route of a release as the test sees it: its input entry, and its state read with its backend's own API. */
export interface TestRoute {
  backend: 'appmesh' | 'lattice';
  /** The route's entry in the input's `routes`. */
  entry: Record<string, unknown> & { route: Record<string, string> };
  /** Lattice: the same route named by ARNs. */
  arnRoute?: Record<string, string>;
  /** The route's label, as the results name it (routeLabelOf). */
  label: string;
  /** The lock item's key: the route's canonical identity. */
  lockKey: string;
  /** The stable and canary's ids (virtual node names, target group IDs). */
  stable: string;
  canary: string;
  /** Everything the route holds (App Mesh: its spec; Lattice: the rule but its update time), for exact comparisons. */
  state(): Promise<unknown>;
  /** A revision that changes with every write (App Mesh: metadata.version; Lattice: lastUpdatedAt). */
  version(): Promise<unknown>;
  /** The route's weighted targets now, as [id, weight]. */
  targets(): Promise<[string, number][]>;
  /** The canary's percent of the route's traffic now. */
  canaryPercent(): Promise<number>;
  /** Someone else sets the route's weighted targets by hand, with the backend's own API. */
  setByHand(targets: [string, number][]): Promise<void>;
  /** Whether the route is promoted from `before` (its state() at the start): the canary alone, the rest as it was. */
  promotedFrom(before: unknown): Promise<boolean>;
}

function meshRoute(client: AppMeshClient, meshName: string, s: DemoService): TestRoute {
  const route = { meshName, virtualRouterName: `${s}-vr`, routeName: `${s}-r` };
  const [stable, canary] = [`${s}-vn`, `${canaryOf(s)}-vn`];
  const now = async () => (await client.send(new DescribeRouteCommand(route))).route!;
  const targets = async (): Promise<[string, number][]> => (await now()).spec!.httpRoute!.action!.weightedTargets!.map((t) => [t.virtualNode!, t.weight!]);
  return {
    backend: 'appmesh',
    entry: { route, stableNode: stable, canaryNode: canary },
    label: routeLabelOf(route)!,
    lockKey: lockKeyOf(route),
    stable,
    canary,
    state: async () => (await now()).spec,
    version: async () => (await now()).metadata!.version,
    targets,
    canaryPercent: async () => percentOf(await targets(), canary),
    setByHand: async (next) => {
      const spec = structuredClone((await now()).spec!) as RouteSpec;
      spec.httpRoute!.action!.weightedTargets = next.map(([virtualNode, weight]) => ({ virtualNode, weight }));
      await client.send(new UpdateRouteCommand({ ...route, spec }));
    },
    promotedFrom: async (before) => {
      const expected = structuredClone(before) as RouteSpec;
      expected.httpRoute!.action!.weightedTargets = [{ virtualNode: canary, weight: 100 }];
      return JSON.stringify((await now()).spec) === JSON.stringify(expected);
    },
  };
}

async function latticeRoute(client: VPCLatticeClient, demo: DemoLattice, s: DemoService): Promise<TestRoute> {
  const svc = demo.services[s];
  const route = { service: svc.service, listener: svc.listener, rule: svc.rule };
  const ids = { serviceIdentifier: svc.service, listenerIdentifier: svc.listener, ruleIdentifier: svc.rule };
  const stable = demo.targetGroups[`${s}-v1`];
  const canary = demo.targetGroups[canaryOf(s) as keyof DemoLattice['targetGroups']];
  const lockKey = await routerFor({ route, stableTargetGroup: stable, canaryTargetGroup: canary } as never, { lattice: () => client }).identity(LOCAL_ACCOUNT);
  const rule = async (): Promise<Omit<GetRuleCommandOutput, '$metadata' | 'lastUpdatedAt'>> => {
    const { $metadata: _m, lastUpdatedAt: _u, ...rest } = await client.send(new GetRuleCommand(ids));
    return rest;
  };
  const targets = async (): Promise<[string, number][]> =>
    (await rule()).action!.forward!.targetGroups!.map((g) => [latticeIdOf(g.targetGroupIdentifier!), g.weight!]);
  return {
    backend: 'lattice',
    entry: { route: { ...route }, stableTargetGroup: stable, canaryTargetGroup: canary },
    arnRoute: { service: svc.serviceArn, listener: svc.listenerArn, rule: svc.ruleArn },
    label: routeLabelOf(route)!,
    lockKey,
    stable,
    canary,
    state: rule,
    version: async () => (await client.send(new GetRuleCommand(ids))).lastUpdatedAt,
    targets,
    canaryPercent: async () => percentOf(await targets(), canary),
    setByHand: async (next) => {
      await client.send(new UpdateRuleCommand({ ...ids, action: { forward: { targetGroups: next.map(([targetGroupIdentifier, weight]) => ({ targetGroupIdentifier, weight })) } } }));
    },
    promotedFrom: async (before) => {
      // The canary alone (Lattice weights are relative: any weight is all the traffic); the rest of the rule as before.
      const { action, ...rest } = await rule();
      const { action: _b, ...restBefore } = before as Awaited<ReturnType<typeof rule>>;
      const groups = action?.forward?.targetGroups ?? [];
      return groups.length === 1 && groups[0].targetGroupIdentifier === canary && JSON.stringify(rest) === JSON.stringify(restBefore);
    },
  };
}

const percentOf = (targets: [string, number][], canary: string) => {
  const total = targets.reduce((s, [, w]) => s + w, 0);
  return total === 0 ? 0 : Math.round((100 * (targets.find(([id]) => id === canary)?.[1] ?? 0)) / total);
};

/**
 * Fresh routes for one release: App Mesh routes of a fresh copy of the demo mesh (`mesh`: which
 * services' routes) and VPC Lattice rules of a fresh copy of the Lattice demo (`lattice`), in the
 * order `order` gives (indexes into the mesh's routes, then Lattice's; default that order).
 */
export async function releaseRoutes(spec: { mesh?: DemoService[]; lattice?: DemoService[]; order?: number[] }, clients = shared()): Promise<TestRoute[]> {
  const routes: TestRoute[] = [];
  if (spec.mesh?.length) {
    const meshName = unique('rel');
    await createDemoMesh(clients.appMesh, meshName);
    routes.push(...spec.mesh.map((s) => meshRoute(clients.appMesh, meshName, s)));
  }
  if (spec.lattice?.length) {
    const demo = await createDemoLattice(clients.lattice, unique('rl'));
    for (const s of spec.lattice) routes.push(await latticeRoute(clients.lattice, demo, s));
  }
  return spec.order ? spec.order.map((i) => routes[i]) : routes;
}

/** The release input's `routes`. */
export const entries = (routes: readonly TestRoute[]) => routes.map((r) => structuredClone(r.entry));

/** Every route's state (version, canary percent) now, in order. */
export const states = (routes: readonly TestRoute[]) => Promise.all(routes.map((r) => r.state()));
export const versions = (routes: readonly TestRoute[]) => Promise.all(routes.map((r) => r.version()));
export const canaryPercents = (routes: readonly TestRoute[]) => Promise.all(routes.map((r) => r.canaryPercent()));

/** Whether each route is promoted from its state `before`. */
export const allPromoted = (routes: readonly TestRoute[], before: readonly unknown[]) => Promise.all(routes.map((r, i) => r.promotedFrom(before[i])));

/** The lock table's items: all, or an execution's, or those of the given routes' keys. */
export async function lockItems(filter: { executionId?: string; keys?: string[] } = {}, client = new DynamoDBClient({}), tableName = stack().outputs.LockTableName) {
  const items: { route: string; executionId: string }[] = [];
  let start: Record<string, any> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []).map((i) => ({ route: i.route.S!, executionId: i.executionId?.S ?? '' })));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.filter((i) => (filter.executionId === undefined || i.executionId === filter.executionId)
    && (filter.keys === undefined || filter.keys.includes(i.route)));
}

/** The event EventBridge sends when the execution ends (events/guard-aborted.json, made this execution's). */
export function guardEvent(end: { executionArn?: string; stateMachineArn?: string; name?: string; status?: string; error?: string; input?: string }) {
  const documented = event('guard-aborted.json');
  return {
    ...documented,
    resources: [end.executionArn],
    detail: { ...documented.detail, executionArn: end.executionArn, stateMachineArn: end.stateMachineArn, name: end.name, status: end.status, error: end.error ?? null, input: end.input ?? documented.detail.input },
  };
}
