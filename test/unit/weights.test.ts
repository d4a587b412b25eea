import { poolOf, promoted, sameTargets, splitPool, withCanaryShare } from '../../functions/commons/weights.ts';

const p = { stable: 's', canary: 'c' };

describe('splitPool', () => {
  test.each([
    [100, 0, 100, 0], [100, 10, 90, 10], [100, 33, 67, 33], [100, 100, 0, 100],
    [90, 10, 81, 9], [90, 50, 45, 45], [1, 50, 0, 1], [7, 33, 5, 2],
  ])('pool %i at %i%% → stable %i, canary %i', (pool, share, stable, canary) => {
    expect(splitPool(pool, share)).toEqual({ stable, canary });
  });

  test('stable + canary always equals the pool, for every pool and share', () => {
    for (let pool = 1; pool <= 100; pool++) {
      for (let share = 0; share <= 100; share++) {
        const { stable, canary } = splitPool(pool, share);
        expect(stable + canary).toBe(pool);
        expect(stable).toBeGreaterThanOrEqual(0);
        expect(canary).toBeGreaterThanOrEqual(0);
      }
    }
  });
});

describe('withCanaryShare', () => {
  test('keeps other targets and their order, updates stable and canary in place', () => {
    const current = [{ virtualNode: 'x', weight: 5 }, { virtualNode: 'c', weight: 10 }, { virtualNode: 's', weight: 85 }];
    expect(withCanaryShare(current, { ...p, pool: 95, share: 40 }))
      .toEqual([{ virtualNode: 'x', weight: 5 }, { virtualNode: 'c', weight: 38 }, { virtualNode: 's', weight: 57 }]);
  });

  test('appends a missing canary with the stable port', () => {
    expect(withCanaryShare([{ virtualNode: 's', weight: 100, port: 8080 }], { ...p, pool: 100, share: 10 }))
      .toEqual([{ virtualNode: 's', weight: 90, port: 8080 }, { virtualNode: 'c', weight: 10, port: 8080 }]);
  });

  test('does not add a canary at 0%', () => {
    expect(withCanaryShare([{ virtualNode: 's', weight: 100 }], { ...p, pool: 100, share: 0 })).toEqual([{ virtualNode: 's', weight: 100 }]);
  });
});

describe('promoted', () => {
  const current = [{ virtualNode: 's', weight: 50 }, { virtualNode: 'x', weight: 20 }, { virtualNode: 'c', weight: 30 }];
  test('removes the stable by default', () => {
    expect(promoted(current, { ...p, pool: 80, keepStableTarget: false })).toEqual([{ virtualNode: 'x', weight: 20 }, { virtualNode: 'c', weight: 80 }]);
  });
  test('keeps it at weight 0 on request', () => {
    expect(promoted(current, { ...p, pool: 80, keepStableTarget: true }))
      .toEqual([{ virtualNode: 's', weight: 0 }, { virtualNode: 'x', weight: 20 }, { virtualNode: 'c', weight: 80 }]);
  });
});

test('poolOf and sameTargets', () => {
  const t = [{ virtualNode: 's', weight: 30 }, { virtualNode: 'x', weight: 10 }];
  expect(poolOf(t, 's', 'c')).toBe(30);
  expect(sameTargets(t, [{ virtualNode: 's', weight: 30 }, { virtualNode: 'x', weight: 10 }])).toBe(true);
  expect(sameTargets(t, [{ virtualNode: 'x', weight: 10 }, { virtualNode: 's', weight: 30 }])).toBe(false);
  expect(sameTargets(t, [{ virtualNode: 's', weight: 30, port: 80 }, { virtualNode: 'x', weight: 10 }])).toBe(false);
});
