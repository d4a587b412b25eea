// The harness of the abort-during-prepare tests (one route, and a release): a local AWS of the file's
// own whose guard (and CLI) is told a short Prepare timeout, DynamoDB slowed while Prepare takes its
// locks, and an execution stopped right after Prepare's Lambda started.
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { until } from './executions.ts';
import { ownLocalAws, type OwnAws } from './own-aws.ts';

/** How long Prepare's Lambda can run, as the guard and the CLI are told here (the template's is 35 s). */
export const PREPARE_TIMEOUT_SECONDS = 8;
/** How slow every DynamoDB call is while Prepare runs: its locks land this long after it starts. */
export const DYNAMODB_LATENCY_MS = 2000;

/** The local AWS, its front (so the guard) told PREPARE_TIMEOUT_SECONDS, Prepare's bundle loaded (a warm container). */
export async function slowPrepareAws(stackName: string): Promise<OwnAws> {
  const own = await ownLocalAws(stackName, { env: { PREPARE_TIMEOUT_SECONDS: String(PREPARE_TIMEOUT_SECONDS) } });
  // Warm: Prepare's lock write then follows its TaskStarted closely.
  await fetch(`${own.aws.endpoint}/2015-03-31/functions/PrepareFunction/invocations`, { method: 'POST', body: '{}' });
  return own;
}

/** The front's fault injector (null: none). */
export const faults = (own: OwnAws, config: object | null) =>
  fetch(`${own.aws.endpoint}/__local/faults`, { method: 'POST', body: config ? JSON.stringify(config) : '' });

/** DynamoDB slowed for every call, until onlyPreparesWriteSlow lifts it. */
export const slowDynamoDb = (own: OwnAws) => faults(own, { rate: 1, kinds: ['latency'], latencyMs: DYNAMODB_LATENCY_MS, services: ['dynamodb'] });

/** Waits until Prepare's lock write is held up by the injected latency, then lifts the faults: only that write stays slow. */
export async function onlyPreparesWriteSlow(own: OwnAws): Promise<void> {
  await until('Prepare\'s DynamoDB call to be slowed', async () => {
    const { injected } = await (await fetch(`${own.aws.endpoint}/__local/faults`)).json() as { injected: Record<string, number> };
    return (injected['dynamodb:latency'] ?? 0) >= 1;
  }, 10_000);
  await faults(own, null);
}

/**
 * Starts a linear execution with DynamoDB slow, stops it right after Prepare's TaskStarted, and
 * waits until Prepare's write is the only slow call in flight: a cleanup that does not wait for
 * Prepare releases the lock before Prepare's write lands (the bug these tests guard against).
 */
export async function stopDuringPrepare(own: OwnAws, name: string, input: object): Promise<string> {
  await slowDynamoDb(own);
  try {
    const { executionArn } = await own.direct.sfn.send(new StartExecutionCommand({ stateMachineArn: own.stack.machines.linear, name, input: JSON.stringify(input) })) as { executionArn: string };
    await until('Prepare\'s TaskStarted', async () => ((await own.direct.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [])
      .some((e) => e.type === 'TaskStarted'), 10_000);
    await own.direct.sfn.send(new StopExecutionCommand({ executionArn, cause: 'operator pressed stop during prepare' }));
    await onlyPreparesWriteSlow(own);
    return executionArn;
  } finally {
    await faults(own, null);
  }
}

/** The execution once it has ended. */
export const ended = (own: OwnAws, executionArn: string) => until(`${executionArn} to end`, async () => {
  const d = await own.direct.sfn.send(new DescribeExecutionCommand({ executionArn }));
  return d.status !== 'RUNNING' && d;
}, 60_000);
