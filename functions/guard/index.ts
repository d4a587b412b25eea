// guard: the abort guard's handler. Step Functions' StopExecution skips every Catch, so a stopped
// canary would stay at whatever weight it had: an EventBridge rule sends this function every
// ABORTED, TIMED_OUT and FAILED execution of the mesh-canary machines, and the guard
// (functions/commons/guard.ts) restores what the execution changed and releases its locks.
// Event:  the "Step Functions Execution Status Change" event (events/guard-aborted.json)
// Result: { executionArn, status, action, weightedTargets?, changed?, keptChanges?, lockReleased?, restoredAt? }
import { dynamoDb } from '../commons/clients/dynamodb.ts';
import { routerClients } from '../commons/clients/routers.ts';
import { sfn } from '../commons/clients/sfn.ts';
import { requireEnv, seconds } from '../commons/env.ts';
import { guard, type GuardDeps } from '../commons/guard.ts';
import { lambdaHandler } from '../commons/handler.ts';

export { guard, type GuardAction, type GuardDeps, type GuardResult } from '../commons/guard.ts';

const deps: GuardDeps = {
  sfn, routers: routerClients,
  lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') },
  writerTimeoutMs: seconds('WRITER_TIMEOUT_SECONDS', requireEnv('WRITER_TIMEOUT_SECONDS')),
  // Prepare has the writers' Timeout (the template's Globals), so by default the same wait.
  prepareTimeoutMs: seconds('PREPARE_TIMEOUT_SECONDS', process.env.PREPARE_TIMEOUT_SECONDS || requireEnv('WRITER_TIMEOUT_SECONDS')),
};
export const handler = lambdaHandler('guard', (event: unknown) => guard(event, deps));
