// A VPC Lattice rule the AWS Gateway API Controller manages (its tags, as the controller puts them
// on what it creates), prepared on the local AWS through the prepare function's code with the
// stack's lock table: refused before any change, nothing written, the lock given back; and
// prepared when the input opts in. Also that the local AWS answers ListTagsForResource for the
// services, listeners and rules created with tags.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateListenerCommand, CreateRuleCommand, CreateServiceCommand, CreateTargetGroupCommand, GetRuleCommand,
  ListTagsForResourceCommand, VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import { lockHolder, releaseLock } from '../../functions/commons/lock.ts';
import { controllerTags } from '../../functions/commons/routers/lattice/index.ts';
import { prepare } from '../../functions/prepare/index.ts';
import { validLatticeInputs } from '../support/corpus.ts';
import { stack, unique } from '../support/executions.ts';

const endpoint = process.env.MESH_CANARY_ENDPOINT!;
const region = process.env.AWS_REGION!;
const lattice = new VPCLatticeClient({ endpoint, region, maxAttempts: 1 });
const lock = () => ({ client: new DynamoDBClient({ endpoint, region }), tableName: stack().outputs.LockTableName });
const executionId = (name: string) => `arn:aws:states:${region}:123456789012:execution:mesh-canary-linear:${unique(name)}`;

const managedBy = { [controllerTags.managedBy]: '123456789012/prod-cluster/vpc-0123456789abcdef0' };
const serviceTags = { ...managedBy, [controllerTags.routeName]: 'checkout', [controllerTags.routeNamespace]: 'shop', [controllerTags.routeType]: 'http' };

/** A service, listener and rule, each tagged as given, forwarding all traffic to a stable target group. */
async function route(tags: { service?: Record<string, string>; listener?: Record<string, string>; rule?: Record<string, string> }) {
  const service = await lattice.send(new CreateServiceCommand({ name: unique('managed'), tags: tags.service }));
  const [stable, canary] = await Promise.all(['stable', 'canary'].map((name) => lattice.send(new CreateTargetGroupCommand({
    name: unique(name), type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' },
  }))));
  const listener = await lattice.send(new CreateListenerCommand({
    serviceIdentifier: service.id, name: 'web', protocol: 'HTTP', port: 80, tags: tags.listener,
    defaultAction: { fixedResponse: { statusCode: 404 } },
  }));
  const rule = await lattice.send(new CreateRuleCommand({
    serviceIdentifier: service.id, listenerIdentifier: listener.id, name: 'checkout', priority: 10, tags: tags.rule,
    match: { httpMatch: { pathMatch: { match: { prefix: '/' } } } },
    action: { forward: { targetGroups: [{ targetGroupIdentifier: stable.id, weight: 100 }] } },
  }));
  const input = { ...validLatticeInputs.linear, route: { service: service.id!, listener: listener.id!, rule: rule.id! }, stableTargetGroup: stable.id!, canaryTargetGroup: canary.id! };
  const getRule = () => lattice.send(new GetRuleCommand({ serviceIdentifier: service.id, listenerIdentifier: listener.id, ruleIdentifier: rule.id }));
  return { service, listener, rule, input, getRule };
}

const deps = () => ({ routers: { lattice: () => lattice }, lock: lock() });

test('the local AWS answers ListTagsForResource for a service, listener and rule created with tags', async () => {
  const r = await route({ service: serviceTags, listener: managedBy, rule: { ...managedBy, team: 'payments' } });
  expect((await lattice.send(new ListTagsForResourceCommand({ resourceArn: r.service.arn }))).tags).toEqual(serviceTags);
  expect((await lattice.send(new ListTagsForResourceCommand({ resourceArn: r.listener.arn }))).tags).toEqual(managedBy);
  expect((await lattice.send(new ListTagsForResourceCommand({ resourceArn: r.rule.arn }))).tags).toEqual({ ...managedBy, team: 'payments' });
  const plain = await route({});
  expect((await lattice.send(new ListTagsForResourceCommand({ resourceArn: plain.rule.arn }))).tags).toEqual({});
});

test('a rule the controller manages: refused before any change, nothing written, the lock given back; opted in, prepared', async () => {
  const r = await route({ service: serviceTags, listener: managedBy, rule: managedBy });
  const before = await r.getRule();
  await expect(prepare({ input: r.input, executionId: executionId('managed'), machine: 'linear' }, deps())).rejects.toMatchObject({
    name: 'ControllerManagedRoute',
    message: expect.stringContaining('Shift weights in HTTPRoute shop/checkout instead (the weights of its backendRefs)'),
  });
  const after = await r.getRule();
  expect(after.action).toEqual(before.action);
  expect(after.lastUpdatedAt).toEqual(before.lastUpdatedAt);
  expect(await lockHolder(lock(), { key: r.rule.arn!, label: 'managed' })).toBeUndefined();

  const opted = await prepare({ input: { ...r.input, allowControllerManaged: true }, executionId: executionId('opted-in'), machine: 'linear' }, deps());
  expect(opted).toMatchObject({ allowControllerManaged: true, snapshot: { router: 'lattice', weightedTargets: [{ targetGroupIdentifier: r.input.stableTargetGroup, weight: 100 }] } });
  expect(await lockHolder(lock(), { key: r.rule.arn!, label: 'managed' })).toMatchObject({ executionId: opted.executionId });
  await releaseLock(lock(), { key: r.rule.arn!, label: 'managed' }, opted.executionId!);
});

test('an untagged rule is prepared', async () => {
  const r = await route({});
  await expect(prepare({ input: r.input, executionId: executionId('plain'), machine: 'linear' }, deps())).resolves.toMatchObject({ snapshot: { router: 'lattice' } });
});
