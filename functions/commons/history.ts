// Reading a stopped execution's history: what it prepared, whether its rollback completed, and
// which writer steps (or its prepare step) were still running when it stopped. Step Functions
// does not cancel a running Lambda on StopExecution, so such a step can still land its write
// (or Prepare its lock) until its function times out; whoever restores the route, or releases
// the lock, must look again after that. A retried step's running attempt can have started long
// after the state's entry (backoff), so the wait runs from the latest attempt's start.
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { Deployment } from './input.ts';
import { states } from './states.ts';

/** Every event of an execution's history, page by page, oldest first. */
export async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000, includeExecutionData: true }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The states that write to the route. */
export const writerStates: string[] = [states.Shift, states.Promote, states.Rollback, states.HaltOnDrift];

/** State exits that followed a successful task (a caught failure exits the state too). */
export function succeededExits(events: HistoryEvent[], name: string): HistoryEvent[] {
  return events.filter((e, i) => e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === name
    && events[i - 1]?.type === 'TaskSucceeded');
}

/** The deployment object the Prepare state returned (input, defaults, snapshot), if it got that far. */
export function preparedDeployment(events: HistoryEvent[]): Deployment | undefined {
  const exit = succeededExits(events, states.Prepare).at(-1);
  try {
    const d = JSON.parse(exit?.stateExitedEventDetails?.output ?? '{}').deployment;
    // Every backend's snapshot holds its route's targets under weightedTargets (in the backend's own target shape).
    return Array.isArray(d?.snapshot?.weightedTargets) ? d as Deployment : undefined;
  } catch {
    return undefined;
  }
}

/** The states that can change the route (a Rollback only undoes what these did). */
export const routeChangingStates: string[] = [states.Shift, states.Promote];

/** True when the execution entered a state that can change the route: before that, nothing changed. */
export function routeTouched(events: HistoryEvent[]): boolean {
  return events.some((e) => e.type?.endsWith('StateEntered') && routeChangingStates.includes(e.stateEnteredEventDetails?.name ?? ''));
}

/** History events that start a task attempt: a retry starts a new one, possibly long after the state's entry. */
const attemptStarts = new Set(['TaskScheduled', 'TaskStarted', 'LambdaFunctionScheduled', 'LambdaFunctionStarted']);

export interface InFlight {
  name: string;
  enteredAt: Date;
  /** When its latest attempt was scheduled or started (its entry, if none is in the history). */
  lastAttemptAt: Date;
}

/**
 * States of `names` entered but never exited: their Lambda may still be running. Each task
 * attempt's events are the ones after the most recently entered state still open (writers
 * never run beside another state: only a Parallel's branches do, and no writer is in one).
 */
export function inFlight(events: HistoryEvent[], names: readonly string[] = writerStates): InFlight[] {
  const open = new Map<string, InFlight>();
  for (const e of events) {
    const at = e.timestamp ?? new Date();
    const entered = e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined;
    if (entered) {
      open.delete(entered);
      open.set(entered, { name: entered, enteredAt: at, lastAttemptAt: at });
      continue;
    }
    const exited = e.type?.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined;
    if (exited) {
      open.delete(exited);
      continue;
    }
    if (attemptStarts.has(e.type ?? '')) {
      const current = [...open.values()].at(-1);
      if (current && at.getTime() > current.lastAttemptAt.getTime()) current.lastAttemptAt = at;
    }
  }
  return [...open.values()].filter((s) => names.includes(s.name));
}

/**
 * When the last in-flight state of `names` must have ended: its latest attempt's start plus its
 * function's timeout (`timeoutMs`), or undefined if none is in flight.
 */
export function inFlightDeadline(events: HistoryEvent[], timeoutMs: number, names: readonly string[] = writerStates): Date | undefined {
  const times = inFlight(events, names).map((w) => w.lastAttemptAt.getTime() + timeoutMs);
  return times.length ? new Date(Math.max(...times)) : undefined;
}
