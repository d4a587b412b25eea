// A hook that fails while the canary's share is above MAX_CANARY_PERCENT (default 50): a gate
// that holds a release at a share until, say, a migration is done. Shows a rollback with the
// hook's reason on the local AWS.
import type { HookEvent, HookResult } from './types.ts';

export const handler = async (event: HookEvent): Promise<HookResult> => {
  const max = Number(process.env.MAX_CANARY_PERCENT ?? 50);
  const share = event.canaryPercent ?? 0;
  return share > max
    ? { verdict: 'fail', reason: `the canary's share ${share}% is above ${max}%` }
    : { verdict: 'pass', reason: `the canary's share ${share}% is at most ${max}%` };
};
