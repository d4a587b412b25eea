// App Mesh traffic router: every App Mesh call mesh-canary makes is in this folder. It reads a
// route as neutral targets (virtual node → id) and writes the whole weightedTargets list back,
// leaving the rest of the spec (match, retries, timeouts, priority) exactly as it was.
import { createHash } from 'node:crypto';
import {
  AppMeshClient, DescribeRouteCommand, DescribeVirtualNodeCommand, UpdateRouteCommand,
  type AppMeshClientConfig, type RouteData, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import { AwsRequestRejected, RouteNotFound, VirtualNodeNotFound, wrapAwsError } from '../../errors.ts';
import type { Codec, RouteState, Snapshot, TrafficRouter, Words } from '../types.ts';
import {
  appMeshIdentity, appMeshLabel, type AppMeshRouteRef, type AppMeshSnapshot, type AppMeshTarget, type MeshTarget,
} from './reference.ts';
import { plainTargets, routeKindOf, withWeightedTargets, type RouteKind, type RouteSpecLike } from './route-spec.ts';
import { appMeshLimits } from './schema.ts';

export { appMeshLimits };

export { appMeshLabel, isAppMeshRoute, type AppMeshRouteRef, type AppMeshSnapshot, type AppMeshTarget } from './reference.ts';

export const appMeshWords: Words = { backend: 'App Mesh', target: 'virtual node' };

/** What the router needs: an App Mesh client, made on first use. */
export interface AppMeshClients {
  appMesh(): AppMeshClient;
}

/** A client for the CLI and scripts (Lambda functions use the module-scope one in clients/appmesh.ts). */
export const newAppMeshClient = (config: AppMeshClientConfig): AppMeshClient => new AppMeshClient(config);

const toNeutral = (t: AppMeshTarget): MeshTarget =>
  (t.port === undefined || t.port === null ? { id: t.virtualNode, weight: t.weight } : { id: t.virtualNode, weight: t.weight, port: t.port });
const toWire = (t: MeshTarget): AppMeshTarget =>
  (t.port === undefined || t.port === null ? { virtualNode: t.id, weight: t.weight } : { virtualNode: t.id, weight: t.weight, port: t.port });

export const appMeshCodec: Codec<MeshTarget> = {
  idField: 'virtualNode',
  targetsIn: (wire) => plainTargets(wire as AppMeshTarget[]).map(toNeutral),
  targetsOut: (targets) => targets.map(toWire),
  revisionOut: (revision) => Number(revision),
  snapshotIn: (wire) => {
    const s = wire as AppMeshSnapshot;
    return { targets: plainTargets(s.weightedTargets).map(toNeutral), revision: String(s.version), kind: s.routeKind, takenAt: s.takenAt };
  },
  snapshotOut: (s: Snapshot<MeshTarget>): AppMeshSnapshot => ({
    router: 'appmesh', routeKind: s.kind as RouteKind, weightedTargets: s.targets.map(toWire), version: Number(s.revision), takenAt: s.takenAt,
  }),
};

export function appMeshRouter(clients: AppMeshClients, route: AppMeshRouteRef, stable: string, canary: string): TrafficRouter<MeshTarget> {
  const label = appMeshLabel(route);
  const owner = route.meshOwner ? { meshOwner: route.meshOwner } : {};
  const ids = { meshName: route.meshName, virtualRouterName: route.virtualRouterName, routeName: route.routeName, ...owner };

  const router: TrafficRouter<MeshTarget> = {
    type: 'appmesh', label, stable, canary, limits: appMeshLimits, words: appMeshWords, codec: appMeshCodec,

    async identity(account) {
      // Leaving meshOwner out means the caller's own account: the same route either way.
      const owner = route.meshOwner ?? account;
      return owner ? appMeshIdentity(route, owner) : (await router.read()).identity;
    },

    async read(): Promise<RouteState<MeshTarget>> {
      let data: RouteData | undefined;
      try {
        data = (await clients.appMesh().send(new DescribeRouteCommand(ids))).route;
      } catch (err) {
        throw wrapAwsError(err, `DescribeRoute ${label}`, (m) => new RouteNotFound(m));
      }
      if (!data?.spec) throw new RouteNotFound(`DescribeRoute ${label}: the response has no route spec`);
      const spec = data.spec as RouteSpecLike;
      const kind = routeKindOf(spec, label);
      // Omitting meshOwner means the caller's own account: the route says whose it is.
      const meshOwner = route.meshOwner ?? data.metadata?.meshOwner;
      if (!meshOwner) throw new AwsRequestRejected(`DescribeRoute ${label}: the response names no mesh owner, so the route's lock cannot be named; give route.meshOwner`);
      return {
        targets: plainTargets(spec[kind]?.action?.weightedTargets ?? []).map(toNeutral),
        revision: String(data.metadata?.version ?? 0), kind, identity: appMeshIdentity(route, meshOwner), raw: spec,
      };
    },

    async ensureCanStart() {
      try {
        const node = await clients.appMesh().send(new DescribeVirtualNodeCommand({ meshName: route.meshName, virtualNodeName: canary, ...owner }));
        const status = node.virtualNode?.status?.status;
        if (status && status !== 'ACTIVE') throw new VirtualNodeNotFound(`${route.meshName}/${canary}: the canary virtual node is ${status}`);
      } catch (err) {
        throw wrapAwsError(err, `DescribeVirtualNode ${route.meshName}/${canary}`, (m) => new VirtualNodeNotFound(m));
      }
    },

    async write(state, targets) {
      const spec = withWeightedTargets(state.raw as RouteSpecLike, state.kind as RouteKind, targets.map(toWire));
      // Same request → same token, so a retried UpdateRoute is not applied twice.
      const clientToken = createHash('sha256').update(JSON.stringify([label, Number(state.revision), targets.map(toWire)])).digest('hex').slice(0, 36);
      try {
        const out = await clients.appMesh().send(new UpdateRouteCommand({ ...ids, spec: spec as RouteSpec, clientToken }));
        return String(out.route?.metadata?.version ?? Number(state.revision) + 1);
      } catch (err) {
        throw wrapAwsError(err, `UpdateRoute ${label}`, (m) => new VirtualNodeNotFound(m));
      }
    },

    newTarget(id, weight, stableTarget) {
      // A canary added to the route serves on the stable's port.
      return stableTarget?.port === undefined ? { id, weight } : { id, weight, port: stableTarget.port };
    },
  };
  return router;
}
