// The contract every traffic router passes, through the route writer, against a real (local)
// backend: snapshot, share, promote, restore, no write when nothing changes, drift refused, a
// restore that undoes exactly this deployment's changes, the lock checked right before a write,
// and one lock key per route however its reference is written. A backend joins by giving a
// harness: how to make a route holding some targets, how to change it by hand and how to read
// it back, all with its own API calls (never through the router under test).
// On a backend whose weights are relative (Limits.rescale: VPC Lattice), a deployment may multiply
// every weight by one factor, so the weights of a share or a promotion are compared as
// proportions (each divided by the weights' greatest common divisor); a snapshot and a restore
// are compared exactly.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { acquireLock, lockHolder, type LockTable } from '../../functions/commons/lock.ts';
import { RouteWriter } from '../../functions/commons/route-writer.ts';
import { routerFor, type RouteNaming, type RouterClients } from '../../functions/commons/routers/index.ts';
import type { Target } from '../../functions/commons/weights.ts';

export interface HarnessRoute {
  /** The route as a deployment input names it, with `stableNode`/`canaryNode`. */
  naming: RouteNaming;
  /** The same route written other ways a user may write it (all must lock the same). */
  otherNamings: RouteNaming[];
  /** The route's targets now, read with the backend's own API. */
  targets(): Promise<Target[]>;
  /** How many writes the route has had (a revision counter). */
  writes(): Promise<number>;
  /** Someone else sets the route's targets. */
  setByHand(targets: Target[]): Promise<void>;
}

export interface RouterHarness {
  name: string;
  clients: RouterClients;
  /** The account executions run in on this backend's local AWS. */
  account: string;
  lockTableName(): string;
  /** A new route holding these targets; stable is "s", canary "c", others any other id. */
  route(targets: Target[]): Promise<HarnessRoute>;
  /** The backend's id of a target the contract names "s", "c", "x"... (default: that name). */
  id?(name: string): string;
  /** The lock table (default: DynamoDB's table named lockTableName()). */
  lock?(): LockTable;
}

const neutral = (ts: readonly Target[]) => ts.map(({ id, weight }) => ({ id, weight }));
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** Weights as proportions: each divided by their greatest common divisor. */
const proportions = (ts: readonly Target[]) => {
  const d = ts.reduce((g, x) => gcd(g, x.weight), 0) || 1;
  return neutral(ts).map((x) => ({ id: x.id, weight: x.weight / d }));
};

export function routerContract(h: RouterHarness): void {
  const t = (name: string, weight: number): Target => ({ id: h.id ? h.id(name) : name, weight });
  const lock = (): LockTable => h.lock?.() ?? { client: new DynamoDBClient({}), tableName: h.lockTableName() };
  const executionId = () => `arn:aws:states:us-east-1:${h.account}:execution:LinearStateMachine:contract-${randomUUID().slice(0, 8)}`;

  /** A deployment prepared the way the prepare step does it: lock, then snapshot. */
  async function prepared(targets: Target[]) {
    const route = await h.route(targets);
    const writer = new RouteWriter({ routers: h.clients, lock: lock() });
    const id = executionId();
    const snapshot = await writer.prepare(route.naming, id);
    const deployment = { ...route.naming, executionId: id, snapshot };
    const router = routerFor(route.naming, h.clients);
    // A share's or a promotion's weights: exact, or as proportions on a backend that rescales.
    const shares = (ts: readonly Target[]) => (router.limits.rescale ? proportions(ts) : neutral(ts));
    const wireTargets = (r: { weightedTargets: unknown[] }) => shares(router.codec.targetsIn(r.weightedTargets));
    return { route, writer, deployment, id, router, wireTargets, shares };
  }

  describe(`${h.name} router contract`, () => {
    test('snapshot: records the route exactly, takes its lock, writes nothing', async () => {
      const { route, deployment, router, id } = await prepared([t('s', 90), t('x', 10)]);
      expect(neutral(router.codec.snapshotIn(deployment.snapshot).targets)).toEqual([t('s', 90), t('x', 10)]);
      expect(await route.writes()).toBe(0);
      expect((await lockHolder(lock(), { key: await router.identity(h.account), label: router.label }))?.executionId).toBe(id);
    });

    test('share: the canary gets its share of the pool stable and canary held; other targets untouched; the same share again writes nothing', async () => {
      const { route, writer, deployment, wireTargets, shares } = await prepared([t('s', 80), t('x', 20)]);
      const first = await writer.shift(deployment, 25);
      expect(first.changed).toBe(true);
      expect(wireTargets(first)).toEqual(shares([t('s', 60), t('x', 20), t('c', 20)]));
      expect(shares(await route.targets())).toEqual(shares([t('s', 60), t('x', 20), t('c', 20)]));
      const writes = await route.writes();
      const again = await writer.shift(deployment, 25, first.weightedTargets);
      expect(again.changed).toBe(false);
      expect(await route.writes()).toBe(writes);
    });

    test('promote: the canary holds the whole pool, the stable is removed (or kept at 0), the lock is released; again writes nothing', async () => {
      for (const keepStableTarget of [false, true]) {
        const { route, writer, deployment, router, shares } = await prepared([t('s', 80), t('x', 20)]);
        const shifted = await writer.shift(deployment, 50);
        const result = await writer.promote({ ...deployment, keepStableTarget }, shifted.weightedTargets);
        expect(shares(await route.targets())).toEqual(shares(keepStableTarget ? [t('s', 0), t('x', 20), t('c', 80)] : [t('x', 20), t('c', 80)]));
        expect(await lockHolder(lock(), { key: await router.identity(h.account), label: router.label })).toBeUndefined();
        const writes = await route.writes();
        expect((await writer.promote({ ...deployment, keepStableTarget }, result.weightedTargets)).changed).toBe(false);
        expect(await route.writes()).toBe(writes);
      }
    });

    test('restore: back exactly at the snapshot, from a share or a promotion; again writes nothing', async () => {
      for (const after of ['share', 'promote'] as const) {
        const { route, writer, deployment } = await prepared([t('s', 70), t('x', 30)]);
        const shifted = await writer.shift(deployment, 40);
        if (after === 'promote') await writer.promote(deployment, shifted.weightedTargets);
        const { result } = await writer.restore(deployment);
        expect(result.changed).toBe(true);
        expect(neutral(await route.targets())).toEqual([t('s', 70), t('x', 30)]);
        const writes = await route.writes();
        expect((await writer.restore(deployment)).result.changed).toBe(false);
        expect(await route.writes()).toBe(writes);
      }
    });

    test('drift: a hand edit of stable or canary since the last write is refused (RouteDriftDetected), nothing written', async () => {
      const { route, writer, deployment } = await prepared([t('s', 100)]);
      const shifted = await writer.shift(deployment, 10);
      await route.setByHand([t('s', 95), t('c', 5)]);
      const writes = await route.writes();
      await expect(writer.shift(deployment, 20, shifted.weightedTargets)).rejects.toMatchObject({ name: 'RouteDriftDetected' });
      await expect(writer.promote(deployment, shifted.weightedTargets)).rejects.toMatchObject({ name: 'RouteDriftDetected' });
      expect(await route.writes()).toBe(writes);
      expect(neutral(await route.targets())).toEqual([t('s', 95), t('c', 5)]);
    });

    test('a restore undoes exactly this deployment: others\' changes to other targets stay, and are reported', async () => {
      const { route, writer, deployment, router } = await prepared([t('s', 60), t('x', 30), t('y', 10)]);
      await writer.shift(deployment, 50);
      // Meanwhile someone re-weights x, removes y and adds z.
      await route.setByHand([t('s', 30), t('x', 25), t('c', 30), t('z', 5)]);
      const { result, summary } = await writer.restore(deployment);
      expect(neutral(await route.targets())).toEqual([t('s', 60), t('x', 25), t('z', 5)]);
      const kept = result.keptChanges.map((c) => (c as Record<string, unknown>)[router.codec.idField]);
      expect(kept).toEqual(['x', 'y', 'z'].map((name) => t(name, 0).id));
      expect(summary).toContain('left as they are');
    });

    test('the lock is checked right before each write: a deployment that lost it writes nothing; a restore never overwrites a route another deployment holds', async () => {
      const { route, writer, deployment, router } = await prepared([t('s', 100)]);
      await writer.shift(deployment, 10);
      // Someone aborted this deployment, and another took the route.
      const key = { key: await router.identity(h.account), label: router.label };
      await writer.release(deployment);
      await acquireLock(lock(), key, 'another-execution', 600);
      const writes = await route.writes();
      await expect(writer.shift(deployment, 20)).rejects.toMatchObject({ name: 'DeploymentLockLost' });
      await expect(writer.restore(deployment)).rejects.toMatchObject({ name: 'DeploymentInProgress' });
      expect(await route.writes()).toBe(writes);
    });

    test('one route, one lock key: every way of writing the route locks the same item', async () => {
      const route = await h.route([t('s', 100)]);
      const keys = new Set<string>();
      for (const naming of [route.naming, ...route.otherNamings]) {
        const r = routerFor(naming, h.clients);
        keys.add(await r.identity(h.account));
        keys.add(await r.identity());
        keys.add((await r.read()).identity);
      }
      expect([...keys]).toHaveLength(1);
      // And a second deployment of the route, however written, is refused.
      const writer = new RouteWriter({ routers: h.clients, lock: lock() });
      await writer.prepare(route.naming, executionId());
      for (const naming of route.otherNamings) {
        await expect(writer.prepare(naming, executionId())).rejects.toMatchObject({ name: 'DeploymentInProgress' });
      }
    });
  });
}
