// check-health: a pass / fail / inconclusive verdict on the canary, one entry per check.
// Event:  { "deployment": <from prepare> }   (its healthChecks are evaluated)
// Result: { verdict, checks: [{ check, verdict, reason, ... }], checkedAt }
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Checker } from '../commons/check.ts';
import { cloudWatch } from '../commons/clients/cloudwatch.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { checkHealth, type HealthReport } from '../commons/health.ts';

export async function checkCanaryHealth(event: unknown, client: CloudWatchClient, now = new Date()): Promise<HealthReport> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment']);
  if (e) checkDeployment(c, e.deployment);
  c.done();
  const { deployment } = e as { deployment: Deployment };
  const report = await checkHealth(client, deployment.healthChecks, now);
  logger.info(`canary verdict: ${report.verdict}`, { verdict: report.verdict, checks: report.checks });
  return report;
}

export const handler = lambdaHandler('check-health', (event: unknown) => checkCanaryHealth(event, cloudWatch));
