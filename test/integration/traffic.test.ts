// Traffic verification (issue 13) in real executions on the local AWS, VPC Lattice and App Mesh:
// local/traffic-feed.ts puts request counts that follow each route's weights (read with the
// backend's own API), late or never. A split that lags is waited for, then judged and promoted;
// one that never arrives rolls back naming the measured shares; too little traffic never
// promotes under either inconclusive policy; a failing alarm while unverified rolls back as before.
// Short intervals (settleSeconds 0, windowSeconds 10, maxWaitSeconds 25); the tests run concurrently.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { appMeshRequestCount, startTrafficFeed, type FeedMode } from '../../local/traffic-feed.ts';
import {
  alarm, appMesh, cloudWatch, demoMesh, finished, history, setAlarm, shifts, start, statesEntered, until, canaryWeight,
} from '../support/executions.ts';
import { demoLattice, lattice, latticeCanaryPercent } from '../support/lattice.ts';

interface Entry { weight: number; verdict: string; decision: string; reasons?: string[] }

/** Every verdict the gate recorded, as the last CheckHealth's progress carries them. */
function verdicts(events: HistoryEvent[]): Entry[] {
  const exits = events.filter((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'CheckHealth');
  return JSON.parse(exits.at(-1)!.stateExitedEventDetails!.output!).gate.progress.history;
}

type Backend = 'lattice' | 'appmesh';
/** A fresh route of the backend, its input fields, and a feed on it. */
async function routeWithFeed(backend: Backend, mode: FeedMode, opts: { lagSeconds?: number; ratePerSecond?: number } = {}) {
  const input = backend === 'lattice' ? (await demoLattice({ prefix: 'tf' })).input : await demoMesh('tf');
  const stop = await startTrafficFeed({ cloudWatch, appMesh, lattice, route: input.route, mode, ...opts });
  const canary = backend === 'lattice' ? (input as { canaryTargetGroup: string }).canaryTargetGroup : (input as { canaryNode: string }).canaryNode;
  const canaryNow = () => (backend === 'lattice'
    ? latticeCanaryPercent(input.route as never, canary) : canaryWeight(input.route as never, canary));
  return { input, stop, canary, canaryNow };
}

/** trafficVerification for the route: App Mesh names the feed's metric on the route's mesh. */
const verification = (route: { meshName?: string }, extra: Record<string, unknown> = {}) => ({
  trafficVerification: { windowSeconds: 10, minRequests: 100, tolerancePercent: 5, maxWaitSeconds: 25, ...(route.meshName ? { requestCount: appMeshRequestCount(route.meshName) } : {}), ...extra },
});
const linear = (stepPercent: number) => ({ strategy: { type: 'linear', stepPercent, intervalSeconds: 1 }, settleSeconds: 0 });

/** The scenario on a VPC Lattice route and on an App Mesh route at once (so the file's five executions pairs run side by side). */
const onBoth = (scenario: (backend: Backend) => Promise<void>) => async () => {
  await Promise.all((['lattice', 'appmesh'] as const).map(scenario));
};

describe('on VPC Lattice and App Mesh', () => {
  test.concurrent('a split that lags 12 s is waited for (inconclusive, naming the measured split; the gate holds), then judged and promoted', onBoth(async (backend) => {
    const r = await routeWithFeed(backend, 'lag', { lagSeconds: 12 });
    try {
      const arn = await start('linear', { ...r.input, ...linear(100), ...verification(r.input.route as { meshName?: string }, { maxWaitSeconds: 45 }) });
      const end = await finished(arn, 90_000);
      expect({ status: end.status, cause: end.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
      const events = await history(arn);
      expect(shifts(events)).toEqual([100]);
      // Held while the split still lagged (12 s: longer than a window's rounding), its reason the measured split.
      const at100 = verdicts(events).filter((v) => v.weight === 100);
      const held = at100.filter((v) => v.verdict === 'inconclusive');
      expect(held.length).toBeGreaterThan(0);
      expect(held.every((v) => v.decision === 'wait')).toBe(true);
      expect(held.flatMap((v) => v.reasons!).join('\n')).toMatch(new RegExp(`canary ${r.canary} has \\d+(\\.\\d)?% of \\d+ requests since the shift settled, 100% ± 5 expected`));
      // Then verified after the holds: that verdict waits a whole interval (a lag must not shorten the step), and the next one promotes.
      expect(at100.slice(held.length).map((v) => [v.verdict, v.decision])).toEqual([['pass', 'wait'], ['pass', 'promote']]);
      expect(verdicts(events).filter((v) => v.decision !== 'wait').map((v) => [v.weight, v.verdict, v.decision])).toEqual([[0, 'pass', 'advance'], [100, 'pass', 'promote']]);
      expect(await r.canaryNow()).toBe(100);
    } finally {
      await r.stop();
    }
  }), 90_000);

  test.concurrent('a split that follows at once, verified by the first verdict after each shift: still 4 transitions and 2 invocations per step', onBoth(async (backend) => {
    const r = await routeWithFeed(backend, 'follow', { ratePerSecond: 100 });
    try {
      // 13 s between a shift and its verdict: at least 3 s of requests after the shift (the window starts on the next 10 s), whatever the second it came at.
      const arn = await start('linear', { ...r.input, strategy: { type: 'linear', stepPercent: 50, intervalSeconds: 13 }, settleSeconds: 0, ...verification(r.input.route as { meshName?: string }) });
      const end = await finished(arn, 90_000);
      expect(end.status).toBe('SUCCEEDED');
      const events = await history(arn);
      expect(verdicts(events).map((v) => [v.weight, v.verdict, v.decision])).toEqual([[0, 'pass', 'advance'], [50, 'pass', 'advance'], [100, 'pass', 'promote']]);
      const entered = statesEntered(events);
      expect(entered.slice(entered.indexOf('Shift'), entered.lastIndexOf('Shift'))).toEqual(['Shift', 'Wait', 'CheckHealth', 'Gate']);
      expect(events.filter((e) => e.type === 'TaskScheduled').length).toBe(1 + 3 + 2 + 1);
    } finally {
      await r.stop();
    }
  }), 90_000);

  test.concurrent('a split that never arrives rolls back at maxWaitSeconds naming the measured shares', onBoth(async (backend) => {
    const r = await routeWithFeed(backend, 'never');
    try {
      const arn = await start('linear', { ...r.input, ...linear(50), ...verification(r.input.route as { meshName?: string }) });
      const end = await finished(arn, 90_000);
      expect(end.error).toBe('CanaryRolledBack');
      expect(end.cause).toMatch(new RegExp(`the traffic split never reached 50% ± 5 on the canary within 25 s of the shift settling: traffic:.*: canary ${r.canary} has 0% of \\d+ requests since the shift settled, 50% ± 5 expected`));
      const events = await history(arn);
      expect(shifts(events)).toEqual([50]);
      expect(verdicts(events).filter((v) => v.weight === 50).every((v) => v.verdict === 'inconclusive')).toBe(true);
      expect(await r.canaryNow()).toBe(0);
    } finally {
      await r.stop();
    }
  }), 120_000);

  test.concurrent('low traffic (2 requests a second) is inconclusive under both inconclusive policies and never promotes: rolled back at maxWaitSeconds', onBoth(async (backend) => {
    await Promise.all((['fail', 'pass'] as const).map(async (inconclusive) => {
      const r = await routeWithFeed(backend, 'follow', { ratePerSecond: 2 });
      try {
        const arn = await start('linear', { ...r.input, ...linear(100), inconclusive, ...verification(r.input.route as { meshName?: string }) });
        const end = await finished(arn, 90_000);
        expect(end.error).toBe('CanaryRolledBack');
        expect(end.cause).toMatch(/the traffic split never reached 100% ± 5 on the canary within 25 s of the shift settling: traffic:.*: \d+ requests? since the shift settled, fewer than the 100 needed to tell/);
        const at100 = verdicts(await history(arn)).filter((v) => v.weight === 100);
        expect(at100.length).toBeGreaterThan(1);
        expect(at100.map((v) => v.decision)).toEqual([...at100.slice(1).map(() => 'wait'), 'rollback']);
        expect(await r.canaryNow()).toBe(0);
      } finally {
        await r.stop();
      }
    }));
  }), 120_000);

  test.concurrent('a failing alarm while the split is unverified rolls back as before, naming the alarm', onBoth(async (backend) => {
    const r = await routeWithFeed(backend, 'never');
    try {
      const name = await alarm('OK');
      const arn = await start('linear', {
        ...r.input, ...linear(50), ...verification(r.input.route as { meshName?: string }, { maxWaitSeconds: 120 }), healthChecks: { alarms: { names: [name] } },
      });
      await until('the first shift', async () => (await r.canaryNow()) === 50, 30_000);
      await setAlarm(name, 'ALARM', 'test: the canary is failing');
      const end = await finished(arn, 60_000);
      expect(end.error).toBe('CanaryRolledBack');
      expect(end.cause).toContain(`alarm ${name} is ALARM: test: the canary is failing`);
      expect(end.cause).not.toContain('never reached');
      expect(await r.canaryNow()).toBe(0);
    } finally {
      await r.stop();
    }
  }), 90_000);
});
