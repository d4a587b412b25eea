// VPC Lattice traffic router: every VPC Lattice call mesh-canary makes is in this folder. A route
// is a listener rule (GetRule/UpdateRule) or, when no rule is given, a listener's default action
// (GetListener/UpdateListener). It reads the action's forward target groups as neutral targets
// (target group ID → id) and writes the whole list back, every weight explicit (including 0):
// UpdateRule is a PATCH that gets only `action`, so match and priority stay as they are;
// UpdateListener needs `defaultAction` whole, which is the forward action alone.
// No Lattice update takes a version or a client token: the revision is lastUpdatedAt, for the
// record only, and a retried write is safe because the writer never writes a route that already
// holds what it would write.
// Routes the AWS Gateway API Controller manages are refused before any change (ensureCanStart),
// unless the input opts in: the controller reconciles them from a Kubernetes route and reverts
// other writers, so the weights belong in that route.
import {
  GetListenerCommand, GetRuleCommand, ListTagsForResourceCommand, UpdateListenerCommand, UpdateRuleCommand, VPCLatticeClient,
  type RuleAction, type VPCLatticeClientConfig, type WeightedTargetGroup,
} from '@aws-sdk/client-vpc-lattice';
import {
  AwsRequestRejected, ControllerManagedRoute, RouteNotFound, UnsupportedRoute, TargetGroupNotFound, wrapAwsError, type MeshCanaryError,
} from '../../errors.ts';
import type { Target } from '../../weights.ts';
import type { Codec, RouteState, Snapshot, TrafficRouter, Words } from '../types.ts';
import {
  latticeArn, latticeIdOf, latticeIdentity, latticeIds, latticeLabel, latticePrefixOf, type LatticeRouteRef,
} from './reference.ts';
import { latticeLimits, type LatticeRouteKind, type LatticeSnapshot, type LatticeTarget } from './schema.ts';

export { latticeLimits };
export { isLatticeRoute, latticeLabel, type LatticeRouteRef } from './reference.ts';
export type { LatticeSnapshot, LatticeTarget } from './schema.ts';

export const latticeWords: Words = { backend: 'VPC Lattice', target: 'target group' };

/** What the router needs: a VPC Lattice client, made on first use. */
export interface LatticeClients {
  lattice(): VPCLatticeClient;
}

/** A client for the CLI and scripts (Lambda functions use the module-scope one in clients/lattice.ts). */
export const newLatticeClient = (config: VPCLatticeClientConfig): VPCLatticeClient => new VPCLatticeClient(config);

const toNeutral = (t: LatticeTarget): Target => ({ id: latticeIdOf(t.targetGroupIdentifier), weight: t.weight });
const toWire = (t: Target): LatticeTarget => ({ targetGroupIdentifier: t.id, weight: t.weight });

export const latticeCodec: Codec<Target> = {
  idField: 'targetGroupIdentifier',
  targetsIn: (wire) => (wire as LatticeTarget[]).map(toNeutral),
  targetsOut: (targets) => targets.map(toWire),
  // Lattice has no version: lastUpdatedAt, or null after a write (its response does not say).
  revisionOut: (revision) => revision || null,
  snapshotIn: (wire) => {
    const s = wire as LatticeSnapshot;
    return { targets: s.weightedTargets.map(toNeutral), revision: s.lastUpdatedAt ?? '', kind: s.routeKind, takenAt: s.takenAt };
  },
  snapshotOut: (s: Snapshot<Target>): LatticeSnapshot => ({
    router: 'lattice', routeKind: s.kind as LatticeRouteKind, weightedTargets: s.targets.map(toWire),
    ...(s.revision ? { lastUpdatedAt: s.revision } : {}), takenAt: s.takenAt,
  }),
};

/**
 * The tags of the AWS Gateway API Controller (aws/aws-application-networking-k8s: pkg/aws/cloud.go,
 * pkg/model/lattice/targetgroup.go). ManagedBy ("ACCOUNT/CLUSTER/VPC") is on every service, listener
 * and rule it creates (pkg/deploy/lattice/{service,listener,rule}_manager.go); the Kubernetes route
 * it reconciles them from is named by RouteName, RouteNamespace and RouteType on the service only.
 */
export const controllerTags = {
  managedBy: 'application-networking.k8s.aws/ManagedBy',
  routeName: 'application-networking.k8s.aws/RouteName',
  routeNamespace: 'application-networking.k8s.aws/RouteNamespace',
  routeType: 'application-networking.k8s.aws/RouteType',
} as const;
/** The controller's RouteType values (pkg/model/core) and the Gateway API kinds they stand for. */
const routeKinds: Record<string, string> = { http: 'HTTPRoute', grpc: 'GRPCRoute', tls: 'TLSRoute' };

/** What the router is allowed beyond the route reference. */
export interface LatticeRouterOptions {
  /** Deploy to a route the AWS Gateway API Controller manages (the input's allowControllerManaged). */
  allowControllerManaged?: boolean;
}

/** Lattice says ResourceNotFoundException (and names the resource's type); the shared wrapper knows AWS's NotFoundException. */
function wrap(err: unknown, action: string, notFound: (message: string, resourceType?: string) => MeshCanaryError): MeshCanaryError {
  const e = err as { name?: string; message?: string; resourceType?: string; resourceId?: string };
  if (e?.name === 'ResourceNotFoundException') {
    const what = [e.resourceType, e.resourceId].filter(Boolean).join(' ');
    return notFound(`${action}: ResourceNotFoundException${what ? ` (${what})` : ''}: ${e.message ?? ''}`, e.resourceType);
  }
  return wrapAwsError(err, action);
}

/** The forward action's target groups; any other action (a fixed response) cannot be shifted. */
function forwardTargets(action: RuleAction | undefined, label: string, what: string): LatticeTarget[] {
  const groups = action && 'forward' in action && action.forward ? action.forward.targetGroups : undefined;
  if (!groups) {
    const kind = action && 'fixedResponse' in action && action.fixedResponse ? 'a fixed response' : 'not a forward action';
    throw new UnsupportedRoute(`${label}: the ${what} is ${kind}; mesh-canary shifts weights between the target groups of a forward action`);
  }
  return groups.map((g: WeightedTargetGroup) => {
    if (!g.targetGroupIdentifier) throw new UnsupportedRoute(`${label}: the ${what} forwards to a target group with no identifier`);
    // AWS documents a lone target group's default weight as 100 (and elsewhere as 1): either way all the traffic.
    if (g.weight === undefined || g.weight === null) {
      if (groups.length === 1) return { targetGroupIdentifier: g.targetGroupIdentifier, weight: 100 };
      throw new UnsupportedRoute(`${label}: target group ${g.targetGroupIdentifier} of the ${what} has no explicit weight; give every target group a weight first`);
    }
    return { targetGroupIdentifier: g.targetGroupIdentifier, weight: g.weight };
  });
}

export function latticeRouter(clients: LatticeClients, route: LatticeRouteRef, stable: string, canary: string, options: LatticeRouterOptions = {}): TrafficRouter<Target> {
  const label = latticeLabel(route);
  const ids = latticeIds(route);
  const kind: LatticeRouteKind = ids.rule ? 'rule' : 'defaultAction';
  const what = ids.rule ? 'rule' : 'listener\'s default action';
  // The identifiers sent: ARNs when the reference gave the account and region (a service shared
  // from another account is found by ARN), IDs otherwise.
  const service = ids.prefix ? `${ids.prefix}:service/${ids.service}` : ids.service;
  const listener = ids.prefix ? latticeArn({ service: ids.service, listener: ids.listener }, ids.prefix) : ids.listener;
  const rule = ids.rule && (ids.prefix ? latticeArn(ids, ids.prefix) : ids.rule);
  const settled = latticeIdentity(route);

  /** A resource's tags. Access denied is its own message: the check cannot be made, so nothing starts. */
  async function tagsOf(resourceArn: string): Promise<Record<string, string>> {
    const call = `ListTagsForResource ${resourceArn}`;
    try {
      const out = await clients.lattice().send(new ListTagsForResourceCommand({ resourceArn }));
      return out?.tags ?? {};
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e?.name === 'AccessDeniedException') {
        throw new AwsRequestRejected(`${call}: AccessDeniedException: ${e.message ?? ''}. Before a deployment mesh-canary reads the tags of the ${what} `
          + 'and its service, to refuse routes the AWS Gateway API Controller manages: grant the prepare function vpc-lattice:ListTagsForResource '
          + 'on both, or set allowControllerManaged: true in the input to skip the check. Nothing was changed', { cause: err });
      }
      throw wrap(err, call, (m) => new RouteNotFound(m));
    }
  }

  /** The rule (or listener) as Lattice returns it, and its canonical identity; the action is not judged here. */
  async function fetchRoute(): Promise<{ action?: RuleAction; lastUpdatedAt?: Date; identity: string }> {
    const call = ids.rule ? `GetRule ${label}` : `GetListener ${label}`;
    let out: { arn?: string; action?: RuleAction; lastUpdatedAt?: Date };
    try {
      if (rule) {
        const r = await clients.lattice().send(new GetRuleCommand({ serviceIdentifier: service, listenerIdentifier: listener, ruleIdentifier: rule }));
        out = { arn: r.arn, action: r.action, lastUpdatedAt: r.lastUpdatedAt };
      } else {
        const l = await clients.lattice().send(new GetListenerCommand({ serviceIdentifier: service, listenerIdentifier: listener }));
        out = { arn: l.arn, action: l.defaultAction, lastUpdatedAt: l.lastUpdatedAt };
      }
    } catch (err) {
      throw wrap(err, call, (m) => new RouteNotFound(m));
    }
    const prefix = ids.prefix ?? latticePrefixOf(out.arn);
    if (!prefix) throw new RouteNotFound(`${call}: the response names no ARN, so the route's lock cannot be named`);
    return { action: out.action, lastUpdatedAt: out.lastUpdatedAt, identity: latticeArn(ids, prefix) };
  }

  const router: TrafficRouter<Target> = {
    type: 'lattice', label, stable: latticeIdOf(stable), canary: latticeIdOf(canary), limits: latticeLimits, words: latticeWords, codec: latticeCodec,

    async identity() {
      // An ARN anywhere in the reference settles it; IDs alone need the route's own ARN, whatever
      // its action is now (a lock must be nameable even when the action is no longer a forward).
      return settled ?? (await fetchRoute()).identity;
    },

    async read(): Promise<RouteState<Target>> {
      const out = await fetchRoute();
      return {
        targets: forwardTargets(out.action, label, what).map(toNeutral),
        revision: out.lastUpdatedAt ? new Date(out.lastUpdatedAt).toISOString() : '',
        kind, identity: out.identity, raw: out.action,
      };
    },

    async ensureCanStart(state) {
      // A canary target group that does not exist is refused by the first UpdateRule/UpdateListener
      // (ResourceNotFoundException → TargetGroupNotFound naming it), before any traffic moves.
      // The AWS Gateway API Controller tags the rule (or listener) and the service it manages;
      // either tag refuses, and the service's tags name the Kubernetes route to shift instead.
      if (options.allowControllerManaged) return;
      const prefix = latticePrefixOf(state.identity) ?? ids.prefix;
      const [own, svc] = await Promise.all([tagsOf(state.identity), tagsOf(`${prefix}:service/${ids.service}`)]);
      const managedBy = own[controllerTags.managedBy] ?? svc[controllerTags.managedBy];
      if (managedBy === undefined) return;
      const tagged = own[controllerTags.managedBy] !== undefined ? `the ${what}` : 'its service';
      const kind = routeKinds[svc[controllerTags.routeType] ?? ''] ?? 'HTTPRoute';
      const name = svc[controllerTags.routeNamespace] && svc[controllerTags.routeName]
        ? `${kind} ${svc[controllerTags.routeNamespace]}/${svc[controllerTags.routeName]}`
        : `the ${kind} it was made from (the service names none in its RouteName tag)`;
      throw new ControllerManagedRoute(`${label}: the AWS Gateway API Controller manages this route (${tagged} is tagged `
        + `${controllerTags.managedBy}=${managedBy}); it reconciles the ${what} from Kubernetes and can revert weights written here. `
        + `Shift weights in ${name} instead (the weights of its backendRefs), or set allowControllerManaged: true in the input `
        + 'to deploy here anyway. Nothing was changed');
    },

    async write(_state, targets) {
      const action = { forward: { targetGroups: targets.map(toWire) } };
      const call = ids.rule ? `UpdateRule ${label}` : `UpdateListener ${label}`;
      try {
        if (rule) await clients.lattice().send(new UpdateRuleCommand({ serviceIdentifier: service, listenerIdentifier: listener, ruleIdentifier: rule, action }));
        else await clients.lattice().send(new UpdateListenerCommand({ serviceIdentifier: service, listenerIdentifier: listener, defaultAction: action }));
      } catch (err) {
        throw wrap(err, call, (m, type) => (/target.?group/i.test(type ?? '') || /target group|tg-/i.test(m)
          ? new TargetGroupNotFound(`${m} (target groups written: ${targets.map((t) => t.id).join(', ')})`)
          : new RouteNotFound(m)));
      }
      // Neither response carries lastUpdatedAt: the next read says it.
      return '';
    },

    newTarget(id, weight) {
      return { id, weight };
    },
  };
  return router;
}
