// The seed's demo mesh: order, product and customer services, each with a virtual node, a
// virtual router and a route sending all traffic to v1, plus the product v1.5 and customer v2
// nodes that the seed's canaries moved traffic to (and order v2 and product v2 for the
// sandbox's approval and bad-release stories). Used by the tests, the benchmark and the sandbox.
import {
  AppMeshClient, CreateMeshCommand, CreateRouteCommand, CreateVirtualNodeCommand, CreateVirtualRouterCommand,
  type RouteSpec,
} from '@aws-sdk/client-app-mesh';

export const DEMO_MESH = 'demomesh';
export const services = ['order', 'product', 'customer'] as const;
export const canaryNodes = ['product-v15-vn', 'customer-v2-vn', 'order-v2-vn', 'product-v2-vn'] as const;

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
  for (const virtualNodeName of [...services.map((s) => `${s}-vn`), ...canaryNodes]) {
    const host = virtualNodeName.replace(/-vn$/, '');
    await client.send(new CreateVirtualNodeCommand({ meshName, virtualNodeName, spec: nodeSpec(`${host}.prod.svc.cluster.local`) }));
  }
  for (const s of services) {
    await client.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName: `${s}-vr`, spec: { listeners: [listener] } }));
    await client.send(new CreateRouteCommand({ meshName, virtualRouterName: `${s}-vr`, routeName: `${s}-r`, spec: v1RouteSpec(`${s}-vn`) }));
  }
}

/**
 * `count` more routes in a mesh made by createDemoMesh: a virtual router `${prefix}-${i}-vr` each,
 * with a route `${prefix}-${i}-r` sending everything to `node` (the bench's many-route figures).
 * Returns the routes' references, in order.
 */
export async function createRoutesTo(client: AppMeshClient, meshName: string, prefix: string, count: number, node = 'product-vn') {
  const routes = Array.from({ length: count }, (_, i) => ({ meshName, virtualRouterName: `${prefix}-${i}-vr`, routeName: `${prefix}-${i}-r` }));
  for (const r of routes) {
    await client.send(new CreateVirtualRouterCommand({ meshName, virtualRouterName: r.virtualRouterName, spec: { listeners: [listener] } }));
    await client.send(new CreateRouteCommand({ ...r, spec: v1RouteSpec(node) }));
  }
  return routes;
}
