// Reading a stopped execution's history: what it prepared, whether its rollback completed, and
// which writer steps were still running when it stopped. Step Functions does not cancel a
// running Lambda on StopExecution, so such a step can still land its write until its function
// times out; whoever restores the route must look again after that.
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { Deployment } from './deployment.ts';

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
export const writerStates = ['Shift', 'Promote', 'Rollback', 'HaltOnDrift'];

/** State exits that followed a successful task (a caught failure exits the state too). */
export function succeededExits(events: HistoryEvent[], name: string): HistoryEvent[] {
  return events.filter((e, i) => e.type?.endsWith('StateExited') && e.stateExitedEventDetails?.name === name
    && events[i - 1]?.type === 'TaskSucceeded');
}

/** The deployment object the Prepare state returned (input, defaults, snapshot), if it got that far. */
export function preparedDeployment(events: HistoryEvent[]): Deployment | undefined {
  const exit = succeededExits(events, 'Prepare').at(-1);
  try {
    const d = JSON.parse(exit?.stateExitedEventDetails?.output ?? '{}').deployment;
    return d?.snapshot?.weightedTargets ? d as Deployment : undefined;
  } catch {
    return undefined;
  }
}

/** Writer states entered but never exited: their Lambda may still be running. */
export function writersInFlight(events: HistoryEvent[]): { name: string; enteredAt: Date }[] {
  const open = new Map<string, Date>();
  for (const e of events) {
    const entered = e.type?.endsWith('StateEntered') ? e.stateEnteredEventDetails?.name : undefined;
    const exited = e.type?.endsWith('StateExited') ? e.stateExitedEventDetails?.name : undefined;
    if (entered && writerStates.includes(entered)) open.set(entered, e.timestamp ?? new Date());
    if (exited) open.delete(exited);
  }
  return [...open].map(([name, enteredAt]) => ({ name, enteredAt }));
}

/** When the last in-flight writer must have ended (its function's timeout), or undefined if none is. */
export function inFlightDeadline(events: HistoryEvent[], writerTimeoutMs: number): Date | undefined {
  const times = writersInFlight(events).map((w) => w.enteredAt.getTime() + writerTimeoutMs);
  return times.length ? new Date(Math.max(...times)) : undefined;
}
