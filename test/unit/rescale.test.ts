// The arithmetic of relative weights (weights.ts scaleFor, scaleNow, rescaled, undone with a
// scale): one factor for every weight, chosen per share, taken back exactly by a rollback, and
// never touching a weight someone else set. Scale 1 changes nothing (App Mesh).
import { rescaled, scaleFor, scaleNow, undone, type Target } from '../../functions/commons/weights.ts';

const t = (id: string, weight: number): Target => ({ id, weight });

describe('scaleFor: the smallest factor that makes the share a whole weight within the limit', () => {
  test.each([
    ['pool 100, any share', [t('s', 100)], 37, 1],
    ['pool 80, 25%', [t('s', 80), t('x', 20)], 25, 1],
    ['pool 80, 33%', [t('s', 80), t('x', 20)], 33, 5],
    ['pool 37, 10%', [t('s', 37)], 10, 10],
    ['pool 37, 1%: 100 would pass 999, so the closest within it', [t('s', 37)], 1, 27],
    ['pool 7 beside a group of 500: at most 1', [t('s', 7), t('x', 500)], 10, 1],
    ['100% never needs a factor', [t('s', 37), t('x', 3)], 100, 1],
    ['an empty pool', [t('s', 0), t('x', 10)], 50, 1],
  ])('%s', (_label, snapshot, share, factor) => {
    expect(scaleFor(snapshot, 's', 'c', share, 999)).toBe(factor);
  });

  test('the closest when nothing is exact: pool 37 at 1%, factor 27 gives 10/999 (1.0010%)', () => {
    const k = scaleFor([t('s', 37)], 's', 'c', 1, 999);
    expect(Math.round(k * 37 * 0.01)).toBe(10);
  });
});

test('scaleNow: what stable and canary hold over the snapshot pool; 1 when that is no whole number', () => {
  const snapshot = [t('s', 80), t('x', 20)];
  expect(scaleNow([t('s', 80), t('x', 20)], snapshot, 's', 'c')).toBe(1);
  expect(scaleNow([t('s', 268), t('x', 100), t('c', 132)], snapshot, 's', 'c')).toBe(5);
  expect(scaleNow([t('x', 20), t('c', 400)], snapshot, 's', 'c')).toBe(5);
  expect(scaleNow([t('s', 95), t('x', 20), t('c', 10)], snapshot, 's', 'c')).toBe(1);
});

test('rescaled: moves only the groups this deployment scaled; a weight someone set stays', () => {
  const snapshot = [t('s', 60), t('x', 30), t('y', 10)];
  expect(rescaled([t('s', 60), t('x', 30), t('y', 10)], snapshot, 's', 'c', 1, 5)).toEqual([t('s', 60), t('x', 150), t('y', 50)]);
  expect(rescaled([t('s', 264), t('x', 150), t('y', 7), t('z', 4), t('c', 36)], snapshot, 's', 'c', 5, 2)).toEqual([t('s', 264), t('x', 60), t('y', 7), t('z', 4), t('c', 36)]);
  const same = [t('s', 60), t('x', 30)];
  expect(rescaled(same, snapshot, 's', 'c', 3, 3)).toEqual(same);
});

test('undone with a scale: rescaled groups back to the snapshot, others\' changes kept and reported; scale 1 as before', () => {
  const snapshot = [t('s', 60), t('x', 30), t('y', 10)];
  const now = [t('s', 264), t('x', 150), t('y', 7), t('c', 36)];
  expect(undone(now, snapshot, 's', 'c', 5)).toEqual({
    targets: [t('s', 60), t('x', 30), t('y', 7)],
    keptChanges: [{ id: 'y', snapshot: t('y', 10), now: t('y', 7) }],
  });
  // Without the scale, x's 150 would count as someone's change: the deployment would leave its own rescaling behind.
  expect(undone(now, snapshot, 's', 'c').targets).toEqual([t('s', 60), t('x', 150), t('y', 7)]);
});
