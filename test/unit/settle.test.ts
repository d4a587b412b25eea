// Propagation-aware verdicts: the settle time after each shift, its default per backend, the
// waits the gate hands the machine, and the lock's expiry.
import { parseDeploymentInput } from '../../functions/commons/input.ts';
import { settleDefaults, settleNote, settleSecondsFor, settleSecondsOf } from '../../functions/commons/settle.ts';
import { gate, initialProgress, maxDurationSeconds, planOf, type GatePolicy, type Progress, type Strategy, type Verdict } from '../../functions/commons/strategy.ts';

const now = new Date('2026-11-27T10:00:00Z');
const appMeshRoute = { meshName: 'shop', virtualRouterName: 'product-router', routeName: 'product-route' };

/** The waits the gate hands the machine, one per verdict, and its decisions. */
function waits(strategy: Strategy, verdicts: Verdict[], policy: GatePolicy) {
  const plan = planOf(strategy);
  let progress: Progress = initialProgress();
  return verdicts.map((v) => {
    progress = gate(plan, policy, progress, v, v === 'pass' ? [] : ['why'], now);
    return `${progress.decision}${progress.waitSeconds !== undefined && progress.decision !== 'promote' ? `/${progress.waitSeconds}` : ''}`;
  });
}

describe('the default settle time comes from the route\'s backend', () => {
  test('App Mesh: 0, today\'s behaviour; VPC Lattice: 90; an unknown backend: 0', () => {
    expect(settleSecondsFor('appmesh')).toBe(0);
    expect(settleSecondsFor('lattice')).toBe(90);
    expect(settleSecondsFor(undefined)).toBe(0);
    expect(settleDefaults).toEqual({ appmesh: 0, lattice: 90 });
  });

  test('an App Mesh route settles for 0 s unless the input says otherwise', () => {
    expect(settleSecondsOf({ route: appMeshRoute })).toBe(0);
    expect(settleSecondsOf({ route: appMeshRoute, settleSeconds: 45 })).toBe(45);
    expect(settleSecondsOf({ route: appMeshRoute, settleSeconds: 0 })).toBe(0);
  });

  test('the note says why: the input\'s own choice, or the backend\'s reason', () => {
    expect(settleNote({ route: appMeshRoute, settleSeconds: 45 })).toBe('settleSeconds: 45');
    expect(settleNote({ route: appMeshRoute })).toBe('settleSeconds: 0');
  });
});

describe('the gate folds the settle time into the wait after each shift', () => {
  const linear: Strategy = { type: 'linear', stepPercent: 50, intervalSeconds: 30 };

  test('settleSeconds 0 (App Mesh): every wait is exactly the strategy\'s, as before', () => {
    expect(waits(linear, ['pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail', settleSeconds: 0 }))
      .toEqual(['advance/30', 'advance/30', 'promote']);
    expect(waits(linear, ['pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail' }))
      .toEqual(['advance/30', 'advance/30', 'promote']);
  });

  test('settleSeconds 90 over a 30 s interval: each wait after a shift lasts 90 s', () => {
    expect(waits(linear, ['pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail', settleSeconds: 90 }))
      .toEqual(['advance/90', 'advance/90', 'promote']);
  });

  test('settle shorter than the interval changes nothing: the interval already covers it', () => {
    expect(waits(linear, ['pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail', settleSeconds: 10 }))
      .toEqual(['advance/30', 'advance/30', 'promote']);
  });

  test('only the first wait after a shift settles: waits after a tolerated failure are the interval', () => {
    expect(waits(linear, ['pass', 'fail', 'pass', 'pass'], { failureThreshold: 2, inconclusive: 'fail', settleSeconds: 90 }))
      .toEqual(['advance/90', 'wait/30', 'advance/90', 'promote']);
  });

  test('step-then-all: the first bake verdict waits for the settle, the later ones the check interval', () => {
    const s: Strategy = { type: 'step-then-all', canaryPercent: 10, bakeSeconds: 180, checkIntervalSeconds: 60 };
    expect(waits(s, ['pass', 'pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail', settleSeconds: 90 }))
      .toEqual(['advance/90', 'wait/60', 'wait/60', 'promote']);
  });

  test('manual-approval: the first health check while waiting for approval comes after the settle', () => {
    const s: Strategy = { type: 'manual-approval', canaryPercent: 10, approvalTimeoutSeconds: 3600, checkIntervalSeconds: 60 };
    expect(waits(s, ['pass', 'pass', 'pass'], { failureThreshold: 1, inconclusive: 'fail', settleSeconds: 90 }))
      .toEqual(['advance/90', 'wait/60', 'wait/60']);
  });
});

describe('the lock lives through every settle', () => {
  test('settleSeconds 0 keeps today\'s expiry', () => {
    const s: Strategy = { type: 'linear', stepPercent: 25, intervalSeconds: 30 };
    expect(maxDurationSeconds(s, 1, 0)).toBe(maxDurationSeconds(s, 1));
    expect(maxDurationSeconds(s, 1)).toBe(4 * 30 + 3600);
  });

  test('each stage adds what its first wait is stretched by', () => {
    const s: Strategy = { type: 'linear', stepPercent: 25, intervalSeconds: 30 };
    expect(maxDurationSeconds(s, 1, 90)).toBe(4 * 90 + 3600);
    expect(maxDurationSeconds(s, 2, 90)).toBe(4 * (2 * 30 + 60) + 3600);
    expect(maxDurationSeconds({ type: 'step-then-all', canaryPercent: 10, bakeSeconds: 600, checkIntervalSeconds: 60 }, 1, 90)).toBe(600 + 30 + 3600);
    expect(maxDurationSeconds({ type: 'linear', stepPercent: 50, intervalSeconds: 300 }, 1, 90)).toBe(2 * 300 + 3600);
  });

  test('the bound is never shorter than the waits the gate hands out', () => {
    for (const settleSeconds of [0, 5, 90, 3600]) {
      for (const strategy of [
        { type: 'linear', stepPercent: 10, intervalSeconds: 0 },
        { type: 'linear', stepPercent: 34, intervalSeconds: 120 },
        { type: 'step-then-all', canaryPercent: 5, bakeSeconds: 300, checkIntervalSeconds: 60 },
      ] as Strategy[]) {
        const plan = planOf(strategy);
        let p: Progress = initialProgress();
        let total = 0;
        while (p.decision !== 'promote') {
          p = gate(plan, { failureThreshold: 1, inconclusive: 'fail', settleSeconds }, p, 'pass', [], now);
          if (p.decision !== 'promote') total += p.waitSeconds ?? 0;
        }
        expect(maxDurationSeconds(strategy, 1, settleSeconds) - 3600).toBeGreaterThanOrEqual(total);
      }
    }
  });
});

describe('settleSeconds in the input', () => {
  const input = (settleSeconds: unknown) => ({
    route: appMeshRoute, stableNode: 'product-v1', canaryNode: 'product-v2',
    strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 30 }, settleSeconds,
  });
  test.each([0, 90, 3600])('%i is taken', (v) => {
    expect(parseDeploymentInput(input(v)).settleSeconds).toBe(v);
  });
  test.each([-1, 3601, 1.5, '90', null, true])('%p is refused, naming settleSeconds', (v) => {
    expect(() => parseDeploymentInput(input(v))).toThrow(expect.objectContaining({ name: 'InvalidInput', message: expect.stringContaining('settleSeconds must be an integer from 0 to 3600') }));
  });
});
