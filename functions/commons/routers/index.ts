// The one place that picks a traffic router: from the way a deployment names its route (an App
// Mesh route has meshName/virtualRouterName/routeName, a VPC Lattice route service/listener and
// maybe rule) to the backend's router, made from plain clients. A new backend adds its folder and
// one entry here.
import { InvalidInput } from '../errors.ts';
import type { Target } from '../weights.ts';
import { appMeshCodec, appMeshLabel, appMeshRouter, appMeshWords, isAppMeshRoute, newAppMeshClient, type AppMeshClients, type AppMeshRouteRef } from './appmesh/index.ts';
import { isLatticeRoute, latticeCodec, latticeLabel, latticeRouter, latticeWords, newLatticeClient, type LatticeClients, type LatticeRouteRef } from './lattice/index.ts';
import type { Codec, RouterType, TrafficRouter, Words } from './types.ts';

export type { Codec, Limits, RouteState, RouterType, Snapshot, TrafficRouter, Words } from './types.ts';
export { latticeTargetGroupNames, type TargetGroupNames } from './lattice/names.ts';

/**
 * The clients the backends' routers need, each made on first use. A caller gives those of the
 * backends it routes (tests and tools often give one); a route whose backend has no client here
 * is refused by `routerFor`.
 */
export type RouterClients = Partial<AppMeshClients & LatticeClients>;

function clientsOf<K extends keyof RouterClients>(clients: RouterClients, key: K, backend: string): Required<Pick<RouterClients, K>> {
  if (!clients[key]) throw new Error(`no ${backend} client was given to the routers (RouterClients.${key})`);
  return clients as Required<Pick<RouterClients, K>>;
}

/** A route as a deployment names it, tagged with its backend. */
export type TaggedRoute =
  | { router: 'appmesh'; route: AppMeshRouteRef; stable: string; canary: string }
  | { router: 'lattice'; route: LatticeRouteRef; stable: string; canary: string; allowControllerManaged?: boolean };

/**
 * What a deployment (or an input) says about its route: App Mesh names its targets
 * stableNode/canaryNode (virtual nodes), VPC Lattice stableTargetGroup/canaryTargetGroup.
 */
export interface RouteNaming {
  route: unknown;
  stableNode?: unknown;
  canaryNode?: unknown;
  stableTargetGroup?: unknown;
  canaryTargetGroup?: unknown;
  /** VPC Lattice: deploy to a route the AWS Gateway API Controller manages (the input's opt-in). */
  allowControllerManaged?: unknown;
}

/** The backend of a route reference, or undefined when no backend recognises it. */
export function routerTypeOf(route: unknown): RouterType | undefined {
  if (isAppMeshRoute(route)) return 'appmesh';
  if (isLatticeRoute(route)) return 'lattice';
  return undefined;
}

/** The tagged route of a deployment. Throws InvalidInput when no backend recognises the reference. */
export function routeOf(d: RouteNaming): TaggedRoute {
  switch (routerTypeOf(d.route)) {
    case 'appmesh':
      return { router: 'appmesh', route: d.route as AppMeshRouteRef, stable: String(d.stableNode), canary: String(d.canaryNode) };
    case 'lattice':
      return {
        router: 'lattice', route: d.route as LatticeRouteRef, stable: String(d.stableTargetGroup), canary: String(d.canaryTargetGroup),
        ...(d.allowControllerManaged === true ? { allowControllerManaged: true } : {}),
      };
    default:
      throw new InvalidInput(['route must name an App Mesh route {"meshName", "virtualRouterName", "routeName"} or a VPC Lattice route {"service", "listener", "rule"?}']);
  }
}

/** The router for a route, from plain clients. */
export function routerFor(d: RouteNaming | TaggedRoute, clients: RouterClients): TrafficRouter<Target> {
  const r = 'router' in d && typeof d.router === 'string' ? d as TaggedRoute : routeOf(d as RouteNaming);
  switch (r.router) {
    case 'appmesh':
      return appMeshRouter(clientsOf(clients, 'appMesh', 'App Mesh'), r.route, r.stable, r.canary) as unknown as TrafficRouter<Target>;
    case 'lattice':
      return latticeRouter(clientsOf(clients, 'lattice', 'VPC Lattice'), r.route, r.stable, r.canary, { allowControllerManaged: r.allowControllerManaged });
  }
}

/** What can be known of a route's backend without a client: its label, words and wire format. */
export interface Backend {
  type: RouterType;
  /** The route as people name it: "mesh/router/route", "svc-…/listener-…/rule-…". */
  label: string;
  words: Words;
  codec: Codec<Target>;
}

/** The backend of a route reference (for labels, messages and reading step results), or undefined. */
export function backendOf(route: unknown): Backend | undefined {
  switch (routerTypeOf(route)) {
    case 'appmesh':
      return { type: 'appmesh', label: appMeshLabel(route as AppMeshRouteRef), words: appMeshWords, codec: appMeshCodec as unknown as Codec<Target> };
    case 'lattice':
      return { type: 'lattice', label: latticeLabel(route as LatticeRouteRef), words: latticeWords, codec: latticeCodec };
    default:
      return undefined;
  }
}

/** The route's label ("mesh/router/route") without a client: for messages and logs. */
export function routeLabelOf(route: unknown): string | undefined {
  switch (routerTypeOf(route)) {
    case 'appmesh':
      return appMeshLabel(route as AppMeshRouteRef);
    case 'lattice':
      return latticeLabel(route as LatticeRouteRef);
    default:
      return undefined;
  }
}

/** Client settings as the AWS CLI takes them: for the CLI and scripts. */
export interface ClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Every backend's clients, made on first use from one configuration; `wrap` decorates each (the CLI retries reads). */
export function newRouterClients(config: ClientConfig, wrap: <C extends { send: (...args: any[]) => Promise<any> }>(client: C) => C = (c) => c): Required<RouterClients> {
  const once = <T>(make: () => T) => {
    let client: T | undefined;
    return () => (client ??= make());
  };
  return { appMesh: once(() => wrap(newAppMeshClient(config))), lattice: once(() => wrap(newLatticeClient(config))) };
}
