// The seed's demo mesh: order, product and customer services, each with a virtual node, a
// virtual router and a route sending all traffic to v1, plus the product v1.5 and customer v2
// nodes that the canaries move traffic to. Used by the tests, the benchmark and the sandbox.
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  type RouteSpec,
} from '@aws-sdk/client-app-mesh';

export const DEMO_MESH = 'demomesh';
export const services = ['order', 'product', 'customer'] as const;
export const canaryNodes = { product: 'product-v15-vn', customer: 'customer-v2-vn' } as const;

const listener = { portMapping: { port: 8080, protocol: 'http' as const } };

function nodeSpec(hostname: string) {
  return { listeners: [listener], serviceDiscovery: { dns: { hostname } } };
}

/** An httpRoute sending everything to `node`, with the match and retry policy a real one has. */
export function v1RouteSpec(node: string): RouteSpec {
  return {
    httpRoute: {
      match: { prefix: '/' },
      action: { weightedTargets: [{ virtualNode: node, weight: 100 }] },
      retryPolicy: { maxRetries: 2, perRetryTimeout: { unit: 'ms', value: 2000 }, httpRetryEvents: ['server-error', 'gateway-error'] },
    },
  };
}

/** Creates the demo mesh (or another mesh of the same shape under `meshName`). */
export async function createDemoMesh(client: AppMeshClient, meshName = DEMO_MESH): Promise<void> {
  await client.send(new CreateMeshCommand({ meshName }));
  const nodes = [...services.map((s) => [`${s}-vn`, s] as const), [canaryNodes.product, 'product-v15'] as const, [canaryNodes.customer, 'customer-v2'] as const];
  for (const [virtualNodeName, host] of nodes) {
    await client.send(new CreateVirtualNodeCommand({ meshName, virtualNodeName, spec: nodeSpec(`${host}.prod.svc.cluster.local`) }));
  }
  for (const s of services) {
    await client.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName: `${s}-vr`, spec: { listeners: [listener] } }));
    await client.send(new CreateRouteCommand({ meshName, virtualRouterName: `${s}-vr`, routeName: `${s}-r`, spec: v1RouteSpec(`${s}-vn`) }));
  }
}
