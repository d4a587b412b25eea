// Helpers for tests of the events the local AWS emits and delivers (test/integration/local-events.test.ts):
// clients bound to one local AWS of the test's own, a queue that a rule of the test's own fills,
// and what the Lambda front ran (GET /__local/invocations).
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalAws } from '../../local/aws.ts';
import type { InvocationRecord } from '../../local/front.ts';
import { unique } from './executions.ts';

export function clientsFor(aws: LocalAws) {
  const config = {
    endpoint: aws.endpoint, region: aws.region,
    credentials: { accessKeyId: aws.env.AWS_ACCESS_KEY_ID, secretAccessKey: aws.env.AWS_SECRET_ACCESS_KEY, sessionToken: aws.env.AWS_SESSION_TOKEN },
  };
  return {
    appMesh: new AppMeshClient(config),
    cloudWatch: new CloudWatchClient(config),
    dynamo: new DynamoDBClient(config),
    events: new EventBridgeClient(config),
    sfn: new SFNClient(config),
    sqs: new SQSClient(config),
  };
}
export type Clients = ReturnType<typeof clientsFor>;

/** An EventBridge event as a target receives it. */
export interface DeliveredEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: any;
}

/** A queue of the test's own, the target of a rule of the test's own with `pattern`. */
export async function queueRule(c: Clients, aws: LocalAws, pattern: object): Promise<{ queueUrl: string; rule: string }> {
  const name = unique('events-test');
  const queueUrl = (await c.sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  await c.events.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
  await c.events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: `arn:aws:sqs:${aws.region}:${aws.accountId}:${name}` }] }));
  return { queueUrl, rule: name };
}

/**
 * Every message the queue receives until `count` have come (or `timeoutMs`), then for `quietMs`
 * more: a test asserting "exactly n" sees an n+1th that arrives a little late. Bodies parsed as JSON.
 */
export async function drain<T = DeliveredEvent>(c: Clients, queueUrl: string, count: number, { timeoutMs = 15_000, quietMs = 1_000 } = {}): Promise<T[]> {
  const got: T[] = [];
  const deadline = Date.now() + timeoutMs;
  let quietUntil = count === 0 ? Date.now() + quietMs : Infinity;
  while (Date.now() < Math.min(deadline, quietUntil)) {
    const out = await c.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    for (const m of out.Messages ?? []) {
      got.push(JSON.parse(m.Body!) as T);
      await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    if (got.length >= count && quietUntil === Infinity) quietUntil = Date.now() + quietMs;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

/** One run of a handler by the local front (GET /__local/invocations). */
export type { InvocationRecord };

/** The runs of `fn` for EventBridge events about `resource` (an execution or alarm ARN). */
export async function runsFor(aws: LocalAws, fn: string, resource: string): Promise<InvocationRecord[]> {
  const res = await fetch(`${aws.endpoint}/__local/invocations`);
  const { invocations } = (await res.json()) as { invocations: InvocationRecord[] };
  return invocations.filter((i) => i.function === fn && i.resources?.includes(resource));
}

/** "2019-10-02T17:04:40Z": the envelope's time. */
export const EVENT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** "2019-10-02T17:04:40.985+0000": CloudWatch's timestamps in an alarm event. */
export const ALARM_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
