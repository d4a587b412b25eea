// The gate with traffic verification (issue 13): after each shift it holds (wait, counting
// neither a pass nor a failure, under both inconclusive policies) until the split is verified,
// a failing check still counts, and a split not verified within maxWaitSeconds rolls back.
import { gate, initialProgress, planOf, type GatePolicy, type Progress, type TrafficMeasure } from '../../functions/commons/strategy.ts';

const t0 = Date.parse('2026-11-27T10:00:00Z');
const at = (s: number) => new Date(t0 + s * 1000);
const plan = planOf({ type: 'linear', stepPercent: 50, intervalSeconds: 4 });
const traffic = { windowSeconds: 10, maxWaitSeconds: 30, tolerancePercent: 5 };
const policy = (inconclusive: 'fail' | 'pass' = 'fail', extra: Partial<GatePolicy> = {}): GatePolicy => ({ failureThreshold: 1, inconclusive, settleSeconds: 2, traffic, ...extra });
const notYet: TrafficMeasure = { verified: false, measured: ['traffic:r: canary c has 3% of 412 requests since the shift settled, 50% ± 5 expected'] };
const lowTraffic: TrafficMeasure = { verified: false, measured: ['traffic:r: 41 requests since the shift settled, fewer than the 100 needed to tell'] };
const verified: TrafficMeasure = { verified: true, measured: [] };

/** The progress after the baseline's pass: the first shift (to 50%) is decided, its split not yet verified. */
const afterBaseline = (p = policy()): Progress => gate(plan, p, initialProgress(), 'pass', [], at(0));

describe('gate with traffic verification', () => {
  test('the advance records the share and when the shift settles (now + settleSeconds); not at the baseline', () => {
    const p = afterBaseline();
    expect(p).toMatchObject({ decision: 'advance', nextWeight: 50, weight: 50, traffic: { weight: 50, since: at(2).toISOString() } });
    expect(p.traffic!.verifiedAt).toBeUndefined();
    expect(initialProgress().traffic).toBeUndefined();
  });

  test.each(['fail', 'pass'] as const)('inconclusive %s: unverified verdicts hold (wait), counting neither a pass nor a failure', (inconclusive) => {
    let p = afterBaseline(policy(inconclusive));
    for (const [s, m] of [[6, notYet], [11, lowTraffic], [16, notYet]] as const) {
      p = gate(plan, policy(inconclusive), p, 'inconclusive', m.measured, at(s), m);
      expect(p).toMatchObject({ decision: 'wait', stage: 0, weight: 50, passes: 0, consecutiveFailures: 0 });
      expect(p.history.at(-1)).toMatchObject({ verdict: 'inconclusive', decision: 'wait', reasons: m.measured });
    }
    // Then verified after those holds: it waits a whole interval (4 s) before verdicts at 50% count; this one counts neither way.
    p = gate(plan, policy(inconclusive), p, 'pass', [], at(21), verified);
    expect(p).toMatchObject({ decision: 'wait', waitSeconds: 4, stage: 0, weight: 50, passes: 0, traffic: { weight: 50, verifiedAt: at(21).toISOString(), held: true } });
    // The next verdict counts as usual, and the next stage follows (its split measured against the 50% before it).
    p = gate(plan, policy(inconclusive), p, 'pass', [], at(25));
    expect(p).toMatchObject({ decision: 'advance', stage: 1, weight: 100, traffic: { weight: 100, since: at(27).toISOString() } });
    expect(p.traffic!.held).toBeUndefined();
  });

  test('verified with another check inconclusive: that verdict counts under the policy as usual; the share is not measured again', () => {
    let p = afterBaseline();
    p = gate(plan, policy('pass', { failureThreshold: 2 }), p, 'inconclusive', ['alarm x is INSUFFICIENT_DATA'], at(6), verified);
    expect(p).toMatchObject({ decision: 'advance', stage: 1, weight: 100 });
    let q = afterBaseline(policy('fail', { failureThreshold: 2 }));
    q = gate(plan, policy('fail', { failureThreshold: 2 }), q, 'inconclusive', ['alarm x is INSUFFICIENT_DATA'], at(6), verified);
    expect(q).toMatchObject({ decision: 'wait', consecutiveFailures: 1, traffic: { weight: 50, verifiedAt: at(6).toISOString() } });
    // Verified at 50%: the next verdict needs no measure (check-health passes none) and counts as usual.
    q = gate(plan, policy('fail', { failureThreshold: 2 }), q, 'pass', [], at(10));
    expect(q).toMatchObject({ decision: 'advance', weight: 100, consecutiveFailures: 0 });
  });

  test('a real failure while unverified counts as always: rollback at failureThreshold 1, the reason the failing check', () => {
    const p = gate(plan, policy(), afterBaseline(), 'fail', ['alarm x is ALARM', notYet.measured[0]], at(6), notYet);
    expect(p).toMatchObject({ decision: 'rollback', consecutiveFailures: 1 });
    expect(p.reason).toContain('alarm x is ALARM');
    expect(p.traffic!.verifiedAt).toBeUndefined();
  });

  test.each(['fail', 'pass'] as const)('inconclusive %s: not verified within maxWaitSeconds of the shift settling → rollback naming the measured split', (inconclusive) => {
    let p = afterBaseline(policy(inconclusive));
    p = gate(plan, policy(inconclusive), p, 'inconclusive', lowTraffic.measured, at(31), lowTraffic); // 29 s after settling
    expect(p.decision).toBe('wait');
    p = gate(plan, policy(inconclusive), p, 'inconclusive', notYet.measured, at(32), notYet); // 30 s after settling
    expect(p).toMatchObject({ decision: 'rollback' });
    expect(p.reason).toBe(`the traffic split never reached 50% ± 5 on the canary within 30 s of the shift settling: ${notYet.measured[0]}`);
  });

  test('the hold waits the stage\'s wait, at least half a window, at most a window, never past the deadline', () => {
    const wait = (intervalSeconds: number, s: number, windowSeconds = 10) => {
      const pl = planOf({ type: 'linear', stepPercent: 50, intervalSeconds });
      const pol = policy('fail', { traffic: { ...traffic, windowSeconds } });
      return gate(pl, pol, gate(pl, pol, initialProgress(), 'pass', [], at(0)), 'inconclusive', [], at(s), notYet).waitSeconds;
    };
    expect(wait(0, 3)).toBe(5); // half a window
    expect(wait(7, 3)).toBe(7); // the stage's own
    expect(wait(600, 3)).toBe(10); // a window
    expect(wait(600, 3, 60)).toBe(29); // the deadline (2 + 30) comes first
    expect(wait(0, 31)).toBe(1);
  });

  test('progress stays bounded: one traffic object replaced at each shift, the history capped', () => {
    let p = afterBaseline();
    for (let s = 3; s < 2000; s += 1) {
      p = gate(plan, policy('fail', { traffic: { ...traffic, maxWaitSeconds: 86_400 } }), p, 'inconclusive', notYet.measured, at(s), notYet);
    }
    expect(p.decision).toBe('wait');
    expect(Object.keys(p.traffic!).sort()).toEqual(['held', 'since', 'weight']);
    expect(p.history.length).toBe(100);
    expect(JSON.stringify(p).length).toBeLessThan(30_000);
  });

  test('without traffic verification in the policy, a traffic field is ignored: today\'s gate', () => {
    const p = { ...afterBaseline(), traffic: { weight: 50, since: at(2).toISOString() } };
    expect(gate(plan, policy('fail', { traffic: undefined }), p, 'inconclusive', [], at(6), notYet)).toMatchObject({ decision: 'rollback' });
    expect(gate(plan, { failureThreshold: 1, inconclusive: 'pass' }, initialProgress(), 'pass', [], at(0)).traffic).toBeUndefined();
  });
});
