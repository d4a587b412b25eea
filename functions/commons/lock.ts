// One deployment per route: a lock item per route in DynamoDB, taken with a conditional write
// before the first change and released at promote or rollback. It expires (TTL, and the
// condition below) after longer than the longest deployment could last, so a lost execution
// cannot block a route for ever. Writers check they still hold it right before each write.
import {
  DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DeploymentInProgress, DeploymentLockLost, wrapAwsError } from './errors.ts';

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

const isConditionFailure = (err: unknown) => (err as { name?: string })?.name === 'ConditionalCheckFailedException';

/** Takes the route's lock for this execution (again, harmlessly, if it already holds it). */
export async function acquireLock(t: LockTable, route: LockedRoute, executionId: string, ttlSeconds: number, now = new Date()): Promise<void> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  try {
    await t.client.send(new PutItemCommand({
      TableName: t.tableName,
      Item: {
        route: { S: route.key },
        executionId: { S: executionId },
        acquiredAt: { S: now.toISOString() },
        expiresAt: { N: String(nowSeconds + ttlSeconds) },
      },
      ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
      ExpressionAttributeNames: { '#route': 'route', '#executionId': 'executionId', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':me': { S: executionId }, ':now': { N: String(nowSeconds) } },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw wrapAwsError(err, `PutItem lock ${route.key}`);
    const holder = await lockHolder(t, route);
    throw new DeploymentInProgress(`${route.label} is being deployed by ${holder?.executionId ?? 'another execution'}${holder?.acquiredAt ? ` (since ${holder.acquiredAt})` : ''}; one deployment per route. Nothing was changed`);
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

