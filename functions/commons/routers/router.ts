// The narrow interface every traffic backend implements (App Mesh today; VPC Lattice can sit
// beside it). Handlers and state machines only ever talk to this.
import type { RouteSnapshot } from '../deployment.ts';
import type { KeptChange, WeightedTarget } from '../weights.ts';

export interface ShiftResult {
  /** False when the route already had these weights and nothing was written. */
  changed: boolean;
  /** The route's weighted targets after the call. */
  weightedTargets: WeightedTarget[];
  /** The route's metadata.version after the call. */
  routeVersion: number;
}

/** A restore's result: also the other targets that are not as the snapshot had them (kept as they are now). */
export interface RestoreResult extends ShiftResult {
  /** Targets besides stable and canary that someone changed during the deployment; left as they are. */
  keptChanges: KeptChange[];
}

/** Checks a write must pass: no drift since this deployment's last write, and a last word before it. */
export interface WriteGuard {
  /** The targets this deployment last wrote (or the snapshot): others changing stable/canary is drift. */
  expected?: WeightedTarget[];
  /** Runs right before the write (for example: do we still hold the route's lock?). */
  beforeWrite?: () => Promise<void>;
}

export interface TrafficRouter {
  readonly type: RouteSnapshot['router'];
  /** Checks the route can be shifted between stable and canary and records it as it is now. */
  snapshot(): Promise<RouteSnapshot>;
  /** The canary gets `share` percent (0-100) of the traffic stable and canary held in the snapshot. */
  setCanaryShare(snapshot: RouteSnapshot, share: number, guard?: WriteGuard): Promise<ShiftResult>;
  /** The canary takes the whole stable+canary share; the stable target is removed unless kept. */
  promote(snapshot: RouteSnapshot, options: { keepStableTarget: boolean }, guard?: WriteGuard): Promise<ShiftResult>;
  /**
   * Undoes this deployment: stable and canary back to their snapshot weights (a canary it added
   * removed); every other target stays as it is now. Exactly the snapshot when nobody else
   * changed the route.
   */
  restore(snapshot: RouteSnapshot, guard?: WriteGuard): Promise<RestoreResult>;
  /** The route's weighted targets now. */
  current(): Promise<{ weightedTargets: WeightedTarget[]; routeVersion: number }>;
}
