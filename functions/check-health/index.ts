// check-health: a pass / fail / inconclusive verdict on the canary, one entry per check.
// Event:  { "deployment": <from prepare>, "progress"?: <progress the state machine carries> }
// Result: { verdict, checks: [{ check, verdict, reason, ... }], checkedAt }
//         and, when progress was given, the next progress: the gate's decision (advance, wait,
//         promote, rollback) under the deployment's strategy, failureThreshold and inconclusive policy.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Checker } from '../commons/check.ts';
import { cloudWatch } from '../commons/clients/cloudwatch.ts';
import { checkDeployment, type Deployment } from '../commons/deployment.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { checkHealth, type HealthReport } from '../commons/health.ts';
import { gate, planOf, type Progress } from '../commons/strategy.ts';

export interface CheckHealthResult extends HealthReport {
  progress?: Progress;
}

function checkProgress(c: Checker, value: unknown, path: string): void {
  const p = c.object(value, path, ['stage', 'weight', 'passes', 'consecutiveFailures', 'checks', 'decision', 'nextWeight', 'waitSeconds', 'reason', 'history']);
  if (!p) return;
  c.integer(p.stage, `${path}.stage`, -1, 1000);
  c.integer(p.weight, `${path}.weight`, 0, 100);
  c.integer(p.passes, `${path}.passes`, 0, Number.MAX_SAFE_INTEGER);
  c.integer(p.consecutiveFailures, `${path}.consecutiveFailures`, 0, Number.MAX_SAFE_INTEGER);
  c.integer(p.checks, `${path}.checks`, 0, Number.MAX_SAFE_INTEGER);
  if (!Array.isArray(p.history)) c.fail(`${path}.history`, 'an array', p.history);
}

export async function checkCanaryHealth(event: unknown, client: CloudWatchClient, now = new Date()): Promise<CheckHealthResult> {
  const c = new Checker();
  const e = c.object(event, 'event', ['deployment', 'progress']);
  if (e) {
    if (checkDeployment(c, e.deployment) && e.progress !== undefined && !(e.deployment as Deployment).strategy) {
      c.problems.push('deployment.strategy is missing: a verdict with progress needs the strategy to decide what comes next');
    }
    if (e.progress !== undefined) checkProgress(c, e.progress, 'event.progress');
  }
  c.done();
  const { deployment, progress } = e as { deployment: Deployment; progress?: Progress };
  const report = await checkHealth(client, deployment.healthChecks, now);
  if (!progress) {
    logger.info(`canary verdict: ${report.verdict}`, { verdict: report.verdict, checks: report.checks });
    return report;
  }
  const reasons = report.checks.filter((x) => x.verdict !== 'pass').map((x) => x.reason);
  const next = gate(planOf(deployment.strategy!), {
    failureThreshold: deployment.failureThreshold ?? 1,
    inconclusive: deployment.inconclusive ?? 'fail',
  }, progress, report.verdict, reasons, now);
  logger.info(`canary verdict: ${report.verdict}; next: ${next.decision}`, { verdict: report.verdict, checks: report.checks, decision: next.decision, weight: progress.weight });
  return { ...report, progress: next };
}

export const handler = lambdaHandler('check-health', (event: unknown) => checkCanaryHealth(event, cloudWatch));
