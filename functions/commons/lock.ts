// One deployment per route: a lock item per route in DynamoDB, taken with a conditional write
// before the first change and released at promote or rollback. It expires (TTL, and the
// condition below) after longer than the longest deployment could last, so a lost execution
// cannot block a route for ever. Writers check they still hold it right before each write.
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, TransactWriteItemsCommand, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { AwsRequestRejected, DeploymentInProgress, DeploymentLockLost, TransientAwsError, wrapAwsError } from './errors.ts';

export interface LockTable {
  client: DynamoDBClient;
  tableName: string;
}

/** A route as the lock sees it: its canonical identity (the item's key) and its label for messages. */
export interface LockedRoute {
  /** The route's canonical identity (TrafficRouter.identity): one route, one key, however it was written. */
  key: string;
  label: string;
}

/**
 * The CloudWatch alarms a deployment checks, by name and by name prefix: kept on its lock items
 * so the alarm path (functions/alarm) can find the deployments an alarm concerns.
 */
export interface WatchedAlarms {
  names: readonly string[];
  prefixes: readonly string[];
}

/** Cancellation reasons a retry can cure (DynamoDB's codes); "None" is an item that was fine. */
const retryableCancellations = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

const isConditionFailure = (err: unknown) => (err as { name?: string })?.name === 'ConditionalCheckFailedException';

/** The conditional Put that takes one route's lock: free, expired, or already this execution's. */
function lockPut(t: LockTable, route: LockedRoute, executionId: string, ttlSeconds: number, now: Date, alarms?: WatchedAlarms) {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const list = (values: readonly string[]) => ({ L: values.map((S) => ({ S })) });
  return {
    TableName: t.tableName,
    Item: {
      route: { S: route.key },
      executionId: { S: executionId },
      acquiredAt: { S: now.toISOString() },
      expiresAt: { N: String(nowSeconds + ttlSeconds) },
      ...(alarms?.names.length ? { alarmNames: list(alarms.names) } : {}),
      ...(alarms?.prefixes.length ? { alarmPrefixes: list(alarms.prefixes) } : {}),
    },
    ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
    ExpressionAttributeNames: { '#route': 'route', '#executionId': 'executionId', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':me': { S: executionId }, ':now': { N: String(nowSeconds) } },
  };
}

async function inProgress(t: LockTable, routes: readonly LockedRoute[]): Promise<DeploymentInProgress> {
  const held = await Promise.all(routes.map(async (route) => {
    const holder = await lockHolder(t, route);
    return `${route.label} is being deployed by ${holder?.executionId ?? 'another execution'}${holder?.acquiredAt ? ` (since ${holder.acquiredAt})` : ''}`;
  }));
  return new DeploymentInProgress(`${held.join('; ')}; one deployment per route. Nothing was changed`);
}

/** Takes the route's lock for this execution (again, harmlessly, if it already holds it). */
export async function acquireLock(t: LockTable, route: LockedRoute, executionId: string, ttlSeconds: number, now = new Date(), alarms?: WatchedAlarms): Promise<void> {
  try {
    await t.client.send(new PutItemCommand(lockPut(t, route, executionId, ttlSeconds, now, alarms)));
  } catch (err) {
    if (!isConditionFailure(err)) throw wrapAwsError(err, `PutItem lock ${route.key}`);
    throw await inProgress(t, [route]);
  }
}

/**
 * Takes the locks of several routes for this execution, all or none: one DynamoDB transaction of
 * one conditional Put per route (a release). A route someone else holds cancels it, so nothing is
 * left half-locked, and DeploymentInProgress names each route held and its holder. A transaction
 * that conflicted with another writer's (two releases racing for one route) is TransientAwsError:
 * the retry then finds the lock taken, or free. One route is a plain conditional Put.
 */
export async function acquireLocks(t: LockTable, routes: readonly LockedRoute[], executionId: string, ttlSeconds: number, now = new Date(), alarms?: WatchedAlarms): Promise<void> {
  if (routes.length === 1) return acquireLock(t, routes[0], executionId, ttlSeconds, now, alarms);
  try {
    await t.client.send(new TransactWriteItemsCommand({
      TransactItems: routes.map((route) => ({ Put: lockPut(t, route, executionId, ttlSeconds, now, alarms) })),
    }));
  } catch (err) {
    if ((err as { name?: string })?.name !== 'TransactionCanceledException') throw wrapAwsError(err, `TransactWriteItems locks ${routes.map((r) => r.key).join(', ')}`);
    const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
    const held = routes.filter((_, i) => reasons[i]?.Code === 'ConditionalCheckFailed');
    if (held.length) throw await inProgress(t, held);
    const codes = reasons.map((r) => r?.Code ?? 'None');
    const message = `TransactWriteItems locks of ${routes.map((r) => r.label).join(', ')} was cancelled (${codes.join(', ') || 'no reasons given'}); nothing was locked`;
    // Another transaction on a lock item, or throttling: the retry decides. Anything else (a ValidationError) no retry cures.
    if (codes.every((c) => retryableCancellations.has(c))) throw new TransientAwsError(`${message}: another write to a lock raced it, or DynamoDB throttled it`);
    throw new AwsRequestRejected(message);
  }
}

export async function lockHolder(t: LockTable, route: LockedRoute): Promise<{ executionId: string; acquiredAt?: string; expiresAt: number } | undefined> {
  let out;
  try {
    out = await t.client.send(new GetItemCommand({ TableName: t.tableName, Key: { route: { S: route.key } }, ConsistentRead: true }));
  } catch (err) {
    throw wrapAwsError(err, `GetItem lock ${route.key}`);
  }
  if (!out.Item?.executionId?.S) return undefined;
  const expiresAt = Number(out.Item.expiresAt?.N ?? 0);
  if (expiresAt < Date.now() / 1000) return undefined; // expired: TTL deletes it eventually
  return { executionId: out.Item.executionId.S, acquiredAt: out.Item.acquiredAt?.S, expiresAt };
}

/** Throws DeploymentLockLost unless this execution holds the route's lock. */
export async function assertLockHeld(t: LockTable, route: LockedRoute, executionId: string): Promise<void> {
  const holder = await lockHolder(t, route);
  if (holder?.executionId !== executionId) {
    throw new DeploymentLockLost(`${route.label}: execution ${executionId} no longer holds the route's deployment lock (${holder ? `held by ${holder.executionId}` : 'released: aborted or expired'}); not writing`);
  }
}

/** Releases the lock if this execution holds it; releasing a lock it does not hold is a no-op. */
export async function releaseLock(t: LockTable, route: LockedRoute, executionId: string): Promise<boolean> {
  try {
    await t.client.send(new DeleteItemCommand({
      TableName: t.tableName,
      Key: { route: { S: route.key } },
      ConditionExpression: '#executionId = :me',
      ExpressionAttributeNames: { '#executionId': 'executionId' },
      ExpressionAttributeValues: { ':me': { S: executionId } },
    }));
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw wrapAwsError(err, `DeleteItem lock ${route.key}`);
  }
}

