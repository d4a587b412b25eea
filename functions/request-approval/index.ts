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
import type { AnyDeployment } from '../commons/input.ts';
import { routeParts } from '../commons/release.ts';
import { backendOf, routeOf } from '../commons/routers/index.ts';
import { wrapAwsError } from '../commons/errors.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';

export interface ApprovalRequest {
  notified: boolean;
  topicArn?: string;
  messageId?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The approver's message. The stable and the canary are named through the route's backend (App
 * Mesh's virtual nodes, VPC Lattice's target groups), and called by its word for a target.
 */
export function approvalMessage(deployment: AnyDeployment, taskToken: string, weight?: number): { subject: string; body: string } {
  const parts = routeParts(deployment).map((part) => {
    const backend = backendOf(part.route);
    const named = routeOf(part);
    // By the id the backend reads (a Lattice target group's ARN gives its tg- ID), as the route shows it.
    const idOf = (v: string) => (backend ? backend.codec.targetsIn([{ [backend.codec.idField]: v, weight: 0 }])[0]?.id ?? v : v);
    return { route: backend?.label, stable: idOf(named.stable), canary: idOf(named.canary), word: backend ? ` (${backend.words.target})` : '' };
  });
  const { route, stable, canary, word } = parts[0];
  const share = weight === undefined ? '' : ` (now at ${weight}% of the stable+canary traffic)`;
  const routeLines = parts.length === 1
    ? [`  route      ${route}`, `  stable     ${stable}${word}`, `  canary     ${canary}${word}${share}`]
    : [`  routes     ${parts.length}, moving together${share ? `${share.replace(' (now', ', each now').replace(')', '')}` : ''}`,
      ...parts.map((p) => `    ${p.route}: ${p.stable} → ${p.canary}${p.word}`)];
  const s = deployment.strategy?.type === 'manual-approval' ? deployment.strategy : undefined;
  const execution = deployment.executionId ?? '(unknown execution)';
  const onTimeout = s?.onApprovalTimeout ?? 'rollback';
  // SNS takes a subject under 100 ASCII characters: without the route when it does not fit (a
  // Lattice rule's label is long); the body names it.
  const more = parts.length > 1 ? ` and ${parts.length - 1} more route${parts.length > 2 ? 's' : ''}` : '';
  const full = `mesh-canary: approve ${canary} on ${route}${more}?`;
  const subject = (full.length <= 99 ? full : `mesh-canary: approve ${canary}${more}?`).slice(0, 99);
  const body = [
    parts.length === 1 ? `A canary is waiting for your approval.` : `A release of ${parts.length} canaries is waiting for your approval.`,
    ``,
    ...routeLines,
    `  execution  ${execution}`,
    s ? `  deadline   ${s.approvalTimeoutSeconds} s after this message; then it will ${onTimeout === 'promote' ? 'be PROMOTED' : 'be ROLLED BACK'}` : '',
    ``,
    `Health checks keep running while it waits: an unhealthy verdict rolls it back at once.`,
    ``,
    `Approve (promote the canary to all of the stable's traffic):`,
    `  npx mesh-canary approve ${execution}`,
    `  aws stepfunctions send-task-success --task-token ${quote(taskToken)} --task-output '{"approved":true}'`,
    ``,
    parts.length === 1 ? `Reject (roll the route back to exactly what it was):` : `Reject (roll every route back to exactly what it was):`,
    `  npx mesh-canary reject ${execution} --reason 'why'`,
    `  aws stepfunctions send-task-failure --task-token ${quote(taskToken)} --error Rejected --cause 'why'`,
  ].filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
  return { subject, body };
}

export async function requestApproval(event: unknown, client: SNSClient, topicArn = process.env.APPROVAL_TOPIC_ARN): Promise<ApprovalRequest> {
  const e = parseRequestApprovalEvent(event);
  const { deployment, taskToken, weight } = e as { deployment: AnyDeployment; taskToken: string; weight?: number };
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
