// Which running deployments a CloudWatch alarm concerns. Prepare writes the alarms a deployment
// checks (by name and by prefix, from every set of its health checks) onto each of its lock
// items; the alarm path scans the lock table for the items that name an alarm that just went to
// ALARM. The table holds one item per route being deployed, so a scan reads a handful of items.
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { wrapAwsError } from './errors.ts';
import type { HealthChecks } from './input.ts';
import type { LockTable, WatchedAlarms } from './lock.ts';
import { checksOf } from './release.ts';

/** Every alarm a deployment (or its input) checks: a release's own checks and each route's, each name and prefix once. */
export function watchedAlarms(d: { healthChecks?: HealthChecks; routes?: unknown }): WatchedAlarms {
  const sets = checksOf(d).filter((c): c is HealthChecks => c !== undefined);
  return {
    names: [...new Set(sets.flatMap((c) => c.alarms?.names ?? []))],
    prefixes: [...new Set(sets.flatMap((c) => (c.alarms?.prefix === undefined ? [] : [c.alarms.prefix])))],
  };
}

/** Whether an alarm is one of the watched: named, or its name starts with a watched prefix (as DescribeAlarms' AlarmNamePrefix matches). */
export function watches(w: WatchedAlarms, alarmName: string): boolean {
  return w.names.includes(alarmName) || w.prefixes.some((p) => alarmName.startsWith(p));
}

/** A deployment an alarm concerns, as its lock items tell: its execution and the keys of the routes it holds. */
export interface WatchingDeployment {
  executionId: string;
  routes: string[];
}

const strings = (v: AttributeValue | undefined): string[] => (v?.L ?? []).flatMap((x) => (x.S === undefined ? [] : [x.S]));

/**
 * The deployments whose lock items watch `alarmName`, one entry per execution (a release holds
 * several items). Expired items (a lost execution's, which TTL has not deleted yet) are left out,
 * and so are items taken after `firedAt`: a late or re-delivered event (EventBridge retries for up
 * to an hour, Lambda retries a failed invocation) concerns the deployments that ran when the alarm
 * fired, never one started since.
 */
export async function deploymentsWatching(t: LockTable, alarmName: string, now = new Date(), firedAt?: Date): Promise<WatchingDeployment[]> {
  const byExecution = new Map<string, string[]>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    let page;
    try {
      page = await t.client.send(new ScanCommand({
        TableName: t.tableName,
        ConsistentRead: true,
        ProjectionExpression: '#route, executionId, acquiredAt, expiresAt, alarmNames, alarmPrefixes',
        ExpressionAttributeNames: { '#route': 'route' },
        ExclusiveStartKey: start,
      }));
    } catch (err) {
      throw wrapAwsError(err, `Scan ${t.tableName}`);
    }
    for (const item of page.Items ?? []) {
      const executionId = item.executionId?.S;
      if (!executionId || Number(item.expiresAt?.N ?? 0) < now.getTime() / 1000) continue;
      const acquired = Date.parse(item.acquiredAt?.S ?? '');
      if (firedAt && Number.isFinite(acquired) && acquired > firedAt.getTime()) continue;
      if (!watches({ names: strings(item.alarmNames), prefixes: strings(item.alarmPrefixes) }, alarmName)) continue;
      byExecution.set(executionId, [...(byExecution.get(executionId) ?? []), item.route?.S ?? '?']);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...byExecution].map(([executionId, routes]) => ({ executionId, routes }));
}
