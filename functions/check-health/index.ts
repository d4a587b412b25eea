// check-health: a pass / fail / inconclusive verdict on the canary, one entry per check.
// Event:  { "deployment": <from prepare>, "progress"?: <progress the state machine carries> }
// Result: { verdict, checks: [{ check, verdict, reason, ... }], checkedAt }
//         and, when progress was given, the next progress: the gate's decision (advance, wait,
//         promote, rollback) under the deployment's strategy, failureThreshold and inconclusive policy;
//         after an advance, the wait before the next verdict is at least the settle time (settle.ts);
//         with trafficVerification, a `traffic:<route>` entry per route until the split is verified (traffic.ts).
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { parseCheckHealthEvent } from '../commons/events.ts';
import { cloudWatch } from '../commons/clients/cloudwatch.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { checkHealth, overallVerdict, type HealthReport } from '../commons/health.ts';
import { checksOf } from '../commons/release.ts';
import { settleSecondsOf } from '../commons/settle.ts';
import { gate, planOf, type Progress } from '../commons/strategy.ts';
import { trafficPolicyOf, trafficSettingsOf, verifyTraffic } from '../commons/traffic.ts';

export interface CheckHealthResult extends HealthReport {
  progress?: Progress;
}


export async function checkCanaryHealth(event: unknown, client: CloudWatchClient, now = new Date()): Promise<CheckHealthResult> {
  const { deployment, progress } = parseCheckHealthEvent(event);
  const report = await checkHealth(client, checksOf(deployment), now);
  if (!progress) {
    logger.info(`canary verdict: ${report.verdict}`, { verdict: report.verdict, checks: report.checks });
    return report;
  }
  // Traffic verification: one entry per route while the split is unverified at this share; the gate holds on it.
  const traffic = await verifyTraffic(client, deployment, progress, now);
  report.checks.push(...traffic.checks);
  report.verdict = overallVerdict(report.checks);
  const reasons = report.checks.filter((x) => x.verdict !== 'pass').map((x) => x.reason);
  const next = gate(planOf(deployment.strategy!), {
    failureThreshold: deployment.failureThreshold ?? 1,
    inconclusive: deployment.inconclusive ?? 'fail',
    settleSeconds: settleSecondsOf(deployment),
    traffic: trafficPolicyOf(trafficSettingsOf(deployment.trafficVerification)),
  }, progress, report.verdict, reasons, now, traffic.measure);
  logger.info(`canary verdict: ${report.verdict}; next: ${next.decision}`, { verdict: report.verdict, checks: report.checks, decision: next.decision, weight: progress.weight });
  return { ...report, progress: next };
}

export const handler = lambdaHandler('check-health', (event: unknown) => checkCanaryHealth(event, cloudWatch));
