// alarm: the alarm path. An EventBridge rule sends this function every CloudWatch alarm that goes
// to ALARM ("CloudWatch Alarm State Change"). It finds the running deployments that check that
// alarm (Prepare wrote the alarms each checks, by name and prefix, on its lock items), stops each
// execution with the error AlarmFired and a cause naming the alarm, and restores every route of
// it at once, as the abort guard does (functions/commons/guard.ts): stable and canary back to
// their snapshot weights, the locks released, and a writer step still in flight waited out and
// undone again. It does not wait for the deployment's next verdict: the route is back within
// seconds of the alarm, whatever the interval, bake or approval wait.
// Why stop and restore, not a wait the event ends early: a wait that an event could end needs a
// task token per interval (a Lambda invocation and more state transitions every step, on the
// healthy path too); StopExecution ends any state at once, approval waits included, and the
// guard already knows how to restore after a stop.
// Idempotent: a duplicate event finds the execution ABORTED with AlarmFired and restores again
// (nothing to change); a late one finds no lock item (released), an execution that ended
// otherwise, or a lock taken after the alarm fired (a newer deployment), and leaves it alone.
// Event:  the "CloudWatch Alarm State Change" event (events/alarm-state-change.json)
// Result: { alarmName, state, deployments: [{ executionArn, action, status, restoredAt?, restoredAfterMs? }] }
import { DescribeExecutionCommand, StopExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { deploymentsWatching } from '../commons/alarm-watch.ts';
import { wrapAwsError } from '../commons/errors.ts';
import { parseAlarmEvent } from '../commons/events.ts';
import { guard, type GuardDeps, type GuardResult } from '../commons/guard.ts';
import { guardDepsFromEnv } from '../commons/guard-deps.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { stopErrors } from '../commons/states.ts';

export type AlarmAction = 'rolled-back' | 'left-alone';

export interface AlarmRollback {
  executionArn: string;
  /** rolled-back: stopped (by this event or an earlier one) and restored; left-alone: it had ended otherwise. */
  action: AlarmAction;
  status?: string;
  /** What the guard did: restored, nothing-changed (stopped before any shift), already-rolled-back, ... */
  guard?: GuardResult['action'];
  /** When every route was back (the first restore). */
  restoredAt?: string;
  /** From the alarm's state change to restoredAt. */
  restoredAfterMs?: number;
}

export interface AlarmResult {
  alarmName: string;
  state: string;
  deployments: AlarmRollback[];
}

/** StopExecution's cause is at most 32,768 characters. */
const MAX_CAUSE = 32_768;

/** CloudWatch writes "2019-10-02T17:04:40.989+0000": Date.parse wants "+00:00". */
export function alarmTime(timestamp: string | undefined): Date | undefined {
  if (!timestamp) return undefined;
  const at = new Date(timestamp.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export async function alarmRollback(event: unknown, deps: GuardDeps): Promise<AlarmResult> {
  const e = parseAlarmEvent(event);
  const { alarmName, state } = e.detail;
  logger.appendKeys({ alarm: alarmName });
  if (state.value !== 'ALARM') {
    logger.info(`alarm went to ${state.value}: only ALARM rolls back`);
    return { alarmName, state: state.value, deployments: [] };
  }
  const firedAt = alarmTime(state.timestamp) ?? (typeof e.time === 'string' ? alarmTime(e.time) : undefined);
  // Only the deployments that ran when it fired: a late or re-delivered event leaves a newer one alone.
  const watching = await deploymentsWatching(deps.lock, alarmName, new Date(), firedAt);
  if (!watching.length) {
    logger.info('no deployment that was running when the alarm fired checks it');
    return { alarmName, state: state.value, deployments: [] };
  }
  const cause = `alarm ${alarmName} went to ALARM${state.timestamp ? ` at ${state.timestamp}` : ''}${state.reason ? `: ${state.reason}` : ''}`.slice(0, MAX_CAUSE);
  // Every deployment the alarm concerns, side by side: one that fails does not hold up the others.
  const outcomes = await Promise.allSettled(watching.map((w) => rollBack(w.executionId, cause, firedAt, deps)));
  const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ executionArn: watching[i].executionId, error: o.reason as Error }] : []));
  if (failed.length) {
    // Thrown so Lambda retries the event (each step is idempotent): the first error, its message naming every failure.
    const err = failed[0].error;
    err.message = failed.map((f) => `${f.executionArn}: ${f.error.message}`).join('; ');
    throw err;
  }
  return { alarmName, state: state.value, deployments: outcomes.map((o) => (o as PromiseFulfilledResult<AlarmRollback>).value) };
}

async function describe(deps: GuardDeps, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (err) {
    throw wrapAwsError(err, `DescribeExecution ${executionArn}`);
  }
}

async function rollBack(executionArn: string, cause: string, firedAt: Date | undefined, deps: GuardDeps): Promise<AlarmRollback> {
  let d = await describe(deps, executionArn);
  let stopped = false;
  if (d.status === 'RUNNING') {
    try {
      await deps.sfn.send(new StopExecutionCommand({ executionArn, error: stopErrors.AlarmFired, cause }));
    } catch (err) {
      throw wrapAwsError(err, `StopExecution ${executionArn}`);
    }
    stopped = true;
    logger.info('execution stopped: an alarm it checks went to ALARM', { execution: executionArn });
    d = await describe(deps, executionArn);
  }
  // Ours: stopped by the alarm path (this event or an earlier one), or stopped just now and not yet
  // shown ABORTED. One that ended otherwise in between (promoted, say) is not.
  const ours = (d.status === 'ABORTED' && d.error === stopErrors.AlarmFired) || (stopped && d.status === 'RUNNING');
  if (!ours) {
    // It ended on its own (promoted, rolled back, failed) or was stopped by someone: the abort guard's to handle.
    logger.info('the deployment had already ended: left alone', { execution: executionArn, status: d.status, error: d.error });
    return { executionArn, action: 'left-alone', status: d.status };
  }
  const g = await guard({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { executionArn, status: 'ABORTED' } }, deps);
  const restoredAfterMs = g.restoredAt && firedAt ? Date.parse(g.restoredAt) - firedAt.getTime() : undefined;
  logger.info('rolled back on the alarm', { execution: executionArn, guard: g.action, restoredAt: g.restoredAt, restoredAfterMs });
  return {
    executionArn, action: 'rolled-back', status: 'ABORTED', guard: g.action,
    ...(g.restoredAt ? { restoredAt: g.restoredAt } : {}), ...(restoredAfterMs !== undefined ? { restoredAfterMs } : {}),
  };
}

const deps = guardDepsFromEnv();
export const handler = lambdaHandler('alarm', (event: unknown) => alarmRollback(event, deps));
