// mesh-canary routes: a route's weighted targets as the seed's `watch -n1 aws appmesh
// describe-route ... --output table` showed them, with each target's share and a bar.
// --watch refreshes every second on a terminal, or prints each change otherwise.
import type { AppMeshRouteRef as RouteRef } from '../../functions/commons/routers/appmesh/reference.ts';
import { sameTargets } from '../../functions/commons/weights.ts';
import { exitCodes, UsageError } from '../errors.ts';
import { sleep } from '../follow.ts';
import { readDeploymentInput } from '../input.ts';
import { LiveRegion, weightTable } from '../render.ts';
import { type Context, readRoute, type RouteNow, routeText } from './context.ts';

export interface RoutesOptions {
  mesh?: string;
  router?: string;
  route?: string;
  meshOwner?: string;
  input?: string;
  watch?: boolean;
}

export function routeFromOptions(o: RoutesOptions): RouteRef {
  if (o.input) {
    if (o.mesh || o.router || o.route) throw new UsageError('give either --input FILE or --mesh/--router/--route, not both');
    return readDeploymentInput(o.input).route;
  }
  const missing = (['mesh', 'router', 'route'] as const).filter((k) => !o[k]);
  if (missing.length) throw new UsageError(`which route? missing ${missing.map((k) => `--${k}`).join(', ')} (or --input FILE to take it from a deployment input)`);
  return { meshName: o.mesh!, virtualRouterName: o.router!, routeName: o.route!, ...(o.meshOwner ? { meshOwner: o.meshOwner } : {}) };
}

/** The targets as the backend writes them (App Mesh: {virtualNode, weight, port?}), each with its share of the traffic. */
const share = (now: RouteNow) => {
  const total = now.targets.reduce((s, t) => s + t.weight, 0);
  const wire = now.backend.codec.targetsOut(now.targets) as Record<string, unknown>[];
  return now.targets.map((t, i) => ({ ...wire[i], share: total ? Math.round((1000 * t.weight) / total) / 10 : 0 }));
};

export async function routes(ctx: Context, options: RoutesOptions): Promise<number> {
  const route = routeFromOptions(options);
  const aws = ctx.aws();
  const render = (now: RouteNow) => [
    `${ctx.style.bold(routeText(route))}  ${ctx.style.dim(`${now.kind}, version ${now.version ?? '?'}${options.watch ? ` · ${new Date().toLocaleTimeString()}` : ''}`)}`,
    ...weightTable(now.targets, ctx.style, { word: now.backend.words.target }).map((l) => `  ${l}`),
  ];
  const asJson = (now: RouteNow) => ({ route, routeKind: now.kind, version: now.version, weightedTargets: share(now) });

  if (!options.watch) {
    const now = await readRoute(aws, route);
    if (ctx.json) ctx.result(asJson(now));
    else for (const line of render(now)) ctx.say(line);
    return exitCodes.ok;
  }

  ctx.io.graceful();
  const region = new LiveRegion(ctx.io.stdout, !ctx.json && ctx.style.live);
  let previous: RouteNow | undefined;
  try {
    while (!ctx.io.signal.aborted) {
      const now = await readRoute(aws, route);
      if (ctx.style.live && !ctx.json) {
        region.update(render(now));
      } else if (!previous || !sameTargets(previous.targets, now.targets)) {
        // Not a terminal: one table (or one JSON line) per change, not per second.
        if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...asJson(now) })}\n`);
        else for (const line of [...render(now), '']) ctx.say(line);
      }
      previous = now;
      await sleep(1000, ctx.io.signal);
    }
  } finally {
    region.close();
  }
  return exitCodes.ok;
}
