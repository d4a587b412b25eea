// guard: the abort guard's handler. Step Functions' StopExecution skips every Catch, so a stopped
// canary would stay at whatever weight it had: an EventBridge rule sends this function every
// ABORTED, TIMED_OUT and FAILED execution of the mesh-canary machines, and the guard
// (functions/commons/guard.ts) restores what the execution changed and releases its locks.
// Event:  the "Step Functions Execution Status Change" event (events/guard-aborted.json)
// Result: { executionArn, status, action, weightedTargets?, changed?, keptChanges?, lockReleased?, restoredAt? }
import { guard } from '../commons/guard.ts';
import { guardDepsFromEnv } from '../commons/guard-deps.ts';
import { lambdaHandler } from '../commons/handler.ts';

export { guard, type GuardAction, type GuardDeps, type GuardResult } from '../commons/guard.ts';

const deps = guardDepsFromEnv();
export const handler = lambdaHandler('guard', (event: unknown) => guard(event, deps));
