// A hook that takes SLEEP_SECONDS (default 30) to answer: longer than a hook's timeoutSeconds
// (at most 20), it shows that a hook that does not answer in time counts as a failure.
import type { HookEvent, HookResult } from './types.ts';

export const handler = async (event: HookEvent): Promise<HookResult> => {
  const seconds = Number(process.env.SLEEP_SECONDS ?? 30);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  return { verdict: 'pass', reason: `answered after ${seconds} s at ${event.canaryPercent ?? '?'}%` };
};
