// Follows a mesh-canary execution through its history and turns Step Functions events into
// deployment events: shifts, verdicts, the approval wait, promotion, rollback, the end.
// Used by the demo and the CLI's watch; pure over the history, plus one polling loop.
import {
  DescribeExecutionCommand, GetExecutionHistoryCommand, type DescribeExecutionCommandOutput, type HistoryEvent, type SFNClient,
} from '@aws-sdk/client-sfn';

export type DeploymentEvent =
  | { kind: 'started'; at: Date; input: any }
  | { kind: 'prepared'; at: Date; snapshot: { virtualNode: string; weight: number }[] }
  | { kind: 'verdict'; at: Date; verdict: string; weight: number; decision: string; reasons: string[]; waitSeconds?: number }
  | { kind: 'shift'; at: Date; weight: number; weightedTargets: { virtualNode: string; weight: number }[] }
  | { kind: 'awaiting-approval'; at: Date }
  | { kind: 'promoted'; at: Date; weightedTargets: { virtualNode: string; weight: number }[] }
  | { kind: 'rolled-back'; at: Date; summary: string; weightedTargets: { virtualNode: string; weight: number }[] }
  | { kind: 'ended'; at: Date; status: string; error?: string; cause?: string; output?: any };

const parse = (s: string | undefined) => (s ? JSON.parse(s) : undefined);

/** Deployment events for the history events given (in order). */
export function deploymentEvents(history: HistoryEvent[]): DeploymentEvent[] {
  const out: DeploymentEvent[] = [];
  for (const e of history) {
    const at = e.timestamp ?? new Date();
    if (e.type === 'ExecutionStarted') out.push({ kind: 'started', at, input: parse(e.executionStartedEventDetails?.input) });
    if (e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource?.includes('waitForTaskToken')) out.push({ kind: 'awaiting-approval', at });
    if (!e.type?.endsWith('StateExited')) continue;
    const name = e.stateExitedEventDetails?.name;
    const state = parse(e.stateExitedEventDetails?.output);
    switch (name) {
      case 'Prepare':
        out.push({ kind: 'prepared', at, snapshot: state.deployment.snapshot.weightedTargets });
        break;
      case 'CheckHealth':
      case 'MonitorCheck': {
        const p = state.gate.progress;
        const last = p.history.at(-1);
        out.push({ kind: 'verdict', at, verdict: state.gate.verdict, weight: last?.weight ?? p.weight, decision: p.decision, reasons: last?.reasons ?? [], waitSeconds: p.waitSeconds });
        break;
      }
      case 'Shift':
        out.push({ kind: 'shift', at, weight: state.lastShift.weight, weightedTargets: state.lastShift.weightedTargets });
        break;
      case 'Promote':
        out.push({ kind: 'promoted', at, weightedTargets: state.promotion.weightedTargets });
        break;
      case 'Rollback':
        out.push({ kind: 'rolled-back', at, summary: state.rollback.summary, weightedTargets: state.rollback.weightedTargets });
        break;
    }
  }
  return out;
}

export async function fullHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * Calls `onEvent` for each deployment event as it happens, until the execution ends; returns
 * its final description.
 */
export async function follow(sfn: SFNClient, executionArn: string, onEvent: (e: DeploymentEvent) => void,
  options: { intervalMs?: number; signal?: AbortSignal } = {}): Promise<DescribeExecutionCommandOutput> {
  let seen = 0;
  for (;;) {
    const description = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events = deploymentEvents(await fullHistory(sfn, executionArn));
    for (const e of events.slice(seen)) onEvent(e);
    seen = events.length;
    if (description.status !== 'RUNNING') {
      onEvent({ kind: 'ended', at: description.stopDate ?? new Date(), status: description.status!, error: description.error, cause: description.cause, output: parse(description.output) });
      return description;
    }
    if (options.signal?.aborted) return description;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
