// request-approval: tells the approver what is waiting and exactly how to approve or reject it.
// Called by the manual-approval state machine with .waitForTaskToken: its return value is not
// the approval; the execution waits until someone sends the task result.
// Event:  { "deployment": <from prepare>, "taskToken": string, "weight"?: number }
// Result: { notified, topicArn?, messageId? }
// The task token is a credential: it goes into the SNS message (the approver needs it) and
// nowhere else: never into a log line.
import type { SNSClient } from '@aws-sdk/client-sns';
import { PublishCommand } from '@aws-sdk/client-sns';
import { parseRequestApprovalEvent } from '../commons/events.ts';
import { sns } from '../commons/clients/sns.ts';
import type { Deployment } from '../commons/input.ts';
import { routeLabelOf } from '../commons/routers/index.ts';
import { wrapAwsError } from '../commons/errors.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';

export interface ApprovalRequest {
  notified: boolean;
  topicArn?: string;
  messageId?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function approvalMessage(deployment: Deployment, taskToken: string, weight?: number): { subject: string; body: string } {
  const route = routeLabelOf(deployment.route);
  const s = deployment.strategy?.type === 'manual-approval' ? deployment.strategy : undefined;
  const execution = deployment.executionId ?? '(unknown execution)';
  const onTimeout = s?.onApprovalTimeout ?? 'rollback';
  const subject = `mesh-canary: approve ${deployment.canaryNode} on ${route}?`.slice(0, 99);
  const body = [
    `A canary is waiting for your approval.`,
    ``,
    `  route      ${route}`,
    `  stable     ${deployment.stableNode}`,
    `  canary     ${deployment.canaryNode}${weight === undefined ? '' : ` (now at ${weight}% of the stable+canary traffic)`}`,
    `  execution  ${execution}`,
    s ? `  deadline   ${s.approvalTimeoutSeconds} s after this message; then it will ${onTimeout === 'promote' ? 'be PROMOTED' : 'be ROLLED BACK'}` : '',
    ``,
    `Health checks keep running while it waits: an unhealthy verdict rolls it back at once.`,
    ``,
    `Approve (promote the canary to all of the stable's traffic):`,
    `  npx mesh-canary approve ${execution}`,
    `  aws stepfunctions send-task-success --task-token ${quote(taskToken)} --task-output '{"approved":true}'`,
    ``,
    `Reject (roll the route back to exactly what it was):`,
    `  npx mesh-canary reject ${execution} --reason 'why'`,
    `  aws stepfunctions send-task-failure --task-token ${quote(taskToken)} --error Rejected --cause 'why'`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
  return { subject, body };
}

export async function requestApproval(event: unknown, client: SNSClient, topicArn = process.env.APPROVAL_TOPIC_ARN): Promise<ApprovalRequest> {
  const e = parseRequestApprovalEvent(event);
  const { deployment, taskToken, weight } = e as { deployment: Deployment; taskToken: string; weight?: number };
  if (!topicArn) {
    logger.info('approval pending; no approval topic configured, so nobody was notified');
    return { notified: false };
  }
  const { subject, body } = approvalMessage(deployment, taskToken, weight);
  try {
    const out = await client.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: body }));
    logger.info('approver notified', { topicArn, messageId: out.MessageId });
    return { notified: true, topicArn, messageId: out.MessageId };
  } catch (err) {
    throw wrapAwsError(err, `Publish to ${topicArn}`);
  }
}

export const handler = lambdaHandler('request-approval', (event: unknown) => requestApproval(event, sns));
