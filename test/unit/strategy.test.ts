import { gate, initialProgress, planOf, type GatePolicy, type Progress } from '../../functions/commons/strategy.ts';

const now = new Date('2026-11-27T10:00:00Z');
const policy: GatePolicy = { failureThreshold: 1, inconclusive: 'fail' };

describe('planOf', () => {
  test.each([
    [30, [30, 60, 90, 100]], [25, [25, 50, 75, 100]], [100, [100]], [1, Array.from({ length: 100 }, (_, i) => i + 1)], [34, [34, 68, 100]],
  ])('linear %i%% → %j (ends at 100, never above)', (stepPercent, weights) => {
    const plan = planOf({ type: 'linear', stepPercent, intervalSeconds: 60 });
    expect(plan.map((s) => s.weight)).toEqual(weights);
    expect(plan.every((s) => s.checks === 1 && s.waitSeconds === 60)).toBe(true);
  });

  test.each([
    [600, 60, 10], [600, 70, 9], [0, 60, 1], [59, 60, 1],
  ])('step-then-all bake %is every %is → %i verdicts during the bake', (bakeSeconds, checkIntervalSeconds, checks) => {
    expect(planOf({ type: 'step-then-all', canaryPercent: 10, bakeSeconds, checkIntervalSeconds })).toEqual([{ weight: 10, checks, waitSeconds: checkIntervalSeconds }]);
  });

  test('manual-approval never leaves its stage by itself', () => {
    expect(planOf({ type: 'manual-approval', canaryPercent: 5, approvalTimeoutSeconds: 60 })).toEqual([{ weight: 5, checks: null, waitSeconds: 60 }]);
  });
});

describe('gate', () => {
  const plan = planOf({ type: 'linear', stepPercent: 50, intervalSeconds: 7 });
  const run = (verdicts: ('pass' | 'fail' | 'inconclusive')[], p = policy) => {
    let progress: Progress = initialProgress();
    const seen: string[] = [];
    for (const v of verdicts) {
      progress = gate(plan, p, progress, v, v === 'pass' ? [] : [`${v} reason`], now);
      seen.push(`${progress.decision}${progress.nextWeight !== undefined ? `:${progress.nextWeight}` : ''}`);
    }
    return { progress, seen };
  };

  test('the happy path: baseline, one verdict per step, then promote', () => {
    const { progress, seen } = run(['pass', 'pass', 'pass']);
    expect(seen).toEqual(['advance:50', 'advance:100', 'promote']);
    expect(progress.history.map((h) => h.weight)).toEqual([0, 50, 100]);
  });

  test('the first failure rolls back by default, saying why', () => {
    const { progress, seen } = run(['pass', 'fail']);
    expect(seen).toEqual(['advance:50', 'rollback']);
    expect(progress.reason).toMatch(/canary at 50% had 1 failing verdict .*fail reason/);
  });

  test('failureThreshold 3 tolerates two failures in a row, not three; a pass resets the count', () => {
    const p = { ...policy, failureThreshold: 3 };
    expect(run(['pass', 'fail', 'fail', 'pass', 'fail', 'fail', 'pass', 'pass'], p).seen)
      .toEqual(['advance:50', 'wait', 'wait', 'advance:100', 'wait', 'wait', 'promote', 'promote']);
    expect(run(['pass', 'fail', 'fail', 'fail'], p).seen.at(-1)).toBe('rollback');
  });

  test('a tolerated failure holds the weight and waits the stage interval', () => {
    const { progress } = run(['pass', 'fail'], { ...policy, failureThreshold: 2 });
    expect(progress).toMatchObject({ decision: 'wait', weight: 50, waitSeconds: 7, consecutiveFailures: 1 });
  });

  test.each([['fail', 'rollback'], ['pass', 'advance:100']] as const)('inconclusive counted as %s', (inconclusive, second) => {
    expect(run(['pass', 'inconclusive'], { ...policy, inconclusive }).seen[1]).toBe(second);
  });

  test('an inconclusive baseline (no traffic on the canary yet) never blocks the start; a failing one refuses it (nothing to roll back)', () => {
    expect(run(['inconclusive'], policy).seen).toEqual(['advance:50']);
    const refused = run(['fail'], policy);
    expect(refused.seen).toEqual(['refuse']);
    expect(refused.progress).toMatchObject({ stage: -1, weight: 0, reason: expect.stringMatching(/^the baseline verdict, taken before any traffic moved to the canary, failed: 1 failing verdict in a row \(threshold 1\): fail reason$/) });
  });

  test('a failing baseline is refused only at failureThreshold; a later failure at a step still rolls back', () => {
    const p = { ...policy, failureThreshold: 2 };
    expect(run(['fail', 'fail'], p).seen).toEqual(['wait', 'refuse']);
    expect(run(['fail', 'pass', 'fail', 'fail'], p).seen).toEqual(['wait', 'advance:50', 'wait', 'rollback']);
  });

  test('step-then-all: waits through the bake, then promotes', () => {
    const bake = planOf({ type: 'step-then-all', canaryPercent: 10, bakeSeconds: 3, checkIntervalSeconds: 1 });
    let p = initialProgress();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      p = gate(bake, policy, p, 'pass', [], now);
      seen.push(p.decision!);
    }
    expect(seen).toEqual(['advance', 'wait', 'wait', 'promote']);
  });

  test('history keeps the last 100 verdicts', () => {
    const bake = planOf({ type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 60 });
    let p = initialProgress();
    for (let i = 0; i < 150; i++) p = gate(bake, policy, p, 'pass', [], now);
    expect(p.history).toHaveLength(100);
    expect(p.checks).toBe(150);
  });
});
