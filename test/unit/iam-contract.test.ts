// The IAM contract's reading of requests (test/support/iam-contract.ts): each request as the JS
// SDK sends it (captured from the real client, so paths, targets and bodies are the SDK's, not
// hand-written), turned into the IAM actions and resources AWS authorizes, and evaluated against
// the roles of template.yaml (SAM-transformed, LatticeServiceArns set). VPC Lattice: until the
// Lattice router's integration tests record real requests, this is what proves the mapping.
// DynamoDB TransactWriteItems (the multi-route lock): authorized item by item, every item checked.
import {
  BatchUpdateRuleCommand, GetListenerCommand, GetRuleCommand, ListRulesCommand, ListTagsForResourceCommand, UpdateListenerCommand,
  UpdateRuleCommand, VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import {
  ACCOUNT, authorizationsFor, checkFunctions, ContractGap, DEPLOYED_LATTICE_SERVICE, denied, describeVerdict, fromTransformed, samTransform,
  type Deployed,
} from '../support/iam-contract.ts';
import type { RecordedRequest } from '../support/request-log.ts';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';

const ID = (prefix: string, c: string) => `${prefix}-${c.repeat(17)}`;
const SVC = ID('svc', 'a');
const LISTENER = ID('listener', 'b');
const RULE = ID('rule', 'c');
const STABLE = ID('tg', 'd');
const CANARY = ID('tg', 'e');
const ARN = (account = '123456789012', region = 'us-east-1') => `arn:aws:vpc-lattice:${region}:${account}`;
const listenerArn = (svc = SVC, a?: string, r?: string) => `${ARN(a, r)}:service/${svc}/listener/${LISTENER}`;
const ruleArn = (svc = SVC, a?: string, r?: string) => `${listenerArn(svc, a, r)}/rule/${RULE}`;
/** Where the deployed (contract) service's listeners and rules are: every local service stands for it. */
const DEPLOYED = `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:service/${DEPLOYED_LATTICE_SERVICE}`;

/** The HTTP request the real SDK sends for a command, as local/front.ts records it. */
async function recorded(command: any, fn = 'SetWeightFunction'): Promise<RecordedRequest> {
  let captured: any;
  const client = new VPCLatticeClient({
    region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1,
    requestHandler: { handle: async (req: any) => { captured = req; throw new Error('captured'); } } as any,
  });
  await client.send(command).catch(() => undefined);
  const query = new URLSearchParams(captured.query ?? {}).toString();
  const body = captured.body === undefined ? '' : typeof captured.body === 'string' ? captured.body : new TextDecoder().decode(captured.body);
  return { function: fn, service: 'vpc-lattice', method: captured.method, url: `${captured.path}${query ? `?${query}` : ''}`, body, buildDir: 'dist' };
}

const forward = { forward: { targetGroups: [{ targetGroupIdentifier: STABLE, weight: 90 }, { targetGroupIdentifier: CANARY, weight: 10 }] } };

let transformed: any;
let deployed: Deployed;
beforeAll(() => {
  transformed = samTransform();
  deployed = fromTransformed(structuredClone(transformed));
});

describe('VPC Lattice requests become the IAM action and the resource AWS authorizes', () => {
  test('GetRule by IDs: the rule, in the deployment\'s account and region', async () => {
    const r = await recorded(new GetRuleCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, ruleIdentifier: RULE }));
    expect(r.url).toBe(`/services/${SVC}/listeners/${LISTENER}/rules/${RULE}`);
    const auths = await authorizationsFor(r, deployed);
    expect(auths.map((a) => [a.action, a.resource])).toEqual([['vpc-lattice:GetRule', `${DEPLOYED}/listener/${LISTENER}/rule/${RULE}`]]);
  });

  test('UpdateRule by ARNs (URL-encoded in the path): the rule, with the target groups as vpc-lattice:TargetGroupArns', async () => {
    const r = await recorded(new UpdateRuleCommand({
      serviceIdentifier: `${ARN()}:service/${SVC}`, listenerIdentifier: listenerArn(), ruleIdentifier: ruleArn(), action: forward,
    }));
    expect(r.method).toBe('PATCH');
    expect(r.url).toContain('arn%3Aaws%3Avpc-lattice'); // the SDK encodes an ARN label, slashes included
    const auths = await authorizationsFor(r, deployed);
    expect(auths).toEqual([expect.objectContaining({
      action: 'vpc-lattice:UpdateRule', resource: `${DEPLOYED}/listener/${LISTENER}/rule/${RULE}`,
      context: { 'vpc-lattice:TargetGroupArns': [`${ARN()}:targetgroup/${STABLE}`, `${ARN()}:targetgroup/${CANARY}`] },
    })]);
  });

  test('a rule ARN of another account and region (shared through AWS RAM) keeps them; IDs beside it take them from it', async () => {
    const r = await recorded(new GetRuleCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, ruleIdentifier: ruleArn(SVC, '111122223333', 'eu-west-1') }));
    const [a] = await authorizationsFor(r, deployed);
    expect(a.resource).toBe(`arn:aws:vpc-lattice:eu-west-1:111122223333:service/${DEPLOYED_LATTICE_SERVICE}/listener/${LISTENER}/rule/${RULE}`);
  });

  test('GetListener and UpdateListener (a default action): the listener', async () => {
    const get = await authorizationsFor(await recorded(new GetListenerCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER })), deployed);
    expect(get.map((a) => [a.action, a.resource])).toEqual([['vpc-lattice:GetListener', `${DEPLOYED}/listener/${LISTENER}`]]);
    const update = await authorizationsFor(await recorded(new UpdateListenerCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, defaultAction: forward })), deployed);
    expect(update).toEqual([expect.objectContaining({ action: 'vpc-lattice:UpdateListener', resource: `${DEPLOYED}/listener/${LISTENER}` })]);
    expect(update[0].context!['vpc-lattice:TargetGroupArns']).toHaveLength(2);
  });

  test('BatchUpdateRule: UpdateRule on each rule it names', async () => {
    const other = ID('rule', 'f');
    const r = await recorded(new BatchUpdateRuleCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, rules: [{ ruleIdentifier: RULE, action: forward }, { ruleIdentifier: other, priority: 5 }] }));
    const auths = await authorizationsFor(r, deployed);
    expect(auths.map((a) => [a.action, a.resource])).toEqual([
      ['vpc-lattice:UpdateRule', `${DEPLOYED}/listener/${LISTENER}/rule/${RULE}`],
      ['vpc-lattice:UpdateRule', `${DEPLOYED}/listener/${LISTENER}/rule/${other}`],
    ]);
  });

  test('ListTagsForResource and ListRules: on "*" (the Service Authorization Reference lists no resource type for them)', async () => {
    const tags = await authorizationsFor(await recorded(new ListTagsForResourceCommand({ resourceArn: ruleArn() }), 'PrepareFunction'), deployed);
    expect(tags.map((a) => [a.action, a.resource])).toEqual([['vpc-lattice:ListTagsForResource', '*']]);
    const rules = await authorizationsFor(await recorded(new ListRulesCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER })), deployed);
    expect(rules.map((a) => [a.action, a.resource])).toEqual([['vpc-lattice:ListRules', '*']]);
  });

  test('what the contract cannot read is a ContractGap, never a pass', async () => {
    const raw = (method: string, url: string, body = ''): RecordedRequest => ({ function: 'SetWeightFunction', service: 'vpc-lattice', method, url, body, buildDir: 'dist' });
    // Not an ID nor an ARN.
    await expect(authorizationsFor(raw('GET', `/services/my-service/listeners/${LISTENER}/rules/${RULE}`), deployed)).rejects.toThrow(/neither a VPC Lattice service ID/);
    // A rule ARN of another service than the path's.
    await expect(authorizationsFor(raw('GET', `/services/${SVC}/listeners/${LISTENER}/rules/${encodeURIComponent(ruleArn(ID('svc', 'z')))}`), deployed))
      .rejects.toThrow(/different services or listeners/);
    // ARNs of two accounts.
    await expect(authorizationsFor(raw('GET', `/services/${encodeURIComponent(`${ARN('111122223333')}:service/${SVC}`)}/listeners/${encodeURIComponent(listenerArn())}`), deployed))
      .rejects.toThrow(/different accounts or regions/);
    // An operation the contract does not know (DeleteRule).
    await expect(authorizationsFor(raw('DELETE', `/services/${SVC}/listeners/${LISTENER}/rules/${RULE}`), deployed)).rejects.toThrow(ContractGap);
  });
});

describe("the template's Lattice grants, evaluated on these requests", () => {
  const writers = ['SetWeightFunction', 'PromoteFunction', 'RollbackFunction', 'GuardFunction'];
  const requests = async (fn: string) => [
    await recorded(new GetRuleCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, ruleIdentifier: RULE }), fn),
    await recorded(new UpdateRuleCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, ruleIdentifier: RULE, action: forward }), fn),
    await recorded(new GetListenerCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER }), fn),
    await recorded(new UpdateListenerCommand({ serviceIdentifier: SVC, listenerIdentifier: LISTENER, defaultAction: forward }), fn),
  ];
  const failures = async (d: Deployed, fn: string, rs: RecordedRequest[]) => denied(await checkFunctions(rs, d, [fn])).map(describeVerdict);

  test.each(writers)('%s may read and update rules and default actions of the named service', async (fn) => {
    expect(await failures(deployed, fn, await requests(fn))).toEqual([]);
  });

  test('PrepareFunction may read rules, default actions and tags, and update neither', async () => {
    const [getRule, updateRule, getListener, updateListener] = await requests('PrepareFunction');
    const tags = await recorded(new ListTagsForResourceCommand({ resourceArn: ruleArn() }), 'PrepareFunction');
    expect(await failures(deployed, 'PrepareFunction', [getRule, getListener, tags])).toEqual([]);
    expect(await failures(deployed, 'PrepareFunction', [updateRule, updateListener])).toEqual([
      expect.stringMatching(/^PrepareFunction vpc-lattice:UpdateRule on .*\/rule\/rule-c{17}: ImplicitlyDenied/),
      expect.stringMatching(/^PrepareFunction vpc-lattice:UpdateListener on .*\/listener\/listener-b{17}: ImplicitlyDenied/),
    ]);
  });

  test('a writer may not read tags (only prepare refuses controller-managed rules)', async () => {
    const tags = await recorded(new ListTagsForResourceCommand({ resourceArn: ruleArn() }), 'SetWeightFunction');
    expect(await failures(deployed, 'SetWeightFunction', [tags])).toEqual([expect.stringMatching(/vpc-lattice:ListTagsForResource on \*: ImplicitlyDenied/)]);
  });

  test('deployed without Lattice services (LatticeServiceArns empty), the same requests are all denied', async () => {
    const d = fromTransformed(structuredClone(transformed), { LatticeServiceArns: [''] });
    for (const fn of writers) expect(await failures(d, fn, await requests(fn))).toHaveLength(4);
  });
});

describe('DynamoDB TransactWriteItems: each item is authorized as its own action on its own table', () => {
  /** The request the real DynamoDBClient sends, as local/front.ts records it. */
  async function recordedDynamo(command: any, fn = 'PrepareFunction'): Promise<RecordedRequest> {
    let captured: any;
    const client = new DynamoDBClient({
      region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1,
      requestHandler: { handle: async (req: any) => { captured = req; throw new Error('captured'); } } as any,
    });
    await client.send(command).catch(() => undefined);
    return { function: fn, service: 'dynamodb', method: captured.method, url: captured.path, target: captured.headers['x-amz-target'], body: captured.body, buildDir: 'dist' };
  }
  const lockTable = () => deployed.ctx.ref('LockTable')!;
  const lockTableArn = () => deployed.ctx.getAtt('LockTable', 'Arn')!;
  /** One route's lock Put, as functions/commons/lock.ts acquireLock writes it. */
  const lockPut = (route: string, TableName = lockTable()): TransactWriteItem => ({
    Put: {
      TableName,
      Item: { route: { S: route }, executionId: { S: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:e1' }, expiresAt: { N: '1900000000' } },
      ConditionExpression: 'attribute_not_exists(#route) OR #executionId = :me OR #expiresAt < :now',
      ExpressionAttributeNames: { '#route': 'route', '#executionId': 'executionId', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':me': { S: 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:e1' }, ':now': { N: '1800000000' } },
    },
  });
  const transaction = (...items: TransactWriteItem[]) => recordedDynamo(new TransactWriteItemsCommand({ TransactItems: items }));
  const failures = async (d: Deployed, rs: RecordedRequest[], fn = 'PrepareFunction') => denied(await checkFunctions(rs, d, [fn])).map(describeVerdict);

  test('the recorded request is what the SDK sends: X-Amz-Target DynamoDB_20120810.TransactWriteItems, the items in the body', async () => {
    const r = await transaction(lockPut('demomesh/product-vr/product-r'), lockPut('demomesh/customer-vr/customer-r'));
    expect(r.target).toBe('DynamoDB_20120810.TransactWriteItems');
    expect(JSON.parse(r.body).TransactItems).toHaveLength(2);
  });

  test('Put, Delete, Update and ConditionCheck: PutItem, DeleteItem, UpdateItem and ConditionCheckItem, on the table, within TransactWriteItems', async () => {
    const t = lockTable();
    const r = await transaction(
      lockPut('a'),
      { Delete: { TableName: t, Key: { route: { S: 'b' } } } },
      { Update: { TableName: t, Key: { route: { S: 'c' } }, UpdateExpression: 'SET #n = :n', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':n': { N: '1' } } } },
      { ConditionCheck: { TableName: t, Key: { route: { S: 'd' } }, ConditionExpression: 'attribute_not_exists(route)' } },
    );
    const auths = await authorizationsFor(r, deployed);
    expect(auths.map((a) => [a.action, a.resource, a.context])).toEqual(
      ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']
        .map((action) => [action, lockTableArn(), { 'dynamodb:EnclosingOperation': 'TransactWriteItems' }]),
    );
    expect(auths[3].why).toContain('TransactItems[3] (ConditionCheck)');
  });

  test('a Put per route on one table is one PutItem on it (the same check, made once)', async () => {
    const r = await transaction(...['a', 'b', 'c', 'd', 'e'].map((route) => lockPut(route)));
    expect((await authorizationsFor(r, deployed)).map((a) => [a.action, a.resource])).toEqual([['dynamodb:PutItem', lockTableArn()]]);
  });

  test("PrepareFunction's role may take all routes' locks in one transaction (template.yaml: PutItem on the lock table)", async () => {
    const r = await transaction(...['demomesh/product-vr/product-r', 'svc-a/listener-b/rule-c'].map((route) => lockPut(route)));
    expect(await failures(deployed, [r])).toEqual([]);
  });

  test('a role without dynamodb:PutItem on the lock table is denied the transaction, naming the action', async () => {
    // PrepareFunction's role as template.yaml makes it, minus dynamodb:PutItem wherever it is granted.
    const withoutPut = structuredClone(transformed);
    const strip = (v: any): any => {
      if (Array.isArray(v)) return v.filter((x) => x !== 'dynamodb:PutItem').map(strip);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
      return v;
    };
    withoutPut.Resources.PrepareFunctionRole.Properties.Policies = strip(withoutPut.Resources.PrepareFunctionRole.Properties.Policies);
    const d = fromTransformed(withoutPut);
    const r = await transaction(lockPut('demomesh/product-vr/product-r'), lockPut('demomesh/customer-vr/customer-r'));
    expect(await failures(d, [r])).toEqual([
      expect.stringMatching(new RegExp(`^PrepareFunction dynamodb:PutItem on ${lockTableArn()}: ImplicitlyDenied .*TransactWriteItems TransactItems\\[0\\] \\(Put\\)`)),
    ]);
    // The same role still may read and release a lock: only the missing action is denied.
    expect(await failures(deployed, [r])).toEqual([]);
  });

  test('the items carry dynamodb:EnclosingOperation: a role that denies transactional writes (the guide\'s example 3) is denied, PutItem alone is not', async () => {
    const noTransactions = structuredClone(transformed);
    noTransactions.Resources.PrepareFunctionRole.Properties.Policies.push({
      PolicyName: 'NoTransactions',
      PolicyDocument: { Statement: [{
        Effect: 'Deny', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'], Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'dynamodb:EnclosingOperation': ['TransactWriteItems'] } },
      }] },
    });
    const d = fromTransformed(noTransactions);
    const put = await recordedDynamo(new PutItemCommand(lockPut('a').Put!));
    expect(await failures(d, [put])).toEqual([]);
    expect(await failures(d, [await transaction(lockPut('a'), lockPut('b'))])).toEqual([expect.stringMatching(/^PrepareFunction dynamodb:PutItem on .*: ExplicitlyDenied/)]);
  });

  test('every item is evaluated: an allowed Put does not hide a ConditionCheck the role may not make', async () => {
    // PrepareFunction has PutItem, GetItem and DeleteItem on the lock table, not ConditionCheckItem.
    const r = await transaction(lockPut('a'), { ConditionCheck: { TableName: lockTable(), Key: { route: { S: 'b' } }, ConditionExpression: 'attribute_not_exists(route)' } });
    expect(await failures(deployed, [r])).toEqual([expect.stringMatching(/^PrepareFunction dynamodb:ConditionCheckItem on .*: ImplicitlyDenied/)]);
  });

  test('a function whose role only reads the lock (SetWeightFunction) is denied the transaction', async () => {
    const r = await recordedDynamo(new TransactWriteItemsCommand({ TransactItems: [lockPut('a'), lockPut('b')] }), 'SetWeightFunction');
    expect(await failures(deployed, [r], 'SetWeightFunction')).toEqual([expect.stringMatching(/^SetWeightFunction dynamodb:PutItem on .*: ImplicitlyDenied/)]);
  });

  test('what the contract cannot read is a ContractGap, never a pass', async () => {
    const raw = (body: unknown): RecordedRequest => ({ function: 'PrepareFunction', service: 'dynamodb', method: 'POST', url: '/', target: 'DynamoDB_20120810.TransactWriteItems', body: JSON.stringify(body), buildDir: 'dist' });
    await expect(authorizationsFor(raw({ TransactItems: [] }), deployed)).rejects.toThrow(/no TransactItems/);
    await expect(authorizationsFor(raw({ TransactItems: [{ Put: lockPut('a').Put, Delete: { TableName: lockTable(), Key: {} } }] }), deployed)).rejects.toThrow(/TransactItems\[0\] has Put and Delete/);
    await expect(authorizationsFor(raw({ TransactItems: [{ Get: { TableName: lockTable(), Key: {} } }] }), deployed)).rejects.toThrow(/a Get, which the contract does not know/);
    // A table the template does not create.
    await expect(authorizationsFor(raw({ TransactItems: [lockPut('a', 'some-other-table')] }), deployed)).rejects.toThrow(/which template.yaml does not create/);
    // Other DynamoDB operations are still gaps until the contract knows them.
    await expect(authorizationsFor({ ...raw({}), target: 'DynamoDB_20120810.TransactGetItems' }, deployed)).rejects.toThrow(ContractGap);
  });

  test('the alarm path\'s DescribeExecution and StopExecution are authorized on the execution (a standard one: not on express executions)', async () => {
    const executionArn = 'arn:aws:states:us-east-1:123456789012:execution:LinearStateMachine:x1';
    for (const op of ['DescribeExecution', 'StopExecution']) {
      const req: RecordedRequest = { function: 'AlarmFunction', service: 'states', method: 'POST', url: '/', target: `AWSStepFunctions.${op}`, body: JSON.stringify({ executionArn }), buildDir: 'dist' };
      const auths = await authorizationsFor(req, deployed);
      expect(auths.map((a) => [a.action, a.resource.replace(/:stateMachine:.*|:execution:([^:]+):.*/, ':execution:$1')])).toEqual([[`states:${op}`, expect.stringMatching(/^arn:aws:states:us-east-1:123456789012:execution:/)]]);
    }
  });

  test("a Scan (the alarm path's look for the deployments an alarm concerns) is dynamodb:Scan on its table", async () => {
    const scan: RecordedRequest = { function: 'AlarmFunction', service: 'dynamodb', method: 'POST', url: '/', target: 'DynamoDB_20120810.Scan', body: JSON.stringify({ TableName: lockTable() }), buildDir: 'dist' };
    const [auth] = await authorizationsFor(scan, deployed);
    expect(auth).toMatchObject({ action: 'dynamodb:Scan', resource: expect.stringMatching(/^arn:aws:dynamodb:us-east-1:123456789012:table\//) });
  });
});
