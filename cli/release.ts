// The stable and the canary of a deployment (or an input) as its route's backend names them:
// App Mesh's virtual nodes, VPC Lattice's target groups (by ID, however the input wrote them).
// Read through the routers' seam (routeOf, the backend's codec), so no command names a backend's fields.
import { backendOf, routeOf, type Backend } from '../functions/commons/routers/index.ts';

export interface Release {
  stable?: string;
  canary?: string;
  /** The route's backend (its label, words and codec), when a backend recognises the route. */
  backend?: Backend;
  /** The fields that name the stable and canary, as the deployment wrote them (App Mesh: stableNode, canaryNode): for --output json. */
  wire: Record<string, string>;
}

const MISSING = '\u0000missing';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A target's id as the backend's codec reads it (a Lattice ARN gives its tg- ID). */
function idOf(backend: Backend, value: string): string {
  const [target] = backend.codec.targetsIn([{ [backend.codec.idField]: value, weight: 0 }]);
  return target?.id ?? value;
}

/** The stable and canary of a deployment or input; each undefined when the route is unknown or the field is missing. */
export function releaseOf(d: unknown): Release {
  if (!isObject(d)) return { wire: {} };
  const backend = backendOf(d.route);
  if (!backend) return { wire: {} };
  // routeOf reads the backend's own fields; one that is missing (or not a string) reads as MISSING, not "undefined".
  const read: string[] = [];
  const probe = new Proxy(d, {
    get: (t, k) => {
      if (k === 'route' || typeof k !== 'string') return t[k as string];
      read.push(k);
      return typeof t[k] === 'string' ? t[k] : MISSING;
    },
  });
  const { stable, canary } = routeOf(probe as unknown as Parameters<typeof routeOf>[0]);
  const wire = Object.fromEntries(read.filter((k) => typeof d[k] === 'string').map((k) => [k, d[k] as string]));
  return {
    backend,
    wire,
    ...(stable === MISSING ? {} : { stable: idOf(backend, stable) }),
    ...(canary === MISSING ? {} : { canary: idOf(backend, canary) }),
  };
}
