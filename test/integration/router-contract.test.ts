// The router contract (test/support/router-contract.ts), run against App Mesh on the local AWS.
// A VPC Lattice router joins by adding its harness here.
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  DescribeRouteCommand, UpdateRouteCommand, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import type { Target } from '../../functions/commons/weights.ts';
import { stack, unique } from '../support/executions.ts';
import { LOCAL_ACCOUNT } from '../support/fixtures.ts';
import { routerContract, type RouterHarness } from '../support/router-contract.ts';

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
