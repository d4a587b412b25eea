// VPC Lattice on the local AWS (local/moto_launcher.py's patch_vpclattice, local/front.ts's faults):
// every call the Lattice router needs round-trips through the JS SDK with AWS's shapes, IDs and
// ARNs match botocore's patterns and are accepted interchangeably, each listener has its default
// rule, and bad input and unknown resources get AWS's error names and HTTP statuses.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  BatchUpdateRuleCommand, CreateListenerCommand, CreateRuleCommand, CreateServiceCommand, CreateTargetGroupCommand,
  GetListenerCommand, GetRuleCommand, GetServiceCommand, GetTargetGroupCommand, ListListenersCommand, ListRulesCommand,
  UpdateListenerCommand, UpdateRuleCommand, VPCLatticeClient,
  type CreateListenerCommandOutput, type CreateRuleCommandOutput, type CreateServiceCommandOutput,
  type CreateTargetGroupCommandOutput, type RuleAction, type WeightedTargetGroup,
} from '@aws-sdk/client-vpc-lattice';
import { findPython, startLocalAws, type LocalAws } from '../../local/aws.ts';
import { unique } from '../support/executions.ts';

const endpoint = process.env.MESH_CANARY_ENDPOINT!;
const region = process.env.AWS_REGION!;
const lattice = new VPCLatticeClient({ endpoint, region, maxAttempts: 1 });

/** botocore's model of VPC Lattice: the patterns AWS's IDs and ARNs follow. */
async function botocorePatterns(): Promise<Record<string, RegExp>> {
  const out = spawnSync(await findPython(), ['-c', 'import botocore, os; print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' });
  const model = JSON.parse(gunzipSync(readFileSync(join(out.stdout.trim(), 'data', 'vpc-lattice', '2022-11-30', 'service-2.json.gz'))).toString());
  const shapes = ['ServiceId', 'ServiceArn', 'ListenerId', 'ListenerArn', 'RuleId', 'RuleArn', 'TargetGroupId', 'TargetGroupArn'];
  return Object.fromEntries(shapes.map((s) => [s, new RegExp(`^(?:${model.shapes[s].pattern})$`)]));
}

/** The error's name and HTTP status, as the SDK reports them. */
async function failure(call: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('the call succeeded');
}

const forward = (...groups: [CreateTargetGroupCommandOutput, number][]): RuleAction =>
  ({ forward: { targetGroups: groups.map(([tg, weight]): WeightedTargetGroup => ({ targetGroupIdentifier: tg.id!, weight })) } });
const later = () => new Promise((r) => setTimeout(r, 5)); // lastUpdatedAt has millisecond resolution

let patterns: Record<string, RegExp>;
let service: CreateServiceCommandOutput;
let listener: CreateListenerCommandOutput;
let rule: CreateRuleCommandOutput;
let tgs: CreateTargetGroupCommandOutput[];
const MATCH = { httpMatch: { pathMatch: { match: { prefix: '/' } } } };

beforeAll(async () => {
  patterns = await botocorePatterns();
  service = await lattice.send(new CreateServiceCommand({ name: unique('product') }));
  tgs = [];
  for (const name of ['stable', 'canary', 'other']) {
    tgs.push(await lattice.send(new CreateTargetGroupCommand({ name: unique(name), type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' } })));
  }
  // By ID, which moto took before the launcher's patch too, so that each test below fails on
  // unpatched moto for its own reason. The ARNs test uses ARNs.
  listener = await lattice.send(new CreateListenerCommand({
    serviceIdentifier: service.id, name: 'web', protocol: 'HTTP', port: 80,
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0].id, weight: 100 }] } },
  }));
  rule = await lattice.send(new CreateRuleCommand({
    serviceIdentifier: service.id, listenerIdentifier: listener.id, name: 'canary', priority: 10, match: MATCH,
    action: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0].id, weight: 90 }, { targetGroupIdentifier: tgs[1].arn, weight: 10 }] } },
  }));
});

const ids = () => ({ serviceIdentifier: service.id, listenerIdentifier: listener.id });
const getRule = (ruleIdentifier = rule.id) => lattice.send(new GetRuleCommand({ ...ids(), ruleIdentifier }));

describe('IDs and ARNs', () => {
  test('match botocore\'s patterns, and a rule ARN nests under its listener\'s', () => {
    expect(service.id).toMatch(patterns.ServiceId);
    expect(service.arn).toMatch(patterns.ServiceArn);
    expect(listener.id).toMatch(patterns.ListenerId);
    expect(listener.arn).toMatch(patterns.ListenerArn);
    expect(rule.id).toMatch(patterns.RuleId);
    expect(rule.arn).toMatch(patterns.RuleArn);
    expect(rule.arn).toBe(`${listener.arn}/rule/${rule.id}`);
    for (const tg of tgs) {
      expect(tg.id).toMatch(patterns.TargetGroupId);
      expect(tg.arn).toMatch(patterns.TargetGroupArn);
    }
  });

  test('are accepted interchangeably by every Create, Get and List', async () => {
    const byArn = { serviceIdentifier: service.arn, listenerIdentifier: listener.arn };
    const second = await lattice.send(new CreateListenerCommand({ serviceIdentifier: service.arn, name: 'admin', protocol: 'HTTP', port: 8080,
      defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[2].arn, weight: 1 }] } } }));
    expect(second.defaultAction).toEqual(forward([tgs[2], 1]));
    const byArnRule = await lattice.send(new CreateRuleCommand({ serviceIdentifier: service.arn, listenerIdentifier: second.arn, name: 'by-arn', priority: 1, match: MATCH, action: forward([tgs[2], 1]) }));
    expect(byArnRule.arn).toBe(`${second.arn}/rule/${byArnRule.id}`);
    expect((await lattice.send(new GetServiceCommand({ serviceIdentifier: service.arn }))).id).toBe(service.id);
    expect((await lattice.send(new GetTargetGroupCommand({ targetGroupIdentifier: tgs[1].arn }))).id).toBe(tgs[1].id);
    expect((await lattice.send(new GetListenerCommand(byArn))).id).toBe(listener.id);
    expect((await lattice.send(new ListListenersCommand({ serviceIdentifier: service.arn }))).items!.map((l) => l.id)).toEqual([listener.id, second.id]);
    expect(await lattice.send(new GetRuleCommand({ ...byArn, ruleIdentifier: rule.arn })))
      .toEqual({ ...await getRule(), $metadata: expect.anything() });
    expect((await lattice.send(new ListRulesCommand(byArn))).items!.length).toBe(2);
  });
});

describe('rules and listeners', () => {
  test('GetRule returns the rule in AWS\'s shape, target groups given by ARN kept by ID', async () => {
    const { $metadata, ...got } = await getRule();
    expect(got).toEqual({
      arn: rule.arn, id: rule.id, name: 'canary', isDefault: false, priority: 10, match: MATCH,
      action: forward([tgs[0], 90], [tgs[1], 10]), createdAt: expect.any(Date), lastUpdatedAt: expect.any(Date),
    });
  });

  test('a listener has its default rule: ListRules shows it (isDefault, no priority), GetRule gives the default action', async () => {
    const { items } = await lattice.send(new ListRulesCommand(ids()));
    const defaults = items!.filter((r) => r.isDefault);
    expect(defaults).toHaveLength(1);
    expect(defaults[0]).toEqual({ arn: expect.stringMatching(patterns.RuleArn), id: expect.stringMatching(patterns.RuleId), name: 'default', isDefault: true, createdAt: expect.any(Date), lastUpdatedAt: expect.any(Date) });
    expect(items!.find((r) => !r.isDefault)).toEqual({ arn: rule.arn, id: rule.id, name: 'canary', isDefault: false, priority: 10, createdAt: expect.any(Date), lastUpdatedAt: expect.any(Date) });
    const got = await getRule(defaults[0].id);
    expect(got.action).toEqual((await lattice.send(new GetListenerCommand(ids()))).defaultAction);
    expect(got.isDefault).toBe(true);
  });

  test('UpdateRule is a PATCH: a given action replaces the whole list, match and priority stay, lastUpdatedAt moves', async () => {
    const before = await getRule();
    await later();
    const out = await lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.arn, action: forward([tgs[1], 999], [tgs[2], 0]) }));
    expect(out).toMatchObject({ id: rule.id, arn: rule.arn, isDefault: false, priority: 10, match: MATCH, action: forward([tgs[1], 999], [tgs[2], 0]) });
    const after = await getRule();
    expect(after.action).toEqual(forward([tgs[1], 999], [tgs[2], 0]));
    expect([after.match, after.priority, after.createdAt]).toEqual([MATCH, 10, before.createdAt]);
    expect(after.lastUpdatedAt!.getTime()).toBeGreaterThan(before.lastUpdatedAt!.getTime());

    await later();
    await lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, priority: 11 }));
    const moved = await getRule();
    expect([moved.priority, moved.action, moved.match]).toEqual([11, after.action, MATCH]);
    expect(moved.lastUpdatedAt!.getTime()).toBeGreaterThan(after.lastUpdatedAt!.getTime());
  });

  test('BatchUpdateRule applies each update, and reports an unknown rule as unsuccessful', async () => {
    const before = await getRule();
    await later();
    const missing = 'rule-0123456789abcdef0';
    const out = await lattice.send(new BatchUpdateRuleCommand({ ...ids(), rules: [
      { ruleIdentifier: rule.id, action: forward([tgs[0], 50], [tgs[1], 50]) },
      { ruleIdentifier: missing, priority: 30 },
    ] }));
    expect(out.successful).toEqual([{ arn: rule.arn, id: rule.id, name: 'canary', isDefault: false, priority: before.priority, match: MATCH, action: forward([tgs[0], 50], [tgs[1], 50]) }]);
    expect(out.unsuccessful).toEqual([{ ruleIdentifier: missing, failureCode: 'ResourceNotFoundException', failureMessage: expect.any(String) }]);
    const after = await getRule();
    expect(after.action).toEqual(forward([tgs[0], 50], [tgs[1], 50]));
    expect(after.lastUpdatedAt!.getTime()).toBeGreaterThan(before.lastUpdatedAt!.getTime());
  });

  test('UpdateListener replaces the default action whole; GetListener and the default rule show it; lastUpdatedAt moves', async () => {
    const before = await lattice.send(new GetListenerCommand(ids()));
    await later();
    const out = await lattice.send(new UpdateListenerCommand({ serviceIdentifier: service.arn, listenerIdentifier: listener.arn, defaultAction: forward([tgs[1], 3], [tgs[2], 1]) }));
    const { $metadata, ...shape } = out;
    expect(shape).toEqual({ arn: listener.arn, id: listener.id, name: 'web', protocol: 'HTTP', port: 80, serviceArn: service.arn, serviceId: service.id, defaultAction: forward([tgs[1], 3], [tgs[2], 1]) });
    const after = await lattice.send(new GetListenerCommand(ids()));
    expect(after.defaultAction).toEqual(forward([tgs[1], 3], [tgs[2], 1]));
    expect(after.createdAt).toEqual(before.createdAt);
    expect(after.lastUpdatedAt!.getTime()).toBeGreaterThan(before.lastUpdatedAt!.getTime());
    const defaultRule = (await lattice.send(new ListRulesCommand(ids()))).items!.find((r) => r.isDefault)!;
    expect((await getRule(defaultRule.id)).action).toEqual(after.defaultAction);
  });
});

describe('AWS\'s validation and errors (and nothing changes)', () => {
  const tooMany = () => ({ forward: { targetGroups: Array.from({ length: 11 }, () => ({ targetGroupIdentifier: tgs[0].id, weight: 1 })) } });
  const cases: [string, () => Promise<unknown>, string, number][] = [
    ['UpdateRule, a weight of 1000', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, action: forward([tgs[0], 1000], [tgs[1], 0]) })), 'ValidationException', 400],
    ['UpdateRule, a weight of -1', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, action: forward([tgs[0], -1], [tgs[1], 1]) })), 'ValidationException', 400],
    ['UpdateRule, no target group', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, action: { forward: { targetGroups: [] } } })), 'ValidationException', 400],
    ['UpdateRule, 11 target groups', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, action: tooMany() })), 'ValidationException', 400],
    ['UpdateRule, priority 2001', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, priority: 2001 })), 'ValidationException', 400],
    ['UpdateRule on the default rule', async () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: (await lattice.send(new ListRulesCommand(ids()))).items!.find((r) => r.isDefault)!.id, action: forward([tgs[0], 1]) })), 'ValidationException', 400],
    ['UpdateListener without a defaultAction', () => lattice.send(new UpdateListenerCommand({ ...ids() } as never)), 'ValidationException', 400],
    ['UpdateListener, 11 target groups', () => lattice.send(new UpdateListenerCommand({ ...ids(), defaultAction: tooMany() })), 'ValidationException', 400],
    ['CreateRule, a weight of 1000', () => lattice.send(new CreateRuleCommand({ ...ids(), name: 'heavy', priority: 40, match: MATCH, action: forward([tgs[0], 1000]) })), 'ValidationException', 400],
    ['GetRule, a malformed identifier', () => getRule('rule-Not_An-Id'), 'ValidationException', 400],
    ['CreateRule, a priority taken', async () => {
      await lattice.send(new CreateRuleCommand({ ...ids(), name: unique('first'), priority: 80, match: MATCH, action: forward([tgs[0], 1]) }));
      return lattice.send(new CreateRuleCommand({ ...ids(), name: 'twin', priority: 80, match: MATCH, action: forward([tgs[0], 1]) }));
    }, 'ConflictException', 409],
    ['UpdateRule, a priority taken', async () => {
      const other = await lattice.send(new CreateRuleCommand({ ...ids(), name: unique('second'), priority: 50, match: MATCH, action: forward([tgs[0], 1]) }));
      return lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: other.id, priority: (await getRule()).priority }));
    }, 'ConflictException', 409],
    ['GetService, an unknown service', () => lattice.send(new GetServiceCommand({ serviceIdentifier: 'svc-0123456789abcdef0' })), 'ResourceNotFoundException', 404],
    ['GetListener, an unknown listener', () => lattice.send(new GetListenerCommand({ serviceIdentifier: service.id, listenerIdentifier: 'listener-0123456789abcdef0' })), 'ResourceNotFoundException', 404],
    ['GetRule, an unknown rule', () => getRule('rule-0123456789abcdef0'), 'ResourceNotFoundException', 404],
    ['GetRule, an unknown service', () => lattice.send(new GetRuleCommand({ ...ids(), serviceIdentifier: 'svc-0123456789abcdef0', ruleIdentifier: rule.id })), 'ResourceNotFoundException', 404],
    ['GetTargetGroup, an unknown target group', () => lattice.send(new GetTargetGroupCommand({ targetGroupIdentifier: 'tg-0123456789abcdef0' })), 'ResourceNotFoundException', 404],
    ['CreateRule on an unknown listener', () => lattice.send(new CreateRuleCommand({ serviceIdentifier: service.id, listenerIdentifier: 'listener-0123456789abcdef0', name: 'lost', priority: 60, match: MATCH, action: forward([tgs[0], 1]) })), 'ResourceNotFoundException', 404],
    ['UpdateRule, an unknown rule', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: 'rule-0123456789abcdef0', priority: 70 })), 'ResourceNotFoundException', 404],
    ['UpdateRule to an unknown target group', () => lattice.send(new UpdateRuleCommand({ ...ids(), ruleIdentifier: rule.id, action: { forward: { targetGroups: [{ targetGroupIdentifier: 'tg-0123456789abcdef0', weight: 1 }] } } })), 'ResourceNotFoundException', 404],
    ['ListRules, an unknown listener', () => lattice.send(new ListRulesCommand({ serviceIdentifier: service.id, listenerIdentifier: 'listener-0123456789abcdef0' })), 'ResourceNotFoundException', 404],
    ['UpdateListener, an unknown listener', () => lattice.send(new UpdateListenerCommand({ serviceIdentifier: service.id, listenerIdentifier: 'listener-0123456789abcdef0', defaultAction: forward([tgs[0], 1]) })), 'ResourceNotFoundException', 404],
  ];
  test.each(cases.map(([label, call, name, status]) => ({ label, call, name, status })))('$label: $name $status', async ({ call, name, status }) => {
    const state = async () => ({
      rules: await Promise.all((await lattice.send(new ListRulesCommand(ids()))).items!.filter((r) => r.name !== 'twin').map((r) => getRule(r.id).then(({ $metadata, ...r }) => r))),
      listener: await lattice.send(new GetListenerCommand(ids())).then(({ $metadata, ...l }) => l),
    });
    // (Read as a whole after the error check, so that on moto without the launcher's patch,
    // which has no ListRules or GetRule, the check above still shows what moto answered.)
    const before = await state().catch((error: Error) => error);
    expect(await failure(call())).toEqual({ name, status });
    if (before instanceof Error) throw before;
    const after = await state();
    // A rule the case created for itself may be new; every rule there before is unchanged.
    expect(after.listener).toEqual(before.listener);
    expect(after.rules.filter((r) => before.rules.some((b) => b.id === r.id))).toEqual(before.rules);
  });
});

describe('faults in Lattice\'s protocol, from the local front', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    // Its own local AWS, so its faults reach no other test file.
    aws = await startLocalAws({ quiet: true, faults: { rate: 1, kinds: ['throttle'], services: ['vpc-lattice'] } });
  });
  afterAll(() => aws?.stop());

  test('a throttled call is ThrottlingException, 429; an injected 5xx is InternalServerException, 500', async () => {
    const client = new VPCLatticeClient({ endpoint: aws.endpoint, region: aws.region, maxAttempts: 1, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    expect(await failure(client.send(new GetRuleCommand({ serviceIdentifier: service.id, listenerIdentifier: listener.id, ruleIdentifier: rule.id }))))
      .toEqual({ name: 'ThrottlingException', status: 429 });
    await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: JSON.stringify({ rate: 1, kinds: ['error'], services: ['vpc-lattice'] }) });
    expect(await failure(client.send(new ListRulesCommand({ serviceIdentifier: service.id, listenerIdentifier: listener.id }))))
      .toEqual({ name: 'InternalServerException', status: 500 });
    const injected = (await (await fetch(`${aws.endpoint}/__local/faults`)).json() as { injected: Record<string, number> }).injected;
    expect(injected).toEqual({ 'vpc-lattice:error': 1 });
    await fetch(`${aws.endpoint}/__local/faults`, { method: 'POST', body: '' });
    // Faults off: the call reaches this local AWS's moto (which does not know the rule).
    expect(await failure(client.send(new GetRuleCommand({ serviceIdentifier: service.id, listenerIdentifier: listener.id, ruleIdentifier: rule.id }))))
      .toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });
});
