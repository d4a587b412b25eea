// Helpers for tests that run real executions of the state machines on the local AWS.
import { randomUUID } from 'node:crypto';
import { AppMeshClient, DescribeRouteCommand } from '@aws-sdk/client-app-mesh';
import {
  DescribeExecutionCommand, SFNClient, StartExecutionCommand,
  type DescribeExecutionCommandOutput, type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { createDemoMesh } from '../../local/demo-mesh.ts';
import { fullHistory } from '../../cli/follow.ts';
import type { LocalStack, MachineType } from '../../local/stack.ts';

export const sfn = new SFNClient({});
export const appMesh = new AppMeshClient({});
export const cloudWatch = new CloudWatchClient({});

export function stack(): LocalStack {
  const raw = process.env.MESH_CANARY_STACK;
  if (!raw) throw new Error('MESH_CANARY_STACK is not set: run with `jest --selectProjects integration` (its globalSetup deploys the machines)');
  return JSON.parse(raw) as LocalStack;
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A fresh copy of the seed's demo mesh for one test; returns the product route and its nodes. */
export async function demoMesh(prefix = 'sm') {
  const meshName = unique(prefix);
  await createDemoMesh(appMesh, meshName);
  return { route: { meshName, virtualRouterName: 'product-vr', routeName: 'product-r' }, stableNode: 'product-vn', canaryNode: 'product-v15-vn' };
}

export async function routeNow(route: { meshName: string; virtualRouterName: string; routeName: string }) {
  return (await appMesh.send(new DescribeRouteCommand(route))).route!;
}

export async function canaryWeight(route: { meshName: string; virtualRouterName: string; routeName: string }, canary: string): Promise<number> {
  const targets = (await routeNow(route)).spec!.httpRoute!.action!.weightedTargets!;
  return targets.find((t) => t.virtualNode === canary)?.weight ?? 0;
}

export async function start(machine: MachineType, input: unknown): Promise<string> {
  const out = await sfn.send(new StartExecutionCommand({
    stateMachineArn: stack().machines[machine], name: unique(machine), input: JSON.stringify(input),
  }));
  return out.executionArn!;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export async function finished(executionArn: string, timeoutMs = 60_000): Promise<DescribeExecutionCommandOutput> {
  return until(`${executionArn} to end`, async () => {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return d.status !== 'RUNNING' && d;
  }, timeoutMs);
}

export const history = (executionArn: string): Promise<HistoryEvent[]> => fullHistory(sfn, executionArn);

/** The canary share after each Shift state that succeeded (a caught failure exits the state too), from the history. */
export function shifts(events: HistoryEvent[]): number[] {
  return events
    .filter((e, i) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === 'Shift' && events[i - 1]?.type === 'TaskSucceeded')
    .map((e) => JSON.parse(e.stateExitedEventDetails!.output!).lastShift.weight);
}

/** The states entered, in order. */
export function statesEntered(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
}

/** The task token of the approval the execution is waiting for, from its history. */
export async function approvalToken(executionArn: string): Promise<string> {
  return until('the approval task to be scheduled', async () => {
    const scheduled = (await history(executionArn)).filter((e) => e.type === 'TaskScheduled'
      && e.taskScheduledEventDetails?.resource?.includes('waitForTaskToken'));
    const last = scheduled.at(-1);
    return last && JSON.parse(last.taskScheduledEventDetails!.parameters!).Payload.taskToken as string;
  });
}

/** A CloudWatch alarm of the test's own, in the given state. moto never evaluates alarms: tests set them. */
export async function alarm(state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK'): Promise<string> {
  const name = unique('canary-5xx');
  await cloudWatch.send(new PutMetricAlarmCommand({ AlarmName: name, Namespace: 'demo', MetricName: 'Http5xx', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
  await cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: `test: ${state}` }));
  return name;
}

export const setAlarm = (name: string, state: 'OK' | 'ALARM', why: string) =>
  cloudWatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: why }));
