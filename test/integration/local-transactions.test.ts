// DynamoDB TransactWriteItems on the local AWS, as the multi-route lock uses it: one Put per
// route, each with functions/commons/lock.ts acquireLock's condition, in one transaction. What
// the lock relies on, as AWS documents it (botocore's dynamodb 2012-08-10 model; the API
// reference of TransactWriteItems): all or nothing; a failed condition cancels the whole
// transaction with TransactionCanceledException, whose CancellationReasons hold one entry per
// item in request order (Code None for an item without error, ConditionalCheckFailed with "The
// conditional request failed" for a failed condition, and with ReturnValuesOnConditionCheckFailure
// ALL_OLD the item that failed it); two operations on one item are a ValidationException ("Transaction
// request cannot include multiple operations on one item"), and so is an empty transaction (the
// model's TransactWriteItemList has min 1). Concurrent transactions are serializable: of two
// taking one route, at most one wins, and nothing is ever half-written.
//
// moto 5.2.1 checks and writes item by item and rolls a cancelled transaction back by putting
// back a copy of every table it touched, taken at its start: on moto's request threads two
// transactions could both take a route, and a rollback could erase writes made meanwhile. The
// launcher serialises transact_write_items with the other item operations
// (patch_dynamodb_atomic_writes in local/moto_launcher.py); the concurrency tests below fail
// without it (one round in five or so has two winners or a lost lock, so many rounds are run).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, TransactWriteItemsCommand,
  type AttributeValue, type CancellationReason, type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { findPython } from '../../local/aws.ts';
import { loadTemplate } from '../../local/template.ts';
import { unique } from '../support/executions.ts';

const dynamo = new DynamoDBClient({ endpoint: process.env.MESH_CANARY_ENDPOINT, region: process.env.AWS_REGION, maxAttempts: 1 });

/** botocore's model of DynamoDB: the shapes AWS's answers follow. */
async function botocoreModel(): Promise<any> {
  const out = spawnSync(await findPython(), ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' });
  return JSON.parse(gunzipSync(readFileSync(join(out.stdout.trim(), 'data', 'dynamodb', '2012-08-10', 'service-2.json.gz'))).toString());
}

let model: any;
let table: string;
beforeAll(async () => {
  model = await botocoreModel();
  // A table of its own with the deployed lock table's key (template.yaml's LockTable).
  const lock = loadTemplate().Resources.LockTable.Properties as any;
  table = unique('transactions');
  await dynamo.send(new CreateTableCommand({
    TableName: table, BillingMode: 'PAY_PER_REQUEST', KeySchema: lock.KeySchema, AttributeDefinitions: lock.AttributeDefinitions,
  }));
});

const HOUR = 3600;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** One route's lock Put, as acquireLock writes it (condition, names, values). */
function lockPut(route: string, executionId: string, options: { ttlSeconds?: number; allOld?: boolean } = {}): TransactWriteItem {
  const now = nowSeconds();
  return {
    Put: {
      TableName: table,
      Item: { route: { S: route }, executionId: { S: executionId }, acquiredAt: { S: new Date().toISOString() }, expiresAt: { N: String(now + (options.ttlSeconds ?? HOUR)) } },
      ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
      ExpressionAttributeNames: { '#route': 'route', '#executionId': 'executionId', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':me': { S: executionId }, ':now': { N: String(now) } },
      ...(options.allOld ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const } : {}),
    },
  };
}

const take = (items: TransactWriteItem[]) => dynamo.send(new TransactWriteItemsCommand({ TransactItems: items }));
const lockOf = (executionId: string, routes: string[], options?: Parameters<typeof lockPut>[2]) => take(routes.map((r) => lockPut(r, executionId, options)));
const item = async (route: string): Promise<Record<string, AttributeValue> | undefined> =>
  (await dynamo.send(new GetItemCommand({ TableName: table, Key: { route: { S: route } }, ConsistentRead: true }))).Item;
const holderOf = async (route: string) => (await item(route))?.executionId?.S;
/** A lock held by another execution, written as a one-route deployment writes it (PutItem). */
const held = async (route: string, executionId: string, ttlSeconds = HOUR) => {
  await dynamo.send(new PutItemCommand({ TableName: table, Item: lockPut(route, executionId, { ttlSeconds }).Put!.Item }));
  return item(route);
};

interface Failure { name: string; message: string; status?: number; reasons?: CancellationReason[] }
async function failure(call: Promise<unknown>): Promise<Failure> {
  try {
    await call;
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number }; CancellationReasons?: CancellationReason[] };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode, reasons: e.CancellationReasons };
  }
  throw new Error('the transaction succeeded');
}

/** The route keys of one test (labels as routeLabelOf writes them, made unique). */
const routes = (n: number) => {
  const id = unique('r');
  return Array.from({ length: n }, (_, i) => `${id}/vr-${i}/route-${i}`);
};
const exec = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:${unique(name)}`;

describe('a Put per route with the lock condition', () => {
  test('free routes are all taken at once; the same execution takes them again harmlessly; an expired lock is taken over', async () => {
    const [a, b, c] = routes(3);
    const me = exec('me');
    await lockOf(me, [a, b, c]);
    expect(await Promise.all([a, b, c].map(holderOf))).toEqual([me, me, me]);
    await lockOf(me, [a, b, c]); // a retried Prepare
    expect(await Promise.all([a, b, c].map(holderOf))).toEqual([me, me, me]);

    const [d, e] = routes(2);
    await held(e, exec('lost'), -60); // expired a minute ago, not yet deleted by TTL
    await lockOf(me, [d, e]);
    expect(await Promise.all([d, e].map(holderOf))).toEqual([me, me]);
  });

  test('one route held by another execution: TransactionCanceledException, one reason per item in order, nothing written', async () => {
    const [a, b, c] = routes(3);
    const holder = exec('holder');
    const before = await held(b, holder);
    const f = await failure(lockOf(exec('me'), [a, b, c]));

    expect(f).toMatchObject({ name: 'TransactionCanceledException', status: 400 });
    expect(f.message).toBe('Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]');
    expect(f.reasons).toEqual([{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }, { Code: 'None' }]);
    // All or nothing: the free routes are still free, the held one still the holder's, unchanged.
    expect(await item(a)).toBeUndefined();
    expect(await item(c)).toBeUndefined();
    expect(await item(b)).toEqual(before);

    // The shapes are AWS's: the error is one TransactWriteItems declares, its fields the model's.
    expect(model.operations.TransactWriteItems.errors.map((e: { shape: string }) => e.shape)).toContain('TransactionCanceledException');
    expect(Object.keys(model.shapes.TransactionCanceledException.members)).toEqual(expect.arrayContaining(['Message', 'CancellationReasons']));
    for (const r of f.reasons!) expect(Object.keys(model.shapes.CancellationReason.members)).toEqual(expect.arrayContaining(Object.keys(r)));
  });

  test('with ReturnValuesOnConditionCheckFailure ALL_OLD, the failing item\'s reason carries the holder\'s lock; the others carry none', async () => {
    const [a, b, c] = routes(3);
    const before = await held(c, exec('holder'));
    const f = await failure(lockOf(exec('me'), [a, b, c], { allOld: true }));
    expect(f.name).toBe('TransactionCanceledException');
    expect(f.reasons).toEqual([{ Code: 'None' }, { Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: before }]);
    expect(await item(a)).toBeUndefined();
    expect(await item(b)).toBeUndefined();
  });

  test('two routes held (by two executions): each has its own reason, in order', async () => {
    const [a, b, c, d] = routes(4);
    const [first, second] = [exec('first'), exec('second')];
    const heldA = await held(a, first);
    const heldC = await held(c, second);
    const f = await failure(lockOf(exec('me'), [a, b, c, d], { allOld: true }));
    expect(f.reasons?.map((r) => r.Code)).toEqual(['ConditionalCheckFailed', 'None', 'ConditionalCheckFailed', 'None']);
    expect([f.reasons![0].Item, f.reasons![2].Item]).toEqual([heldA, heldC]);
    expect(await item(b)).toBeUndefined();
    expect(await item(d)).toBeUndefined();
    expect([await holderOf(a), await holderOf(c)]).toEqual([first, second]);
  });

  test('two items with one key: ValidationException, and nothing written, not even the items before them', async () => {
    const [a, b] = routes(2);
    const me = exec('me');
    const f = await failure(take([lockPut(a, me), lockPut(b, me), lockPut(b, me)]));
    expect(f).toMatchObject({ name: 'ValidationException', status: 400, message: 'Transaction request cannot include multiple operations on one item' });
    expect(f.reasons).toBeUndefined();
    expect(await item(a)).toBeUndefined();
    expect(await item(b)).toBeUndefined();
  });

  test('a table that does not exist (a wrong LOCK_TABLE_NAME): ResourceNotFoundException, not a cancellation', async () => {
    const [a, b] = routes(2);
    const me = exec('me');
    const f = await failure(take([lockPut(a, me), { Put: { ...lockPut(b, me).Put!, TableName: unique('no-such-table') } }]));
    expect(f).toMatchObject({ name: 'ResourceNotFoundException', status: 400, message: 'Requested resource not found' });
    expect(await item(a)).toBeUndefined();
    expect(model.operations.TransactWriteItems.errors.map((e: { shape: string }) => e.shape)).toContain('ResourceNotFoundException');
  });

  test('no items: ValidationException (the model\'s TransactWriteItemList has min 1)', async () => {
    expect(model.shapes.TransactWriteItemList.min).toBe(1);
    const f = await failure(take([]));
    expect(f).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(f.message).toMatch(/transactItems.*length greater than or equal to 1/);
  });
});

describe('concurrent transactions', () => {
  // Races are decided by moto's request threads; each round is a fresh chance of the bug.
  const ROUNDS = 25;

  test(`two transactions over overlapping routes ({A, B} and {B, C}), ${ROUNDS} times: exactly one wins, the loser wrote nothing`, async () => {
    const bad: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b, c] = routes(3);
      const [one, two] = [exec('one'), exec('two')];
      const outcome = await Promise.allSettled([lockOf(one, [a, b]), lockOf(two, [b, c])]);
      const winners = outcome.flatMap((o, i) => (o.status === 'fulfilled' ? [[one, two][i]] : []));
      const state = { a: await holderOf(a), b: await holderOf(b), c: await holderOf(c) };
      const expected = winners[0] === one ? { a: one, b: one, c: undefined } : { a: undefined, b: two, c: two };
      const loser = outcome.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      // The loser is cancelled on the shared route B. AWS may also cancel a transaction that meets
      // another in flight (reason TransactionConflict); serialised, moto's loser always sees B taken.
      const reasons = loser?.reason?.CancellationReasons?.map((r: CancellationReason) => r.Code);
      const expectedReasons = winners[0] === one ? ['ConditionalCheckFailed', 'None'] : ['None', 'ConditionalCheckFailed'];
      if (winners.length !== 1 || JSON.stringify(state) !== JSON.stringify(expected) || JSON.stringify(reasons) !== JSON.stringify(expectedReasons)) {
        bad.push(`round ${round}: winners ${winners.length}, locks ${JSON.stringify(state)}, loser's reasons ${JSON.stringify(reasons)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test(`six transactions sharing one route, ${ROUNDS} times: one wins, and only the winner's other route is taken`, async () => {
    const bad: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [shared, ...own] = routes(7);
      const executions = own.map(() => exec('e'));
      const outcome = await Promise.allSettled(own.map((r, i) => lockOf(executions[i], [r, shared])));
      const winners = outcome.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
      const taken = (await Promise.all(own.map(holderOf))).flatMap((h, i) => (h ? [i] : []));
      const holder = await holderOf(shared);
      if (winners.length !== 1 || holder !== executions[winners[0]] || JSON.stringify(taken) !== JSON.stringify(winners)) {
        bad.push(`round ${round}: winners ${JSON.stringify(winners)}, shared route held by ${executions.indexOf(holder!)}, own routes taken ${JSON.stringify(taken)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test(`a transaction cancelled while one-route locks are taken beside it, ${ROUNDS} times: those locks stay`, async () => {
    // moto undoes a cancelled transaction by putting back a copy of the whole table: unless
    // serialised, that copy erases the PutItems (one-route deployments' locks) that landed meanwhile.
    const bad: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [free, taken, ...others] = routes(8);
      await held(taken, exec('holder'));
      const singles = others.map(() => exec('single'));
      const outcome = await Promise.allSettled([
        lockOf(exec('multi'), [free, taken]),
        ...others.map((r, i) => dynamo.send(new PutItemCommand({ TableName: table, Item: lockPut(r, singles[i]).Put!.Item }))),
      ]);
      const lost = (await Promise.all(others.map(holderOf))).flatMap((h, i) => (h === singles[i] ? [] : [i]));
      if (outcome[0].status === 'fulfilled' || outcome.slice(1).some((o) => o.status === 'rejected') || lost.length || await item(free)) {
        bad.push(`round ${round}: transaction ${outcome[0].status}, one-route locks lost ${JSON.stringify(lost)}, free route ${await holderOf(free) ?? 'free'}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
