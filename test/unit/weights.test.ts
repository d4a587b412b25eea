import { isUndone, poolOf, promoted, sameTargets, splitPool, undone, withCanaryShare, type Target } from '../../functions/commons/weights.ts';

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
    const current = [{ id: 'x', weight: 5 }, { id: 'c', weight: 10 }, { id: 's', weight: 85 }];
    expect(withCanaryShare(current, { ...p, pool: 95, share: 40 }))
      .toEqual([{ id: 'x', weight: 5 }, { id: 'c', weight: 38 }, { id: 's', weight: 57 }]);
  });

  test('appends a missing canary as the backend makes it (App Mesh: with the stable port), keeping fields it does not know', () => {
    type Ported = Target & { port?: number };
    const newTarget = (id: string, weight: number, stable: Ported | undefined): Ported => ({ id, weight, port: stable?.port });
    expect(withCanaryShare<Ported>([{ id: 's', weight: 100, port: 8080 }], { ...p, pool: 100, share: 10, newTarget }))
      .toEqual([{ id: 's', weight: 90, port: 8080 }, { id: 'c', weight: 10, port: 8080 }]);
    expect(withCanaryShare<Ported>([{ id: 's', weight: 100, port: 8080 }], { ...p, pool: 100, share: 10 }))
      .toEqual([{ id: 's', weight: 90, port: 8080 }, { id: 'c', weight: 10 }]);
  });

  test('does not add a canary at 0%', () => {
    expect(withCanaryShare([{ id: 's', weight: 100 }], { ...p, pool: 100, share: 0 })).toEqual([{ id: 's', weight: 100 }]);
  });
});

describe('promoted', () => {
  const current = [{ id: 's', weight: 50 }, { id: 'x', weight: 20 }, { id: 'c', weight: 30 }];
  test('removes the stable by default', () => {
    expect(promoted(current, { ...p, pool: 80, keepStableTarget: false })).toEqual([{ id: 'x', weight: 20 }, { id: 'c', weight: 80 }]);
  });
  test('keeps it at weight 0 on request', () => {
    expect(promoted(current, { ...p, pool: 80, keepStableTarget: true }))
      .toEqual([{ id: 's', weight: 0 }, { id: 'x', weight: 20 }, { id: 'c', weight: 80 }]);
  });
});

test('poolOf and sameTargets', () => {
  const t: (Target & { port?: number })[] = [{ id: 's', weight: 30 }, { id: 'x', weight: 10 }];
  expect(poolOf(t, 's', 'c')).toBe(30);
  expect(sameTargets(t, [{ id: 's', weight: 30 }, { id: 'x', weight: 10 }])).toBe(true);
  expect(sameTargets(t, [{ id: 'x', weight: 10 }, { id: 's', weight: 30 }])).toBe(false);
  expect(sameTargets(t, [{ id: 's', weight: 30, port: 80 } as Target, { id: 'x', weight: 10 }])).toBe(false);
  expect(sameTargets([{ id: 's', weight: 30, port: null } as unknown as Target], [{ id: 's', weight: 30 }])).toBe(true);
});

describe('undone: what rollback, the guard and abort write (this deployment undone, nobody else\'s change)', () => {
  const w = (id: string, weight: number, port?: number): Target => (port === undefined ? { id, weight } : { id, weight, port } as Target);
  type Row = [string, Target[], Target[], Target[], string[]];
  const rows: Row[] = [
    // label, snapshot, route now, expected targets, kept changes (virtual nodes)
    ['no third target: exactly the snapshot', [w('s', 100)], [w('s', 50), w('c', 50)], [w('s', 100)], []],
    ['third target unchanged: exactly the snapshot, order and all',
      [w('s', 90), w('x', 10)], [w('s', 45), w('x', 10), w('c', 45)], [w('s', 90), w('x', 10)], []],
    ['third target re-weighted by someone: it keeps the new weight',
      [w('s', 90), w('x', 10)], [w('s', 45), w('x', 30), w('c', 45)], [w('s', 90), w('x', 30)], ['x']],
    ['third target removed by someone: it stays removed',
      [w('x', 10), w('s', 90)], [w('s', 45), w('c', 45)], [w('s', 90)], ['x']],
    ['a target someone added: it stays, after the snapshot\'s',
      [w('s', 100)], [w('y', 5), w('s', 50), w('c', 50)], [w('s', 100), w('y', 5)], ['y']],
    ['a canary already in the snapshot (at 0) goes back to 0, it is not removed',
      [w('s', 100), w('c', 0)], [w('s', 40), w('c', 60)], [w('s', 100), w('c', 0)], []],
    ['a canary this deployment added is removed',
      [w('s', 80), w('x', 20)], [w('s', 40), w('x', 20), w('c', 40)], [w('s', 80), w('x', 20)], []],
    ['after a promotion that removed the stable: the stable comes back in its place',
      [w('x', 20), w('s', 80)], [w('x', 20), w('c', 80)], [w('x', 20), w('s', 80)], []],
    ['ports: stable and canary take the snapshot\'s; a third target keeps the port it has now',
      [w('s', 90, 8080), w('x', 10, 8080)], [w('s', 45, 9090), w('x', 10, 8081), w('c', 45, 9090)], [w('s', 90, 8080), w('x', 10, 8081)], ['x']],
    ['stable and canary set by someone else (drift): still put back, they are this deployment\'s',
      [w('s', 100)], [w('s', 10), w('c', 90)], [w('s', 100)], []],
  ];

  test.each(rows)('%s', (_label, snapshot, now, expected, kept) => {
    const result = undone(now, snapshot, 's', 'c');
    expect(result.targets).toEqual(expected);
    expect(result.keptChanges.map((k) => k.id)).toEqual(kept);
    // Undoing twice changes nothing more, and the route then counts as undone.
    expect(undone(result.targets, snapshot, 's', 'c').targets).toEqual(expected);
    expect(isUndone(result.targets, snapshot, 's', 'c')).toBe(true);
    expect(isUndone(now, snapshot, 's', 'c')).toBe(sameTargets(now, expected));
  });

  test('kept changes say what the snapshot had and what the route has now', () => {
    expect(undone([w('s', 45), w('x', 30, 81), w('y', 5), w('c', 45)], [w('s', 90), w('x', 10, 80), w('z', 3)], 's', 'c').keptChanges).toEqual([
      { id: 'x', snapshot: w('x', 10, 80), now: w('x', 30, 81) },
      { id: 'z', snapshot: w('z', 3), now: null },
      { id: 'y', snapshot: null, now: w('y', 5) },
    ]);
  });

  test('a route with only a third target changed counts as undone: the guard does not fight it', () => {
    expect(isUndone([w('s', 90), w('x', 30)], [w('s', 90), w('x', 10)], 's', 'c')).toBe(true);
    expect(isUndone([w('s', 90), w('x', 10), w('c', 1)], [w('s', 90), w('x', 10)], 's', 'c')).toBe(false);
    expect(isUndone([w('s', 89), w('x', 10)], [w('s', 90), w('x', 10)], 's', 'c')).toBe(false);
  });
});
