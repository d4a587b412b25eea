// The route writer: the one way any function (and the abort guard) changes a route. For every
// backend alike it reads the route, computes absolute weights, refuses drift, checks the
// deployment still holds the route's lock right before the write, writes only when something
// changes, and never restores over a route another deployment now holds. On a backend whose
// weights are relative (Limits.rescale: VPC Lattice) a shift may multiply the route's weights
// (all but those someone else changed) by one factor so the canary's percent is exact, and a
// restore divides them back (weights.ts scaleFor, scaleNow); elsewhere the factor is always 1.
// Handlers parse their event, make one call here and return the result. Results speak the backend's wire format
// (App Mesh: weightedTargets of {virtualNode, weight, port?}, routeVersion), as step outputs
// always have; everything in between is neutral.
//
// A deployment names one route, or several (a release, issue 11: release.ts): they fan out here,
// not in each handler. Every route of a release gets the same call concurrently, each with every
// per-route rule above, and the call returns or throws only once all have settled: a step never
// ends with a write still in flight. A write step reads every route and vets every write (drift,
// limits) before it writes any, so drift or a refusal on one route leaves all as they were; a
// restore refuses before writing any route when another execution holds one of them. Any route's
// failure is the step's (the machine then restores every route). Locks are taken together
// (lock.ts acquireLocks), and released only once every route is promoted or restored.
import { DeploymentInProgress, InvalidInput, RouteDriftDetected, TargetNotInRoute, UnsupportedRoute } from './errors.ts';
import { acquireLocks, assertLockHeld, lockHolder, releaseLock, type LockedRoute, type LockTable, type WatchedAlarms } from './lock.ts';
import { isReleaseTargets } from './input.ts';
import { isRelease, routeParts } from './release.ts';
import { restoreText, targetsText } from './route-text.ts';
import { routeLabelOf, routerFor, type RouteNaming, type RouterClients } from './routers/index.ts';
import type { RouteState, Snapshot, TrafficRouter } from './routers/types.ts';
import {
  drifted, isUndone, poolOf, promoted, rescaled, sameTargets, scaleFor, scaleNow, undone, withCanaryShare, type KeptChange, type Target,
} from './weights.ts';

/** What the writer needs: the backends' clients, and the lock table when a state machine runs the deployment. */
export interface WriterDeps {
  routers: RouterClients;
  lock?: LockTable;
}

/** A deployment as the writer reads it: its route, stable and canary, snapshot and owner. */
export interface WritableDeployment extends RouteNaming {
  snapshot: unknown;
  executionId?: string;
  keepStableTarget?: boolean;
}

/** A write's result, in the backend's wire format. */
export interface ShiftResult {
  /** False when the route already had these weights and nothing was written. */
  changed: boolean;
  /** The route's weighted targets after the call. */
  weightedTargets: unknown[];
  /** The route's revision after the call (App Mesh: metadata.version). */
  routeVersion: unknown;
}

/** A restore's result: also the other targets that are not as the snapshot had them (kept as they are now). */
export interface RestoreResult extends ShiftResult {
  /** Targets besides stable and canary that someone changed during the deployment; left as they are. */
  keptChanges: unknown[];
}

/** What a restore did, with a one-line summary of it. */
export interface RestoreOutcome {
  result: RestoreResult;
  summary: string;
}

/** A route's targets now (a release: every route's, ReleaseTargets), its revision, and as text. */
export interface Current {
  weightedTargets: unknown[];
  routeVersion: unknown;
  text: string;
}

/** The route as it is now, and whether it holds what undoing the deployment gives. */
export interface UndoneCheck {
  undone: boolean;
  targets: Target[];
  keptChanges: KeptChange[];
  /** The same, in the backend's wire format (a release: ReleaseTargets, and kept changes with their route). */
  weightedTargets: unknown[];
  wireKeptChanges: unknown[];
  /** A release: whether each route is undone. */
  routes?: { route: string; undone: boolean }[];
}

interface Bound {
  router: TrafficRouter;
  snapshot: Snapshot;
  owner?: string;
}

/** Checks a write must pass: no drift since this deployment's last write, and a last word before it. */
interface WriteGuard {
  expected?: Target[];
  beforeWrite?: (state: RouteState) => Promise<void>;
}

export class RouteWriter {
  private readonly deps: WriterDeps;

  constructor(deps: WriterDeps) {
    this.deps = deps;
  }

  // ---------------------------------------------------------------- the public calls: one route or a release

  /**
   * Validates that every route can be shifted between its stable and canary and records each as
   * it is now; with a lock table and an executionId (a state machine run) the routes' locks are
   * taken first, all together, and given back if any snapshot fails. Returns the fields the
   * deployment gains: `snapshot` (one route), or `routes` with each route's snapshot and the
   * release's `snapshot` of every route's targets. `alarms`: what the lock items record as the
   * alarms the deployment checks (the alarm path finds deployments by them).
   */
  async prepareDeployment(d: RouteNaming, executionId?: string, lockSeconds = 86_400, alarms?: WatchedAlarms): Promise<{ snapshot: unknown; routes?: unknown[] }> {
    if (!isRelease(d)) return { snapshot: await this.prepare(d, executionId, lockSeconds, alarms) };
    const parts = routeParts(d) as RouteNaming[];
    const routers = parts.map((p) => routerFor(p, this.deps.routers));
    const keys = await settled(routers.map((r) => r.label), routers.map((r) => r.identity(accountOf(executionId))));
    const first = new Map<string, number>();
    const problems: string[] = [];
    keys.forEach((key, i) => {
      const j = first.get(key);
      if (j === undefined) first.set(key, i);
      else problems.push(`routes[${i}].route names the same route as routes[${j}].route (${routers[i].label} and ${routers[j].label} are both ${key}): each route once per deployment`);
    });
    if (problems.length) throw new InvalidInput(problems);
    const locked = routers.map((r, i): LockedRoute => ({ key: keys[i], label: r.label }));
    const lock = this.deps.lock && executionId ? this.deps.lock : undefined;
    if (lock) await acquireLocks(lock, locked, executionId!, lockSeconds, new Date(), alarms);
    let snapshots: Snapshot[];
    try {
      snapshots = await settled(routers.map((r) => r.label), routers.map((r) => takeSnapshot(r)));
    } catch (err) {
      // Every lock given back (a delete that fails leaves its lock to expire, or to the guard); the snapshot's error is the step's.
      if (lock) await Promise.allSettled(locked.map((l) => releaseLock(lock, l, executionId!)));
      throw err;
    }
    return {
      routes: (d.routes as Record<string, unknown>[]).map((entry, i) => ({ ...entry, snapshot: routers[i].codec.snapshotOut(snapshots[i]) })),
      snapshot: {
        weightedTargets: routers.map((r, i) => ({ route: r.label, weightedTargets: r.codec.targetsOut(snapshots[i].targets) })),
        takenAt: snapshots.map((x) => x.takenAt).sort()[0],
      },
    };
  }

  /** The canary (of every route) gets `share` percent (0-100) of the traffic stable and canary held in the snapshot. */
  async shift(d: WritableDeployment, share: number, expected?: unknown[]): Promise<ShiftResult> {
    if (!isRelease(d)) return this.shiftOne(d, share, oneRouteExpected(expected));
    const exp = releaseExpected(expected, this.labels(routeParts(d)));
    return this.fanOutWrite(d, (p, i) => this.planShift(p, share, exp?.[i]));
  }

  /**
   * The canary takes the whole stable+canary share; the stable target is removed unless kept.
   * Then the lock is released: a release's locks only once every route is promoted.
   */
  async promote(d: WritableDeployment, expected?: unknown[]): Promise<ShiftResult> {
    if (!isRelease(d)) return this.promoteOne(d, oneRouteExpected(expected), true);
    const exp = releaseExpected(expected, this.labels(routeParts(d)));
    const result = await this.fanOutWrite(d, (p, i) => this.planPromote(p, exp?.[i]));
    await this.release(d);
    return result;
  }

  /**
   * Undoes the deployment: stable and canary back to their snapshot weights (a canary it added
   * removed); every other target stays as it is now. Exactly the snapshot when nobody else
   * changed the route. Never over a route another execution now holds (DeploymentInProgress):
   * that route is that deployment's, and overwriting it would be worse than stopping. With
   * `release`, the lock is given back afterwards (a release's: once every route is restored).
   */
  async restore(d: WritableDeployment, options: { release?: boolean } = {}): Promise<RestoreOutcome> {
    if (!isRelease(d)) return this.restoreOne(d, options);
    const parts = routeParts(d);
    const labels = this.labels(parts);
    // All or nothing: a route another execution now holds refuses the whole restore, before any route is written.
    await settled(labels, parts.map((p) => this.notAnothers(this.one(p))));
    const outcomes = await settled(labels, parts.map((p) => this.restoreOne(p)));
    if (options.release) await this.release(d);
    return {
      result: {
        changed: outcomes.some((o) => o.result.changed),
        weightedTargets: outcomes.map((o, i) => ({ route: labels[i], weightedTargets: o.result.weightedTargets })),
        routeVersion: outcomes.map((o) => o.result.routeVersion),
        keptChanges: outcomes.flatMap((o, i) => o.result.keptChanges.map((c) => ({ route: labels[i], ...(c as object) }))),
      },
      summary: outcomes.map((o) => o.summary).join('; '),
    };
  }

  /** The route's targets now, in the wire format, and as text (a release: every route's). */
  async current(d: WritableDeployment): Promise<Current> {
    if (!isRelease(d)) return this.currentOne(d);
    const parts = routeParts(d);
    const labels = this.labels(parts);
    const now = await settled(labels, parts.map((p) => this.currentOne(p)));
    return {
      weightedTargets: now.map((c, i) => ({ route: labels[i], weightedTargets: c.weightedTargets })),
      routeVersion: now.map((c) => c.routeVersion),
      text: now.map((c, i) => `${labels[i]}: ${c.text}`).join('; '),
    };
  }

  /** Whether the route (every route of a release) now holds what undoing the deployment gives: nothing of it is left. */
  async undoneNow(d: WritableDeployment): Promise<UndoneCheck> {
    if (!isRelease(d)) return this.undoneNowOne(d);
    const parts = routeParts(d);
    const labels = this.labels(parts);
    const checks = await settled(labels, parts.map((p) => this.undoneNowOne(p)));
    return {
      undone: checks.every((c) => c.undone),
      targets: checks.flatMap((c) => c.targets),
      keptChanges: checks.flatMap((c) => c.keptChanges),
      weightedTargets: checks.map((c, i) => ({ route: labels[i], weightedTargets: c.weightedTargets })),
      wireKeptChanges: checks.flatMap((c, i) => c.wireKeptChanges.map((k) => ({ route: labels[i], ...(k as object) }))),
      routes: checks.map((c, i) => ({ route: labels[i], undone: c.undone })),
    };
  }

  /** Releases the deployment's locks its execution holds (a no-op for the others). Never writes a route. */
  async release(d: WritableDeployment, state?: RouteState): Promise<boolean> {
    if (!isRelease(d)) return this.releaseOne(d, state);
    const parts = routeParts(d);
    const released = await settled(this.labels(parts), parts.map((p) => this.releaseOne(p)));
    return released.some(Boolean);
  }

  /**
   * Releases the locks `executionId` holds on routes it has no snapshot of (an execution stopped
   * during its prepare step): `route` is one route reference, or a release's routes.
   */
  async releaseBeforeSnapshot(route: RouteNaming | { routes: RouteNaming[] }, executionId: string): Promise<boolean> {
    if (!isRelease(route)) return this.releaseBeforeSnapshotOne(route as RouteNaming, executionId);
    const parts = route.routes as RouteNaming[];
    const released = await settled(parts.map((p) => routeLabelOf(p.route) ?? '?'), parts.map((p) => this.releaseBeforeSnapshotOne(p, executionId)));
    return released.some(Boolean);
  }

  // ---------------------------------------------------------------- one route

  private labels(parts: WritableDeployment[]): string[] {
    return parts.map((p) => routeLabelOf(p.route) ?? '?');
  }

  /** The route of a one-route deployment, with its router and snapshot. */
  private one(d: WritableDeployment): Bound {
    const router = routerFor(d, this.deps.routers);
    return { router, snapshot: router.codec.snapshotIn(d.snapshot), owner: d.executionId };
  }

  /** The route's lock: keyed by its canonical identity, settled by the execution's account or, failing that, by the route as read. */
  private async locked(b: Bound, state?: RouteState): Promise<LockedRoute> {
    const account = accountOf(b.owner);
    return { key: state && !account ? state.identity : await b.router.identity(account), label: b.router.label };
  }

  /**
   * Validates that the route can be shifted between stable and canary and records it as it is
   * now. With a lock table and an executionId (a state machine run) the route's lock is taken
   * first, so the snapshot is of a route nobody else is changing; it is given back if the
   * snapshot fails. Returns the snapshot in the backend's wire format.
   */
  /** One route's snapshot in its backend's wire format (its lock taken first in a state machine run): see prepareDeployment. */
  async prepare(d: RouteNaming, executionId?: string, lockSeconds = 86_400, alarms?: WatchedAlarms): Promise<unknown> {
    const router = routerFor(d, this.deps.routers);
    const lock = this.deps.lock && executionId ? { table: this.deps.lock, route: { key: await router.identity(accountOf(executionId)), label: router.label } } : undefined;
    if (lock) await acquireLocks(lock.table, [lock.route], executionId!, lockSeconds, new Date(), alarms);
    try {
      return router.codec.snapshotOut(await takeSnapshot(router));
    } catch (err) {
      if (lock) await releaseLock(lock.table, lock.route, executionId!);
      throw err;
    }
  }

  /** The canary gets `share` percent (0-100) of the traffic stable and canary held in the snapshot. */
  private async shiftOne(d: WritableDeployment, share: number, expected?: unknown[]): Promise<ShiftResult> {
    return this.commit(await this.planShift(d, share, expected));
  }

  /** Reads the route and works out the shift: what `commit` writes. Nothing is written. */
  private async planShift(d: WritableDeployment, share: number, expected?: unknown[]): Promise<Plan> {
    const b = this.one(d);
    const { router, snapshot } = b;
    const state = shiftable(router, await readSameKind(router, snapshot));
    stableIn(router, state.targets);
    const { scale, pool, current } = scaled(router, snapshot, state.targets, share);
    const next = withCanaryShare(current, { stable: router.stable, canary: router.canary, pool: pool * scale, share, newTarget: router.newTarget });
    return { b, state, next, guard: { expected: expected && router.codec.targetsIn(expected), beforeWrite: this.lockCheck(b) } };
  }

  /** The canary takes the whole stable+canary share; the stable target is removed unless kept. Then the lock is released. */
  private async promoteOne(d: WritableDeployment, expected: unknown[] | undefined, release: boolean): Promise<ShiftResult> {
    const plan = await this.planPromote(d, expected);
    const result = await this.commit(plan);
    if (release) await this.releaseOne(d, plan.state);
    return result;
  }

  private async planPromote(d: WritableDeployment, expected: unknown[] | undefined): Promise<Plan> {
    const b = this.one(d);
    const { router, snapshot } = b;
    const state = shiftable(router, await readSameKind(router, snapshot));
    const { scale, pool, current } = scaled(router, snapshot, state.targets, 100);
    const next = promoted(current, { stable: router.stable, canary: router.canary, pool: pool * scale, keepStableTarget: d.keepStableTarget ?? false, newTarget: router.newTarget });
    return { b, state, next, guard: { expected: expected && router.codec.targetsIn(expected), beforeWrite: this.lockCheck(b) } };
  }

  private commit(plan: Plan): Promise<ShiftResult> {
    return this.write(plan.b, plan.state, plan.next, plan.guard);
  }

  /**
   * A release's write, in two phases: every route is read and its write worked out and vetted
   * (drift, the backend's limits) before any route is written, so drift or a refusal on one route
   * leaves every route as it was; then every route is written (each checking its lock right before).
   */
  private async fanOutWrite(d: WritableDeployment, plan: (part: WritableDeployment, i: number) => Promise<Plan>): Promise<ShiftResult> {
    const parts = routeParts(d);
    const labels = this.labels(parts);
    const plans = await settled(labels, parts.map(plan)).then(async (all) => {
      await settled(labels, all.map(async (p) => vetted(p)));
      return all;
    }).catch((err: unknown) => {
      if (err instanceof Error) err.message = `${err.message}; no route was written`;
      throw err;
    });
    const results = await settled(labels, plans.map((p) => this.commit(p)));
    return {
      changed: results.some((r) => r.changed),
      weightedTargets: results.map((r, i) => ({ route: labels[i], weightedTargets: r.weightedTargets })),
      routeVersion: results.map((r) => r.routeVersion),
    };
  }

  /**
   * Undoes the deployment: stable and canary back to their snapshot weights (a canary it added
   * removed); every other target stays as it is now. Exactly the snapshot when nobody else
   * changed the route. Never over a route another execution now holds (DeploymentInProgress):
   * that route is that deployment's, and overwriting it would be worse than stopping. With
   * `release`, the lock is given back afterwards.
   */
  private async restoreOne(d: WritableDeployment, options: { release?: boolean } = {}): Promise<RestoreOutcome> {
    const b = this.one(d);
    const { router, snapshot } = b;
    const state = await readSameKind(router, snapshot);
    // Undo this deployment only: a third target someone re-weighted meanwhile keeps their weight.
    const { targets, keptChanges } = undone(state.targets, snapshot.targets, router.stable, router.canary, scaleOfRoute(router, snapshot, state.targets));
    if (targets.length > router.limits.maxTargets) {
      throw new UnsupportedRoute(`${router.label}: putting ${router.stable} back would give the route ${targets.length} weighted targets, above ${router.words.backend}'s limit of ${router.limits.maxTargets} (targets were added during the deployment); someone must choose which to drop`);
    }
    const result = await this.write(b, state, targets, {
      beforeWrite: this.deps.lock && b.owner ? (s) => this.notAnothers(b, s) : undefined,
    });
    if (options.release) await this.releaseOne(d, state);
    const neutral = { changed: result.changed, targets: router.codec.targetsIn(result.weightedTargets), keptChanges };
    return {
      result: { ...result, keptChanges: keptChanges.map((c) => keptChangeOut(router, c)) },
      summary: restoreText(router, neutral),
    };
  }

  /** The route's targets now, in the wire format, and as text. */
  private async currentOne(d: WritableDeployment): Promise<Current> {
    const { router } = this.one(d);
    const state = await router.read();
    return { weightedTargets: router.codec.targetsOut(state.targets), routeVersion: router.codec.revisionOut(state.revision), text: targetsText(state.targets) };
  }

  /** Whether the route now holds what undoing the deployment gives: nothing of it is left. */
  private async undoneNowOne(d: WritableDeployment): Promise<UndoneCheck> {
    const { router, snapshot } = this.one(d);
    const state = await router.read();
    const scale = scaleOfRoute(router, snapshot, state.targets);
    const { keptChanges } = undone(state.targets, snapshot.targets, router.stable, router.canary, scale);
    return {
      undone: isUndone(state.targets, snapshot.targets, router.stable, router.canary, scale),
      targets: state.targets,
      keptChanges,
      weightedTargets: router.codec.targetsOut(state.targets),
      wireKeptChanges: keptChanges.map((c) => keptChangeOut(router, c)),
    };
  }

  /** Releases the deployment's lock if its execution holds it (a no-op otherwise). Never writes the route. */
  private async releaseOne(d: WritableDeployment, state?: RouteState): Promise<boolean> {
    const lock = this.deps.lock;
    const b = this.one(d);
    if (!lock || !b.owner) return false;
    return releaseLock(lock, await this.locked(b, state), b.owner);
  }

  /**
   * Releases the lock `executionId` holds on a route it has no snapshot of (an execution stopped
   * during its prepare step). The route's identity may need one read; a route that cannot be
   * found cannot have been locked (prepare reads it before taking the lock).
   */
  private async releaseBeforeSnapshotOne(route: RouteNaming, executionId: string): Promise<boolean> {
    const lock = this.deps.lock;
    if (!lock) return false;
    const router = routerFor(route, this.deps.routers);
    let key: string;
    try {
      key = await router.identity(accountOf(executionId));
    } catch (err) {
      if ((err as Error).name === 'RouteNotFound') return false;
      throw err;
    }
    return releaseLock(lock, { key, label: router.label }, executionId);
  }

  /** Refuses (DeploymentInProgress) when another execution now holds the route's lock: that route is that deployment's. */
  private async notAnothers(b: Bound, state?: RouteState): Promise<void> {
    const lock = this.deps.lock;
    if (!lock || !b.owner) return;
    const holder = await lockHolder(lock, await this.locked(b, state));
    if (holder && holder.executionId !== b.owner) {
      throw new DeploymentInProgress(`${b.router.label} is now deployed by ${holder.executionId}; not restoring ${b.owner}'s snapshot over it`);
    }
  }

  /** Right before a write: a stopped execution's step must not write once its lock is gone. */
  private lockCheck(b: Bound): ((state: RouteState) => Promise<void>) | undefined {
    const lock = this.deps.lock;
    if (!lock || !b.owner) return undefined;
    return async (state) => assertLockHeld(lock, await this.locked(b, state), b.owner!);
  }

  /** Writes `next` unless the route already has it; refuses drift and targets the backend would reject. */
  private async write(b: Bound, state: RouteState, next: Target[], guard: WriteGuard): Promise<ShiftResult> {
    const { router } = b;
    const out = (changed: boolean, revision: string): ShiftResult => ({
      changed, weightedTargets: router.codec.targetsOut(next), routeVersion: router.codec.revisionOut(revision),
    });
    if (sameTargets(state.targets, next)) return out(false, state.revision);
    notDrifted({ b, state, next, guard });
    // The lock first: a step that lost it must say so, whatever else is wrong with its write.
    await guard.beforeWrite?.(state);
    withinLimits(router, next);
    return out(true, await router.write(state, next));
  }
}

/** A write worked out from a read: the route, what it holds, what it will hold, and the checks before the write. */
interface Plan {
  b: Bound;
  state: RouteState;
  next: Target[];
  guard: WriteGuard;
}

/** Refuses drift: someone changed stable or canary since this deployment last wrote the route. */
function notDrifted({ b: { router }, state, next, guard }: Plan): void {
  if (guard.expected && drifted(state.targets, guard.expected, next, router.stable, router.canary)) {
    throw new RouteDriftDetected(`${router.label}: the route changed since this deployment last wrote it: it has ${targetsText(state.targets)}, this deployment left ${targetsText(guard.expected)}. Not overwriting someone else's change`);
  }
}

/** What a write would refuse, refused before any route of a release is written (the lock is checked at the write). */
function vetted(plan: Plan): void {
  if (sameTargets(plan.state.targets, plan.next)) return;
  notDrifted(plan);
  withinLimits(plan.b.router, plan.next);
}

/** A one-route deployment's `expected`: its own targets, never a release's. */
function oneRouteExpected(expected: unknown[] | undefined): unknown[] | undefined {
  if (isReleaseTargets(expected)) {
    throw new InvalidInput(['event.expected holds a release\'s targets ({"route", "weightedTargets"} per route), but the deployment names one route']);
  }
  return expected;
}

/**
 * A release's `expected`, one entry per route in route order, each naming its route: any other
 * shape would silently compare a route with another's targets (drift undetected), so it is refused.
 */
function releaseExpected(expected: unknown[] | undefined, labels: readonly string[]): (unknown[] | undefined)[] | undefined {
  if (expected === undefined) return undefined;
  const entries = expected as { route?: unknown; weightedTargets?: unknown[] }[];
  if (!isReleaseTargets(expected) || entries.length !== labels.length || entries.some((e, i) => e?.route !== labels[i])) {
    throw new InvalidInput([`event.expected must hold the release's targets, one {"route", "weightedTargets"} per route in the deployment's order (${labels.join(', ')})`]);
  }
  return entries.map((e) => e.weightedTargets);
}

/**
 * Waits for every route's call to settle (none is left in flight), then gives their results in
 * route order, or throws the failure that decides the step, its message naming every route that
 * failed: drift first (the onDrift policy then covers the release), then an error no retry can
 * cure, then a transient one (the step is retried: routes already written are not written again).
 */
export async function settled<T>(labels: readonly string[], calls: readonly Promise<T>[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(calls);
  const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ label: labels[i], error: o.reason as Error }] : []));
  if (failed.length === 0) return outcomes.map((o) => (o as PromiseFulfilledResult<T>).value);
  const rank = (e: Error) => (e?.name === 'RouteDriftDetected' ? 0 : e?.name === 'TransientAwsError' ? 2 : 1);
  const decisive = [...failed].sort((a, b) => rank(a.error) - rank(b.error))[0].error;
  if (failed.length > 1 || labels.length > 1) {
    const others = failed.filter((f) => f.error !== decisive).map((f) => `${f.label}: ${f.error?.name ?? 'Error'}: ${f.error?.message}`);
    const fine = labels.length - failed.length;
    decisive.message = `${decisive.message}${others.length ? ` (also ${others.join('; ')})` : ''} [${failed.length} of ${labels.length} routes failed${fine ? `, ${fine} succeeded` : ''}]`;
  }
  throw decisive;
}

/** The account an execution runs in (its ARN says), where the functions and their default resources are. */
export function accountOf(executionId: string | undefined): string | undefined {
  return /^arn:[^:]+:states:[^:]*:([0-9]{12}):execution:/.exec(executionId ?? '')?.[1];
}

function keptChangeOut(router: TrafficRouter, c: KeptChange): Record<string, unknown> {
  const one = (t: Target | null) => (t ? router.codec.targetsOut([t])[0] : null);
  return { [router.codec.idField]: c.id, snapshot: one(c.snapshot), now: one(c.now) };
}

/**
 * The factor the route's weights are at now: 1 unless the backend's weights are relative
 * (Limits.rescale), then what stable and canary hold over their snapshot pool (weights.ts scaleNow).
 */
function scaleOfRoute(router: TrafficRouter, snapshot: Snapshot, targets: readonly Target[]): number {
  return router.limits.rescale ? scaleNow(targets, snapshot.targets, router.stable, router.canary) : 1;
}

/**
 * The snapshot's pool, the factor for `share` (1 unless the backend's weights are relative, see
 * weights.ts scaleFor), and the route's targets moved to that factor (as they are with factor 1).
 */
function scaled(router: TrafficRouter, snapshot: Snapshot, targets: Target[], share: number): { scale: number; pool: number; current: Target[] } {
  const pool = poolOf(snapshot.targets, router.stable, router.canary);
  if (!router.limits.rescale) return { scale: 1, pool, current: targets };
  const { stable, canary, limits } = router;
  const scale = scaleFor(snapshot.targets, stable, canary, share, limits.maxWeight);
  return { scale, pool, current: rescaled(targets, snapshot.targets, stable, canary, scaleNow(targets, snapshot.targets, stable, canary), scale) };
}

async function readSameKind(router: TrafficRouter, snapshot: Snapshot): Promise<RouteState> {
  const state = await router.read();
  if (state.kind !== snapshot.kind) {
    throw new UnsupportedRoute(`${router.label}: the route is a ${state.kind} now but was a ${snapshot.kind} when the deployment began; not touching it`);
  }
  return state;
}

/** A route the arithmetic can work on: some targets, each id once. */
function shiftable(router: TrafficRouter, state: RouteState): RouteState {
  if (state.targets.length === 0) throw new UnsupportedRoute(`${router.label}: ${state.kind}.action has no weightedTargets to shift`);
  const seen = new Set<string>();
  for (const t of state.targets) {
    if (seen.has(t.id)) {
      throw new UnsupportedRoute(`${router.label}: ${router.words.target} ${t.id} appears twice in weightedTargets; mesh-canary cannot tell which one to shift`);
    }
    seen.add(t.id);
  }
  return state;
}

function stableIn(router: TrafficRouter, targets: readonly Target[]): void {
  if (!targets.some((t) => t.id === router.stable)) {
    throw new TargetNotInRoute(`${router.label}: stable ${router.words.target} ${router.stable} is not a weighted target of the route (targets: ${targets.map((t) => t.id).join(', ')})`);
  }
}

/** The backend's limits on a route's targets: 1 to maxTargets, each weight an integer 0 to maxWeight. */
function withinLimits(router: TrafficRouter, targets: readonly Target[]): void {
  const { maxTargets, maxWeight } = router.limits;
  if (targets.length === 0 || targets.length > maxTargets) {
    throw new UnsupportedRoute(`${router.label}: a route needs 1 to ${maxTargets} weighted targets; this change would leave ${targets.length}`);
  }
  for (const t of targets) {
    if (!Number.isInteger(t.weight) || t.weight < 0 || t.weight > maxWeight) {
      throw new UnsupportedRoute(`${router.label}: weight ${t.weight} for ${t.id} is outside ${router.words.backend}'s 0-${maxWeight}`);
    }
  }
}

/** Reads the route and checks a deployment can start on it: the snapshot, in neutral terms. */
async function takeSnapshot(router: TrafficRouter): Promise<Snapshot> {
  const { label, stable, canary, limits, words } = router;
  const state = shiftable(router, await router.read());
  const targets = state.targets;
  stableIn(router, targets);
  const canaryWeight = targets.find((t) => t.id === canary)?.weight ?? 0;
  if (canaryWeight > 0) {
    throw new UnsupportedRoute(`${label}: the canary ${canary} already carries weight ${canaryWeight}; a deployment starts from a canary at 0 (set it to 0, or roll back the deployment that left it there)`);
  }
  const pool = poolOf(targets, stable, canary);
  if (pool === 0) {
    throw new UnsupportedRoute(`${label}: ${stable} and ${canary} carry weight 0 together, so there is no traffic to shift`);
  }
  if (pool > limits.maxWeight) {
    throw new UnsupportedRoute(`${label}: ${stable} and ${canary} carry weight ${pool} together; a promoted canary could not hold more than ${limits.maxWeight}. Lower their weights first`);
  }
  if (!targets.some((t) => t.id === canary) && targets.length >= limits.maxTargets) {
    throw new UnsupportedRoute(`${label}: the route already has ${limits.maxTargets} weighted targets, ${words.backend}'s limit, so ${canary} cannot be added`);
  }
  await router.ensureCanStart(state);
  return { targets, revision: state.revision, kind: state.kind, takenAt: new Date().toISOString() };
}
