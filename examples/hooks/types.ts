// The event a mesh-canary hook receives and the result it answers (events/hook.json is an example).
// Copy this file with the hook you start from.
export interface HookEvent {
  hook: { name: string; when: 'every-verdict' | 'before-promotion' };
  deployment: {
    executionId?: string;
    strategy?: { type: string; [field: string]: unknown };
    /** Each route: its label, and the stable's and the canary's virtual node or target group ID. */
    routes: { route: string; stable: string; canary: string }[];
  };
  /** The canary's share now: 0 at the baseline (before any traffic moved). */
  canaryPercent?: number;
  /** index -1 is the baseline; final: a passing verdict now promotes the canary. */
  stage?: { index: number; count: number; final: boolean };
  checkedAt: string;
}

export interface HookResult {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** Shown in the verdict, the report and, on a rollback, the execution's cause (up to 1000 characters). */
  reason?: string;
}
