// mesh-canary routes: a route's weighted targets as the seed's `watch -n1 aws appmesh
// describe-route ... --output table` showed them, with each target's share and a bar. An App
// Mesh route (--mesh/--router/--route) or a VPC Lattice one (--service/--listener [--rule]),
// whose target groups show by name and ID.
// --input FILE takes the route from a deployment input; one with several routes shows every route
// (one table each, in input order; --output json: {"routes": [...]}).
// --watch refreshes every second on a terminal, or prints each change otherwise.
import type { AppMeshRouteRef } from '../../functions/commons/routers/appmesh/reference.ts';
import type { LatticeRouteRef } from '../../functions/commons/routers/lattice/reference.ts';
import { latticeRoute } from '../../functions/commons/routers/lattice/schema.ts';
import { latticeTargetGroupNames, type TargetGroupNames } from '../../functions/commons/routers/index.ts';
import { validate } from '../../functions/commons/validate.ts';
import { sameTargets } from '../../functions/commons/weights.ts';
import type { Aws } from '../aws.ts';
import { exitCodes, UsageError } from '../errors.ts';
import { sleep } from '../follow.ts';
import { readDeploymentInput } from '../input.ts';
import { isMultiRoute, routeEntriesOf } from '../release.ts';
import { LiveRegion, weightTable } from '../render.ts';
import { type Context, readRoute, type RouteNow, routeText } from './context.ts';

export interface RoutesOptions {
  /** An App Mesh route. */
  mesh?: string;
  router?: string;
  route?: string;
  meshOwner?: string;
  /** A VPC Lattice listener rule (or a listener's default action without rule): IDs or ARNs. */
  service?: string;
  listener?: string;
  rule?: string;
  input?: string;
  watch?: boolean;
}

const appMeshFlags = ['mesh', 'router', 'route', 'meshOwner'] as const;
const latticeFlags = ['service', 'listener', 'rule'] as const;
const flag = (k: string) => `--${k === 'meshOwner' ? 'mesh-owner' : k}`;
const given = (o: RoutesOptions, keys: readonly (keyof RoutesOptions)[]) => keys.filter((k) => o[k] !== undefined);

/** The route the options name: an App Mesh route, a VPC Lattice one, or the route of a deployment input. Mixed forms are usage errors. */
export function routeFromOptions(o: RoutesOptions): AppMeshRouteRef | LatticeRouteRef {
  const mesh = given(o, appMeshFlags);
  const lattice = given(o, latticeFlags);
  if (o.input) {
    if (mesh.length || lattice.length) throw new UsageError(`give either --input FILE or the route's flags (${[...mesh, ...lattice].map(flag).join(', ')}), not both`);
    return readDeploymentInput(o.input).route;
  }
  if (mesh.length && lattice.length) {
    throw new UsageError(`${mesh.map(flag).join(', ')} name an App Mesh route and ${lattice.map(flag).join(', ')} a VPC Lattice one: give one route `
      + '(--mesh/--router/--route, or --service/--listener [--rule])');
  }
  if (lattice.length) {
    const missing = (['service', 'listener'] as const).filter((k) => !o[k]);
    if (missing.length) throw new UsageError(`which VPC Lattice route? missing ${missing.map(flag).join(', ')} (--rule is optional: without it, the listener's default action)`);
    const route: LatticeRouteRef = { service: o.service!, listener: o.listener!, ...(o.rule !== undefined ? { rule: o.rule } : {}) };
    try {
      // The input contract's own rules: IDs or ARNs, ARNs that agree.
      return validate(latticeRoute, route, { whole: 'route', prefix: '--' }) as LatticeRouteRef;
    } catch (e) {
      const problems = (e as { problems?: string[] }).problems;
      if (!Array.isArray(problems)) throw e;
      throw new UsageError(`not a VPC Lattice route:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
  }
  const missing = (['mesh', 'router', 'route'] as const).filter((k) => !o[k]);
  if (missing.length) {
    throw new UsageError(`which route? missing ${missing.map(flag).join(', ')} (or --service/--listener [--rule] for a VPC Lattice route, or --input FILE to take it from a deployment input)`);
  }
  return { meshName: o.mesh!, virtualRouterName: o.router!, routeName: o.route!, ...(o.meshOwner ? { meshOwner: o.meshOwner } : {}) };
}

/**
 * Every route the options name: those of a deployment input with several routes (in input
 * order), else the one route of routeFromOptions.
 */
export function routesFromOptions(o: RoutesOptions): (AppMeshRouteRef | LatticeRouteRef)[] {
  if (o.input && !given(o, appMeshFlags).length && !given(o, latticeFlags).length) {
    const input: unknown = readDeploymentInput(o.input);
    if (isMultiRoute(input)) return routeEntriesOf(input).map((e) => e.route as AppMeshRouteRef | LatticeRouteRef);
    return [(input as { route: AppMeshRouteRef | LatticeRouteRef }).route];
  }
  return [routeFromOptions(o)];
}

/** The targets' names, when the backend has names beside its IDs (VPC Lattice's target groups); none for App Mesh, whose ids are names. */
async function namesOf(aws: Aws, now: RouteNow): Promise<TargetGroupNames | undefined> {
  const lattice = aws.routers().lattice;
  if (now.backend.type !== 'lattice' || !lattice) return undefined;
  return latticeTargetGroupNames({ lattice }, now.targets.map((t) => t.id));
}

/** The targets as the backend writes them (App Mesh: {virtualNode, weight, port?}), each with its share of the traffic. */
const share = (now: RouteNow, names?: TargetGroupNames) => {
  const total = now.targets.reduce((s, t) => s + t.weight, 0);
  const wire = now.backend.codec.targetsOut(now.targets) as Record<string, unknown>[];
  return now.targets.map((t, i) => ({ ...wire[i], ...(names?.names[t.id] ? { name: names.names[t.id] } : {}), share: total ? Math.round((1000 * t.weight) / total) / 10 : 0 }));
};

/** "names not read: tg-… (AccessDeniedException)": why a target shows by ID only. */
const unnamedText = (names: TargetGroupNames | undefined) => {
  const entries = Object.entries(names?.unnamed ?? {});
  return entries.length ? `names not read (vpc-lattice:GetTargetGroup): ${entries.map(([id, why]) => `${id} (${why})`).join(', ')}` : undefined;
};

export async function routes(ctx: Context, options: RoutesOptions): Promise<number> {
  const list = routesFromOptions(options);
  const aws = ctx.aws();
  // Names are read once per set of targets (per route): a target group's name does not change.
  const named: ({ ids: string; names: TargetGroupNames | undefined } | undefined)[] = list.map(() => undefined);
  const namesOne = async (now: RouteNow, i: number) => {
    const ids = now.targets.map((t) => t.id).sort().join(' ');
    if (named[i]?.ids !== ids) named[i] = { ids, names: await namesOf(aws, now) };
    return named[i]!.names;
  };
  const renderOne = (route: AppMeshRouteRef | LatticeRouteRef, now: RouteNow, n: TargetGroupNames | undefined) => {
    const note = unnamedText(n);
    return [
      `${ctx.style.bold(routeText(route))}  ${ctx.style.dim(`${now.kind}, version ${now.version ?? '?'}${options.watch ? ` · ${new Date().toLocaleTimeString()}` : ''}`)}`,
      ...weightTable(now.targets, ctx.style, { word: now.backend.words.target, names: n?.names }).map((l) => `  ${l}`),
      ...(note ? [`  ${ctx.style.dim(note)}`] : []),
    ];
  };
  const jsonOne = (route: AppMeshRouteRef | LatticeRouteRef, now: RouteNow, n: TargetGroupNames | undefined) => ({ route, routeKind: now.kind, version: now.version, weightedTargets: share(now, n) });

  // Every route is read concurrently; one route shows as it always has, several one table each.
  const read = () => Promise.all(list.map((route) => readRoute(aws, route)));
  const names = (nows: RouteNow[]) => Promise.all(nows.map((now, i) => namesOne(now, i)));
  const render = (nows: RouteNow[], ns: (TargetGroupNames | undefined)[]) => nows.flatMap((now, i) => [...(i > 0 ? [''] : []), ...renderOne(list[i], now, ns[i])]);
  const asJson = (nows: RouteNow[], ns: (TargetGroupNames | undefined)[]) => (list.length === 1 ? jsonOne(list[0], nows[0], ns[0]) : { routes: nows.map((now, i) => jsonOne(list[i], now, ns[i])) });

  if (!options.watch) {
    const now = await read();
    const n = await names(now);
    if (ctx.json) ctx.result(asJson(now, n));
    else for (const line of render(now, n)) ctx.say(line);
    return exitCodes.ok;
  }

  ctx.io.graceful();
  const region = new LiveRegion(ctx.io.stdout, !ctx.json && ctx.style.live);
  let previous: RouteNow[] | undefined;
  try {
    while (!ctx.io.signal.aborted) {
      const now = await read();
      const n = await names(now);
      if (ctx.style.live && !ctx.json) {
        region.update(render(now, n));
      } else if (!previous || now.some((r, i) => !sameTargets(previous![i].targets, r.targets))) {
        // Not a terminal: one table (or one JSON line) per change, not per second.
        if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...asJson(now, n) })}\n`);
        else for (const line of [...render(now, n), '']) ctx.say(line);
      }
      previous = now;
      await sleep(1000, ctx.io.signal);
    }
  } finally {
    region.close();
  }
  return exitCodes.ok;
}
