// App Mesh traffic router: every App Mesh call mesh-canary makes is in this file.
// Writes are read-compute-write with absolute weights, and skipped when nothing would change.
import { createHash } from 'node:crypto';
import {
  DescribeRouteCommand, DescribeVirtualNodeCommand, UpdateRouteCommand,
  type AppMeshClient, type RouteData, type RouteSpec,
} from '@aws-sdk/client-app-mesh';
import type { RouteRef, RouteSnapshot } from '../deployment.ts';
import { routeLabel } from '../deployment.ts';
import {
  RouteDriftDetected, RouteNotFound, TargetNotInRoute, UnsupportedRoute, VirtualNodeNotFound, wrapAwsError,
} from '../errors.ts';
import { plainTargets, routeKindOf, weightedTargetsOf, withWeightedTargets, type RouteKind, type RouteSpecLike } from '../route-spec.ts';
import { drifted, MAX_TARGETS, MAX_WEIGHT, poolOf, promoted, sameTargets, undone, withCanaryShare, type WeightedTarget } from '../weights.ts';
import type { RestoreResult, ShiftResult, TrafficRouter, WriteGuard } from './router.ts';

export interface AppMeshTarget {
  route: RouteRef;
  stableNode: string;
  canaryNode: string;
}

interface ReadRoute {
  spec: RouteSpecLike;
  kind: RouteKind;
  version: number;
}

export function appMeshRouter(client: AppMeshClient, target: AppMeshTarget): TrafficRouter {
  const { route, stableNode, canaryNode } = target;
  const label = routeLabel(route);
  const ids = {
    meshName: route.meshName,
    virtualRouterName: route.virtualRouterName,
    routeName: route.routeName,
    ...(route.meshOwner ? { meshOwner: route.meshOwner } : {}),
  };

  async function read(): Promise<ReadRoute> {
    let data: RouteData | undefined;
    try {
      data = (await client.send(new DescribeRouteCommand(ids))).route;
    } catch (err) {
      throw wrapAwsError(err, `DescribeRoute ${label}`, (m) => new RouteNotFound(m));
    }
    if (!data?.spec) throw new RouteNotFound(`DescribeRoute ${label}: the response has no route spec`);
    const spec = data.spec as RouteSpecLike;
    return { spec, kind: routeKindOf(spec, label), version: data.metadata?.version ?? 0 };
  }

  function sameKind(r: ReadRoute, snapshot: RouteSnapshot): void {
    if (r.kind !== snapshot.routeKind) {
      throw new UnsupportedRoute(`${label}: the route is a ${r.kind} now but was a ${snapshot.routeKind} when the deployment began; not touching it`);
    }
  }

  async function write(r: ReadRoute, next: WeightedTarget[], guard: WriteGuard = {}): Promise<ShiftResult> {
    const current = plainTargets(r.spec[r.kind]?.action?.weightedTargets ?? []);
    if (sameTargets(current, next)) {
      return { changed: false, weightedTargets: next, routeVersion: r.version };
    }
    if (guard.expected && drifted(current, guard.expected, next, stableNode, canaryNode)) {
      const show = (ts: WeightedTarget[]) => ts.map((t) => `${t.virtualNode} ${t.weight}`).join(', ');
      throw new RouteDriftDetected(`${label}: the route changed since this deployment last wrote it: it has ${show(current)}, this deployment left ${show(guard.expected)}. Not overwriting someone else's change`);
    }
    await guard.beforeWrite?.();
    const spec = withWeightedTargets(r.spec, r.kind, next, label);
    // Same request → same token, so a retried UpdateRoute is not applied twice.
    const clientToken = createHash('sha256').update(JSON.stringify([label, r.version, next])).digest('hex').slice(0, 36);
    try {
      const out = await client.send(new UpdateRouteCommand({ ...ids, spec: spec as RouteSpec, clientToken }));
      return { changed: true, weightedTargets: next, routeVersion: out.route?.metadata?.version ?? r.version + 1 };
    } catch (err) {
      throw wrapAwsError(err, `UpdateRoute ${label}`, (m) => new VirtualNodeNotFound(m));
    }
  }

  function stableIn(targets: WeightedTarget[]): void {
    if (!targets.some((t) => t.virtualNode === stableNode)) {
      throw new TargetNotInRoute(`${label}: stable virtual node ${stableNode} is not a weighted target of the route (targets: ${targets.map((t) => t.virtualNode).join(', ')})`);
    }
  }

  return {
    type: 'appmesh',

    async snapshot() {
      const r = await read();
      const targets = weightedTargetsOf(r.spec, r.kind, label);
      stableIn(targets);
      const canaryWeight = targets.find((t) => t.virtualNode === canaryNode)?.weight ?? 0;
      if (canaryWeight > 0) {
        throw new UnsupportedRoute(`${label}: the canary ${canaryNode} already carries weight ${canaryWeight}; a deployment starts from a canary at 0 (set it to 0, or roll back the deployment that left it there)`);
      }
      const pool = poolOf(targets, stableNode, canaryNode);
      if (pool === 0) {
        throw new UnsupportedRoute(`${label}: ${stableNode} and ${canaryNode} carry weight 0 together, so there is no traffic to shift`);
      }
      if (pool > MAX_WEIGHT) {
        throw new UnsupportedRoute(`${label}: ${stableNode} and ${canaryNode} carry weight ${pool} together; a promoted canary could not hold more than ${MAX_WEIGHT}. Lower their weights first`);
      }
      if (!targets.some((t) => t.virtualNode === canaryNode) && targets.length >= MAX_TARGETS) {
        throw new UnsupportedRoute(`${label}: the route already has ${MAX_TARGETS} weighted targets, App Mesh's limit, so ${canaryNode} cannot be added`);
      }
      try {
        const node = await client.send(new DescribeVirtualNodeCommand({
          meshName: route.meshName, virtualNodeName: canaryNode, ...(route.meshOwner ? { meshOwner: route.meshOwner } : {}),
        }));
        const status = node.virtualNode?.status?.status;
        if (status && status !== 'ACTIVE') throw new VirtualNodeNotFound(`${route.meshName}/${canaryNode}: the canary virtual node is ${status}`);
      } catch (err) {
        throw wrapAwsError(err, `DescribeVirtualNode ${route.meshName}/${canaryNode}`, (m) => new VirtualNodeNotFound(m));
      }
      return { router: 'appmesh', routeKind: r.kind, weightedTargets: targets, version: r.version, takenAt: new Date().toISOString() };
    },

    async setCanaryShare(snapshot, share, guard) {
      const r = await read();
      sameKind(r, snapshot);
      const current = weightedTargetsOf(r.spec, r.kind, label);
      stableIn(current);
      const pool = poolOf(snapshot.weightedTargets, stableNode, canaryNode);
      return write(r, withCanaryShare(current, { stable: stableNode, canary: canaryNode, pool, share }), guard);
    },

    async promote(snapshot, { keepStableTarget }, guard) {
      const r = await read();
      sameKind(r, snapshot);
      const current = weightedTargetsOf(r.spec, r.kind, label);
      const pool = poolOf(snapshot.weightedTargets, stableNode, canaryNode);
      return write(r, promoted(current, { stable: stableNode, canary: canaryNode, pool, keepStableTarget }), guard);
    },

    async restore(snapshot, guard): Promise<RestoreResult> {
      const r = await read();
      sameKind(r, snapshot);
      const current = plainTargets(r.spec[r.kind]?.action?.weightedTargets ?? []);
      // Undo this deployment only: a third target someone re-weighted meanwhile keeps their weight.
      const { targets, keptChanges } = undone(current, snapshot.weightedTargets, stableNode, canaryNode);
      if (targets.length > MAX_TARGETS) {
        throw new UnsupportedRoute(`${label}: putting ${stableNode} back would give the route ${targets.length} weighted targets, above App Mesh's limit of ${MAX_TARGETS} (targets were added during the deployment); someone must choose which to drop`);
      }
      return { ...await write(r, targets, { beforeWrite: guard?.beforeWrite }), keptChanges };
    },

    async current() {
      const r = await read();
      return { weightedTargets: plainTargets(r.spec[r.kind]?.action?.weightedTargets ?? []), routeVersion: r.version };
    },
  };
}

