// How a deployment names a VPC Lattice route and its target groups: IDs or ARNs, interchangeably,
// normalised here so one rule has one label and one lock key however the user wrote it. Pure: no
// AWS SDK here, so the CLI and the input contract can use it.
import type { Target } from '../../weights.ts';

/** A route reference as the input contract has it (schema.ts): ids or ARNs. */
export interface LatticeRouteRef {
  service: string;
  listener: string;
  rule?: string;
}

/** What an ARN of a Lattice resource says: its prefix (partition, region, account) and the ids in its path. */
interface ArnParts {
  /** "arn:aws:vpc-lattice:us-east-1:123456789012" */
  prefix: string;
  service?: string;
  listener?: string;
  rule?: string;
  targetGroup?: string;
}

const ARN = /^(arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:[0-9]{12}):(.+)$/;

function arnParts(value: string): ArnParts | undefined {
  const m = ARN.exec(value);
  if (!m) return undefined;
  const path = m[2].split('/');
  const parts: ArnParts = { prefix: m[1] };
  for (let i = 0; i + 1 < path.length; i += 2) {
    const [kind, id] = [path[i], path[i + 1]];
    if (kind === 'service') parts.service = id;
    else if (kind === 'listener') parts.listener = id;
    else if (kind === 'rule') parts.rule = id;
    else if (kind === 'targetgroup') parts.targetGroup = id;
  }
  return parts;
}

/** The ID of a Lattice resource given by ID or ARN ("tg-…" from "arn:…:targetgroup/tg-…"). */
export function latticeIdOf(value: string): string {
  return value.startsWith('arn:') ? value.slice(value.lastIndexOf('/') + 1) : value;
}

/** A route reference normalised: the three IDs, and the ARN prefix when any ARN gave it. */
export interface LatticeRouteIds {
  service: string;
  listener: string;
  rule?: string;
  prefix?: string;
}

/** Where the parts of a reference disagree (a listener ARN under another service...): one line each. */
export function latticeRefProblems(r: Record<string, unknown>): string[] {
  const given = (['service', 'listener', 'rule'] as const).filter((k) => typeof r[k] === 'string' && (r[k] as string).startsWith('arn:'));
  const problems: string[] = [];
  const prefixes = new Set<string>();
  for (const k of given) {
    const parts = arnParts(r[k] as string);
    if (!parts) continue;
    prefixes.add(parts.prefix);
    for (const inner of ['service', 'listener'] as const) {
      if (inner === k || !parts[inner] || typeof r[inner] !== 'string') continue;
      const other = latticeIdOf(r[inner] as string);
      if (other !== parts[inner]) problems.push(`${k}'s ARN names ${inner} ${parts[inner]}, but ${inner} is ${other}`);
    }
  }
  if (prefixes.size > 1) problems.push(`its ARNs name different regions or accounts (${[...prefixes].join(', ')})`);
  return problems;
}

/** The IDs of a route reference and its ARN prefix, when an ARN gives one. */
export function latticeIds(r: LatticeRouteRef): LatticeRouteIds {
  const prefix = [r.rule, r.listener, r.service].map((v) => (v ? arnParts(v)?.prefix : undefined)).find(Boolean);
  const ids: LatticeRouteIds = { service: latticeIdOf(r.service), listener: latticeIdOf(r.listener) };
  if (r.rule) ids.rule = latticeIdOf(r.rule);
  if (prefix) ids.prefix = prefix;
  return ids;
}

/** A Lattice route reference by its shape: service and listener strings, and a rule that is a string or left out. */
export const isLatticeRoute = (route: unknown): route is LatticeRouteRef => {
  if (!route || typeof route !== 'object') return false;
  const r = route as Record<string, unknown>;
  return typeof r.service === 'string' && typeof r.listener === 'string' && (r.rule === undefined || typeof r.rule === 'string');
};

/** "svc-…/listener-…/rule-…", or "svc-…/listener-…/default" for a listener's default action. */
export const latticeLabel = (r: LatticeRouteRef): string => {
  const ids = latticeIds(r);
  return `${ids.service}/${ids.listener}/${ids.rule ?? 'default'}`;
};

/** The ARN of the route with this prefix: the rule's, or the listener's for a default action. */
export const latticeArn = (ids: LatticeRouteIds, prefix: string): string =>
  `${prefix}:service/${ids.service}/listener/${ids.listener}${ids.rule ? `/rule/${ids.rule}` : ''}`;

/** The route's canonical identity (its rule ARN, or its listener ARN), when the reference settles it without a read. */
export function latticeIdentity(r: LatticeRouteRef): string | undefined {
  const ids = latticeIds(r);
  return ids.prefix ? latticeArn(ids, ids.prefix) : undefined;
}

/** The ARN prefix ("arn:aws:vpc-lattice:REGION:ACCOUNT") of an ARN Lattice returned. */
export const latticePrefixOf = (arn: string | undefined): string | undefined => (arn ? arnParts(arn)?.prefix : undefined);

/** A neutral target: the target group's ID. */
export type LatticeNeutralTarget = Target;
