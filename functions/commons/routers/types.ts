// The seam between mesh-canary and a traffic backend (App Mesh today; VPC Lattice and ALB can
// join as peers). Backend-neutral: a route is read as targets (an id and an absolute weight) and
// an opaque revision, and written back whole. Everything a backend knows — its references,
// labels, identity, limits, words and API calls — lives in its own folder behind this interface;
// the arithmetic, the lock and the drift rules live once, in the route writer (../route-writer.ts).
import type { Target } from '../weights.ts';

export const routerTypes = ['appmesh', 'lattice'] as const;
export type RouterType = (typeof routerTypes)[number];

/** What a backend allows on one route. */
export interface Limits {
  /** Each weight is an integer from 0 to this. */
  maxWeight: number;
  /** At most this many weighted targets. */
  maxTargets: number;
  /**
   * Weights are relative (only each one's part of the sum counts: VPC Lattice), so the writer
   * may multiply every weight of the route by one factor to give the canary its percent exactly
   * (weights.ts scaleFor); a rollback divides them back. Absent: weights are written as computed
   * (App Mesh), the pool stable and canary hold never changes.
   */
  rescale?: boolean;
}

/** How a backend's things are called in messages ("stable virtual node x is not ..."). */
export interface Words {
  /** The backend's name: "App Mesh". */
  backend: string;
  /** What a target is: "virtual node", "target group". */
  target: string;
}

/** A route as read: its targets, its revision and what the backend needs to write it back. */
export interface RouteState<T extends Target = Target> {
  targets: T[];
  /** Opaque: changes with every write (App Mesh's metadata.version). */
  revision: string;
  /** What sort of route this is (App Mesh's httpRoute, tcpRoute...): a change mid-deployment is refused. */
  kind: string;
  /** The route's canonical identity: one route, one id, however the user wrote its reference. The lock's key. */
  identity: string;
  /** The backend's own copy of what it read (App Mesh's whole route spec), carried to its write. */
  readonly raw: unknown;
}

/** A route as it was before a deployment, in neutral terms (each backend stores it in its own format). */
export interface Snapshot<T extends Target = Target> {
  targets: T[];
  revision: string;
  kind: string;
  takenAt: string;
}

/** Converts between a backend's wire format (the deployment object, step results) and neutral terms. */
export interface Codec<T extends Target = Target> {
  /** The field that holds a target's id on the wire (App Mesh: "virtualNode"). */
  idField: string;
  /** Targets as a step's event or result carries them (App Mesh: {virtualNode, weight, port?}). */
  targetsIn(wire: readonly unknown[]): T[];
  targetsOut(targets: readonly T[]): unknown[];
  /** The revision as step results carry it (App Mesh: metadata.version, a number). */
  revisionOut(revision: string): unknown;
  snapshotIn(wire: unknown): Snapshot<T>;
  snapshotOut(snapshot: Snapshot<T>): unknown;
}

/**
 * One route of one backend, between one stable and one canary target. Narrow on purpose, like
 * Argo Rollouts' routers: read, check, write. It does no arithmetic and takes no lock.
 */
export interface TrafficRouter<T extends Target = Target> {
  readonly type: RouterType;
  /** The route as people name it: "mesh/router/route". */
  readonly label: string;
  readonly stable: string;
  readonly canary: string;
  readonly limits: Limits;
  readonly words: Words;
  readonly codec: Codec<T>;
  /**
   * The route's canonical identity (RouteState.identity). `account` is the account the functions
   * run in (a default some backends need, as App Mesh's meshOwner); the backend is read only when
   * the reference and the account do not settle it.
   */
  identity(account?: string): Promise<string>;
  /** Reads the route. Throws the backend's named errors (RouteNotFound, UnsupportedRoute...). */
  read(): Promise<RouteState<T>>;
  /** Checks beyond the targets that a deployment can start (App Mesh: the canary virtual node exists and is ACTIVE). */
  ensureCanStart(state: RouteState<T>): Promise<void>;
  /** Writes these targets (absolute weights) over the state read; the same call twice applies once. Returns the new revision. */
  write(state: RouteState<T>, targets: T[]): Promise<string>;
  /** The target a deployment adds for the canary. */
  newTarget(id: string, weight: number, stable: T | undefined): T;
}
