// The router contract (test/support/router-contract.ts), run on the local AWS against App Mesh and
// VPC Lattice (a listener rule, and a listener's default action).
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  DescribeRouteCommand, UpdateRouteCommand, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import {
  CreateListenerCommand, CreateRuleCommand, CreateServiceCommand, CreateTargetGroupCommand, VPCLatticeClient,
  type RuleAction,
} from '@aws-sdk/client-vpc-lattice';
import type { Target } from '../../functions/commons/weights.ts';
import { latticeIdOf } from '../../functions/commons/routers/lattice/reference.ts';
import { stack, unique } from '../support/executions.ts';
import { LOCAL_ACCOUNT } from '../support/fixtures.ts';
import { routerContract, type RouterHarness } from '../support/router-contract.ts';
import { latticeTargets, setLatticeByHand } from '../support/lattice.ts';

const appMesh = new AppMeshClient({});
const spec = (targets: Target[]): RouteSpec => ({
  httpRoute: {
    match: { prefix: '/' },
    action: { weightedTargets: targets.map((t) => ({ virtualNode: t.id, weight: t.weight })) },
    retryPolicy: { maxRetries: 2, perRetryTimeout: { unit: 'ms', value: 2000 }, httpRetryEvents: ['server-error'] },
  },
});

const appMeshHarness: RouterHarness = {
  name: 'App Mesh',
  clients: { appMesh: () => appMesh },
  account: LOCAL_ACCOUNT,
  lockTableName: () => stack().outputs.LockTableName,
  async route(targets) {
    const meshName = unique('contract');
    const ids = { meshName, virtualRouterName: 'vr', routeName: 'r' };
    await appMesh.send(new CreateMeshCommand({ meshName }));
    for (const virtualNodeName of ['s', 'c', 'x', 'y', 'z']) {
      await appMesh.send(new CreateVirtualNodeCommand({ meshName, virtualNodeName, spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] } }));
    }
    await appMesh.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName: 'vr', spec: { listeners: [{ portMapping: { port: 8080, protocol: 'http' } }] } }));
    await appMesh.send(new CreateRouteCommand({ ...ids, spec: spec(targets) }));
    const describe = async () => (await appMesh.send(new DescribeRouteCommand(ids))).route!;
    const created = (await describe()).metadata!.version!;
    return {
      naming: { route: ids, stableNode: 's', canaryNode: 'c' },
      // meshOwner written out (the mesh's own account) is the same route as meshOwner left out.
      otherNamings: [{ route: { ...ids, meshOwner: LOCAL_ACCOUNT }, stableNode: 's', canaryNode: 'c' }],
      targets: async () => ((await describe()).spec!.httpRoute!.action!.weightedTargets ?? []).map((t) => ({ id: t.virtualNode!, weight: t.weight! })),
      writes: async () => (await describe()).metadata!.version! - created,
      setByHand: async (ts) => {
        await appMesh.send(new UpdateRouteCommand({ ...ids, spec: spec(ts) }));
      },
    };
  },
};

routerContract(appMeshHarness);

// ------------------------------------------------------------------------------- VPC Lattice

/**
 * Lattice has no revision counter (lastUpdatedAt only): the harness counts the writes its client
 * sends, by rule or listener ID, whoever sends them (the router under test or setByHand).
 */
const writesTo = new Map<string, number>();
const lattice = new VPCLatticeClient({});
lattice.middlewareStack.add((next, context) => async (args) => {
  const out = await next(args);
  const input = args.input as { ruleIdentifier?: string; listenerIdentifier?: string };
  const key = context.commandName === 'UpdateRuleCommand' ? input.ruleIdentifier
    : context.commandName === 'UpdateListenerCommand' ? input.listenerIdentifier : undefined;
  if (key) writesTo.set(latticeIdOf(key), (writesTo.get(latticeIdOf(key)) ?? 0) + 1);
  return out;
}, { step: 'initialize', name: 'countWrites' });

/** The contract's target groups "s", "c", "x", "y", "z": made once, shared by every route. */
const groups: Record<string, { id: string; arn: string }> = {};
beforeAll(async () => {
  const prefix = unique('contract');
  for (const name of ['s', 'c', 'x', 'y', 'z']) {
    const tg = await lattice.send(new CreateTargetGroupCommand({ name: `${prefix}-${name}`, type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' } }));
    groups[name] = { id: tg.id!, arn: tg.arn! };
  }
});

const forward = (targets: Target[]): RuleAction => ({ forward: { targetGroups: targets.map((t) => ({ targetGroupIdentifier: t.id, weight: t.weight })) } });

function latticeHarness(kind: 'rule' | 'default action'): RouterHarness {
  return {
    name: `VPC Lattice ${kind}`,
    clients: { lattice: () => lattice },
    account: LOCAL_ACCOUNT,
    lockTableName: () => stack().outputs.LockTableName,
    id: (name) => groups[name].id,
    async route(targets) {
      const service = await lattice.send(new CreateServiceCommand({ name: unique('contract') }));
      // A rule route's listener forwards elsewhere by default, so the two are told apart.
      const listener = await lattice.send(new CreateListenerCommand({
        serviceIdentifier: service.id, name: 'web', protocol: 'HTTP', port: 80,
        defaultAction: kind === 'rule' ? forward([{ id: groups.z.id, weight: 100 }]) : forward(targets),
      }));
      const rule = kind === 'rule'
        ? await lattice.send(new CreateRuleCommand({
          serviceIdentifier: service.id, listenerIdentifier: listener.id, name: 'canary', priority: 10,
          match: { httpMatch: { pathMatch: { match: { prefix: '/' } } } }, action: forward(targets),
        }))
        : undefined;
      const ref = { service: service.id!, listener: listener.id!, ...(rule ? { rule: rule.id! } : {}) };
      const arns = { service: service.arn!, listener: listener.arn!, ...(rule ? { rule: rule.arn! } : {}) };
      const names = { stableTargetGroup: groups.s.id, canaryTargetGroup: groups.c.id };
      const arnNames = { stableTargetGroup: groups.s.arn, canaryTargetGroup: groups.c.arn };
      const written = rule ? rule.id! : listener.id!;
      return {
        naming: { route: ref, ...names },
        otherNamings: [
          { route: arns, ...arnNames }, // every identifier as an ARN
          { route: { ...ref, listener: arns.listener }, ...names }, // IDs and ARNs mixed
          { route: { ...arns, service: ref.service }, ...arnNames },
        ],
        targets: async () => (await latticeTargets(ref)).map((g) => ({ id: g.targetGroupIdentifier!, weight: g.weight! })),
        writes: async () => writesTo.get(written) ?? 0,
        setByHand: async (ts) => {
          await setLatticeByHand(ref, ts.map((t) => ({ targetGroupIdentifier: t.id, weight: t.weight })));
          writesTo.set(written, (writesTo.get(written) ?? 0) + 1);
        },
      };
    },
  };
}

routerContract(latticeHarness('rule'));
routerContract(latticeHarness('default action'));
