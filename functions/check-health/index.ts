// check-health: a pass / fail / inconclusive verdict on the canary, one entry per check.
// Event:  { "deployment": <from prepare>, "progress"?: <progress the state machine carries> }
// Result: { verdict, checks: [{ check, verdict, reason, ... }], checkedAt }
//         and, when progress was given, the next progress: the gate's decision (advance, wait,
//         promote, rollback) under the deployment's strategy, failureThreshold and inconclusive policy;
//         after an advance, the wait before the next verdict is at least the settle time (settle.ts);
//         with trafficVerification, a `traffic:<route>` entry per route until the split is verified (traffic.ts).
//         Hooks (hooks.ts) are checks too: every-verdict ones run with the others, before-promotion
//         ones only when the gate, without them, says promote; the gate then decides again.
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { parseCheckHealthEvent } from '../commons/events.ts';
import { cloudWatch } from '../commons/clients/cloudwatch.ts';
import { lambda } from '../commons/clients/lambda.ts';
import { lambdaHandler, logger } from '../commons/handler.ts';
import { checkHealth, overallVerdict, type CheckResult, type HealthReport } from '../commons/health.ts';
import { hookEvent, hooksOf, runHooks, withHookVerdicts } from '../commons/hooks.ts';
import { checksOf } from '../commons/release.ts';
import { settleSecondsOf } from '../commons/settle.ts';
import { gate, planOf, type Progress } from '../commons/strategy.ts';
import { trafficPolicyOf, trafficSettingsOf, verifyTraffic } from '../commons/traffic.ts';

export interface CheckHealthResult extends HealthReport {
  progress?: Progress;
}


/** The report with more checks (hooks', traffic's) added, and its verdict again. */
const withChecks = (r: HealthReport, more: CheckResult[]): HealthReport =>
  (more.length ? { ...r, verdict: overallVerdict([...r.checks, ...more]), checks: [...r.checks, ...more] } : r);

export async function checkCanaryHealth(event: unknown, client: CloudWatchClient, now = new Date(), hookClient: LambdaClient = lambda): Promise<CheckHealthResult> {
  const { deployment, progress } = parseCheckHealthEvent(event);
  const sets = checksOf(deployment);
  const plan = progress && planOf(deployment.strategy!);
  const policy = {
    failureThreshold: deployment.failureThreshold ?? 1,
    inconclusive: deployment.inconclusive ?? 'fail',
    settleSeconds: settleSecondsOf(deployment),
    traffic: trafficPolicyOf(trafficSettingsOf(deployment.trafficVerification)),
  };
  const everyVerdict = hooksOf(sets, 'every-verdict');
  const beforePromotion = hooksOf(sets, 'before-promotion');
  // The hooks' event (it asks the gate whether a pass would promote): only for a deployment that has hooks.
  const hookBase = everyVerdict.length || beforePromotion.length ? hookEvent(deployment, progress && { plan: plan!, policy, progress }, now) : undefined;
  const [health, hooks, traffic] = await Promise.all([
    checkHealth(client, sets, now), hookBase ? runHooks(hookClient, everyVerdict, hookBase) : [], verifyTraffic(client, deployment, progress, now),
  ]);
  let report = withChecks(health, hooks);
  if (!progress) {
    logger.info(`canary verdict: ${report.verdict}`, { verdict: report.verdict, checks: report.checks });
    return report;
  }
  // Traffic verification, measured with the checks above: one entry per route while the split is
  // unverified at this share (the gate holds on it).
  report = withChecks(report, traffic.checks);
  const decide = (r: HealthReport) => gate(plan!, policy, progress, r.verdict, r.checks.filter((x) => x.verdict !== 'pass').map((x) => x.reason), now, traffic.measure);
  let next = decide(report);
  if (next.decision === 'promote' && beforePromotion.length) {
    report = withChecks(report, await runHooks(hookClient, beforePromotion, hookBase!));
    next = decide(report);
  }
  logger.info(`canary verdict: ${report.verdict}; next: ${next.decision}`, { verdict: report.verdict, checks: report.checks, decision: next.decision, weight: progress.weight });
  return { ...report, progress: withHookVerdicts(next, report.checks) };
}

export const handler = lambdaHandler('check-health', (event: unknown) => checkCanaryHealth(event, cloudWatch));
