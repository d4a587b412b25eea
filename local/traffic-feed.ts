// A traffic feed for the local AWS: request counts in CloudWatch that follow a route's weights,
// as a real service's request metrics would, so traffic verification (issue 13) has something to
// measure in the tests, the sandbox and the demo. Every tick it reads the route with its backend's
// own API (App Mesh DescribeRoute, VPC Lattice GetRule or GetListener), picks the weights the mode
// says, splits `ratePerSecond` requests a second across the weighted targets and puts one count
// per target:
//
//   follow  the counts split as the route's weights say now
//   lag     the counts split as the weights said lagSeconds ago (a backend slow to apply a change)
//   never   the counts keep the split the route had when the feed started (a change that never applies)
//
// VPC Lattice: AWS/VpcLattice TotalRequestCount, dimension TargetGroup=<target group ID> (what the
// service publishes). App Mesh publishes none: the feed puts `appMeshMetric` (by default
// mesh-canary/demo RequestCount, dimensions Mesh=<mesh name> and VirtualNode=<node>, as Envoy
// statistics would be tagged), which an input names as trafficVerification.requestCount
// (appMeshRequestCount below). The mesh is a dimension because node names repeat across meshes.
import { DescribeRouteCommand, type AppMeshClient, type RouteSpec } from '@aws-sdk/client-app-mesh';
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetListenerCommand, GetRuleCommand, type VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';

export type FeedMode = 'follow' | 'lag' | 'never';

export interface AppMeshFeedRoute { meshName: string; virtualRouterName: string; routeName: string; meshOwner?: string }
export interface LatticeFeedRoute { service: string; listener: string; rule?: string }

export interface TrafficFeedOptions {
  cloudWatch: CloudWatchClient;
  /** The route as a deployment input names it: App Mesh (needs appMesh) or VPC Lattice (needs lattice). */
  route: AppMeshFeedRoute | LatticeFeedRoute;
  appMesh?: AppMeshClient;
  lattice?: VPCLatticeClient;
  mode: FeedMode;
  /** With `lag`: how many seconds the split trails the weights. */
  lagSeconds?: number;
  /** Requests per second, the total across the route's targets (default 50). */
  ratePerSecond?: number;
  /** Milliseconds between two puts (default 1000). */
  tickMs?: number;
  /** App Mesh only: the metric the feed puts per virtual node (default appMeshMetric). */
  metric?: { namespace: string; metricName: string; dimension: string; meshDimension: string };
  /** Called with each tick's error (the route gone, a throttle...); the feed goes on. Default: ignored. */
  onError?: (err: unknown) => void;
}

/** What a feed did, once stopped: ticks, requests put per target, errors. */
export interface FeedReport {
  ticks: number;
  requests: Record<string, number>;
  errors: number;
}

/** The metric the feed puts for App Mesh routes. */
export const appMeshMetric = { namespace: 'mesh-canary/demo', metricName: 'RequestCount', dimension: 'VirtualNode', meshDimension: 'Mesh' } as const;

/** trafficVerification.requestCount for the feed's App Mesh metric on a mesh. */
export const appMeshRequestCount = (meshName: string) => ({
  namespace: appMeshMetric.namespace, metricName: appMeshMetric.metricName,
  dimensions: { [appMeshMetric.meshDimension]: meshName, [appMeshMetric.dimension]: '{target}' },
});

const lattice = { namespace: 'AWS/VpcLattice', metricName: 'TotalRequestCount', dimension: 'TargetGroup' } as const;

/** Target ID → weight. */
export type Weights = Record<string, number>;

const isLattice = (r: TrafficFeedOptions['route']): r is LatticeFeedRoute => 'service' in r;
const idOf = (idOrArn: string): string => idOrArn.slice(idOrArn.lastIndexOf('/') + 1);

/** The route's weighted targets now, with the backend's own API. */
export async function readWeights(o: Pick<TrafficFeedOptions, 'route' | 'appMesh' | 'lattice'>): Promise<Weights> {
  if (isLattice(o.route)) {
    if (!o.lattice) throw new Error('a VPC Lattice route needs the lattice client');
    const ids = { serviceIdentifier: o.route.service, listenerIdentifier: o.route.listener };
    const action = o.route.rule
      ? (await o.lattice.send(new GetRuleCommand({ ...ids, ruleIdentifier: o.route.rule }))).action
      : (await o.lattice.send(new GetListenerCommand(ids))).defaultAction;
    const groups = action && 'forward' in action ? action.forward?.targetGroups ?? [] : [];
    return Object.fromEntries(groups.map((g) => [idOf(g.targetGroupIdentifier!), g.weight ?? 0]));
  }
  if (!o.appMesh) throw new Error('an App Mesh route needs the appMesh client');
  const spec: RouteSpec = (await o.appMesh.send(new DescribeRouteCommand(o.route))).route!.spec!;
  const route = spec.httpRoute ?? spec.http2Route ?? spec.grpcRoute ?? spec.tcpRoute;
  return Object.fromEntries((route?.action?.weightedTargets ?? []).map((t) => [t.virtualNode!, t.weight ?? 0]));
}

/**
 * `requests` split by the weights, in whole requests that add up to `requests` (largest
 * remainders first); no weight at all: no requests.
 */
export function splitRequests(weights: Weights, requests: number): Record<string, number> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (total <= 0) return Object.fromEntries(Object.keys(weights).map((t) => [t, 0]));
  const exact = Object.entries(weights).map(([t, w]) => [t, (requests * w) / total] as const);
  const out = Object.fromEntries(exact.map(([t, x]) => [t, Math.floor(x)]));
  let left = requests - Object.values(out).reduce((a, b) => a + b, 0);
  for (const [t] of [...exact].sort((a, b) => (b[1] % 1) - (a[1] % 1))) {
    if (left-- <= 0) break;
    out[t] += 1;
  }
  return out;
}

/**
 * Starts feeding; the first put happens before it returns (the route must exist). Returns the
 * stop function: it waits for the tick under way and says what was put.
 */
export async function startTrafficFeed(o: TrafficFeedOptions): Promise<() => Promise<FeedReport>> {
  const rate = o.ratePerSecond ?? 50;
  const tickMs = o.tickMs ?? 1000;
  const lagMs = (o.lagSeconds ?? 0) * 1000;
  const metric = isLattice(o.route) ? lattice : o.metric ?? appMeshMetric;
  const meshDimensions = isLattice(o.route) ? [] : [{ Name: (o.metric ?? appMeshMetric).meshDimension, Value: o.route.meshName }];
  const report: FeedReport = { ticks: 0, requests: {}, errors: 0 };
  /** The weights as read at each tick, oldest first (lag mode keeps only what it still needs). */
  const seen: { at: number; weights: Weights }[] = [];
  let initial: Weights | undefined;
  let carry = 0;
  let last = Date.now();

  const tick = async (): Promise<void> => {
    const now = Date.now();
    const weights = await readWeights(o);
    initial ??= weights;
    seen.push({ at: now, weights });
    let use = weights;
    if (o.mode === 'never') use = initial;
    if (o.mode === 'lag') {
      while (seen.length > 1 && seen[1].at <= now - lagMs) seen.shift();
      use = seen[0].weights;
    }
    // The requests since the last tick, at the rate (fractions carried to the next tick).
    const due = (rate * (now - last)) / 1000 + carry;
    const requests = report.ticks === 0 ? Math.round((rate * tickMs) / 1000) : Math.floor(due);
    carry = report.ticks === 0 ? 0 : due - requests;
    last = now;
    const counts = splitRequests(use, requests);
    await o.cloudWatch.send(new PutMetricDataCommand({
      Namespace: metric.namespace,
      MetricData: Object.entries(counts).map(([target, n]) => ({
        MetricName: metric.metricName, Dimensions: [...meshDimensions, { Name: metric.dimension, Value: target }], Value: n, Unit: 'Count', Timestamp: new Date(now),
      })),
    }));
    report.ticks++;
    for (const [t, n] of Object.entries(counts)) report.requests[t] = (report.requests[t] ?? 0) + n;
  };

  await tick();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => (stopped ? undefined : tick())).catch((err) => {
      report.errors++;
      o.onError?.(err);
    });
  }, tickMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
    return report;
  };
}
