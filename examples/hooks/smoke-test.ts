// A smoke test hook: GET SMOKE_TEST_URL (e.g. the canary's health endpoint through the route) and
// pass on a 2xx answer within 5 s. Without SMOKE_TEST_URL it passes, saying there was nothing to test.
// Name it in healthChecks.hooks: {"name": "smoke", "functionName": "mesh-canary-smoke-test"}.
import type { HookEvent, HookResult } from './types.ts';

export const handler = async (event: HookEvent): Promise<HookResult> => {
  const url = process.env.SMOKE_TEST_URL;
  if (!url) return { verdict: 'pass', reason: `no SMOKE_TEST_URL: nothing to test at ${event.canaryPercent ?? '?'}%` };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return res.ok
      ? { verdict: 'pass', reason: `GET ${url} answered ${res.status}` }
      : { verdict: 'fail', reason: `GET ${url} answered ${res.status}` };
  } catch (err) {
    return { verdict: 'fail', reason: `GET ${url} failed: ${(err as Error).message}` };
  }
};
