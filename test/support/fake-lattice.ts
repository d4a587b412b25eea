// An in-memory VPC Lattice (and a lock table) for unit tests: a `send` over Maps that answers the
// calls the Lattice router makes as AWS documents them, with Lattice's own error names:
// identifiers as IDs or ARNs interchangeably, GetRule/GetListener with `arn` and `lastUpdatedAt`,
// UpdateRule as a PATCH (only the fields sent change; `match` and `priority` stay), UpdateListener
// with `defaultAction` required and replaced whole, 1-10 target groups of weight 0-999
// (ValidationException), unknown services, listeners, rules and target groups
// (ResourceNotFoundException naming the resource), ListTagsForResource by ARN (tags set with
// `tag`, as the AWS Gateway API Controller's would be). The router contract runs on it
// (test/unit/lattice-contract.test.ts); the local AWS runs it on the real protocol.
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ResourceNotFoundException, ValidationException, type RuleAction, type VPCLatticeClient,
} from '@aws-sdk/client-vpc-lattice';
import type { LockTable } from '../../functions/commons/lock.ts';
import type { Target } from '../../functions/commons/weights.ts';

const PREFIX = 'arn:aws:vpc-lattice:us-east-1:123456789012';
let counter = 0;
/** A Lattice-shaped ID: "tg-" and 17 lowercase letters and digits, unique in this process. */
export const latticeId = (kind: 'svc' | 'listener' | 'rule' | 'tg'): string => `${kind}-${(counter++).toString(36).padStart(17, '0')}`;

interface Listener { service: string; id: string; defaultAction: RuleAction; lastUpdatedAt: Date; writes: number }
interface Rule { service: string; listener: string; id: string; action: RuleAction; match: unknown; priority: number; lastUpdatedAt: Date; writes: number }

const notFound = (resourceType: string, resourceId: string) =>
  new ResourceNotFoundException({ message: `${resourceType} ${resourceId} not found`, resourceId, resourceType, $metadata: { httpStatusCode: 404 } });
const invalid = (message: string) => new ValidationException({ message, reason: 'fieldValidationFailed', $metadata: { httpStatusCode: 400 } });
const idOf = (identifier: string) => identifier.slice(identifier.lastIndexOf('/') + 1);
const forward = (targets: readonly Target[]): RuleAction => ({ forward: { targetGroups: targets.map((t) => ({ targetGroupIdentifier: t.id, weight: t.weight })) } });

export class FakeLattice {
  readonly prefix = PREFIX;
  readonly listeners = new Map<string, Listener>();
  readonly rules = new Map<string, Rule>();
  readonly targetGroups = new Set<string>();
  /** Tags by resource ID (service, listener or rule), as ListTagsForResource answers them. */
  readonly tags = new Map<string, Record<string, string>>();
  /** Every call, as [command name, input]. */
  readonly calls: [string, Record<string, any>][] = [];
  private clock = Date.parse('2026-11-27T00:00:00Z');

  /** Target groups the tests name by letter ("s", "c", "x"...): their Lattice IDs, created once. */
  private readonly byName = new Map<string, string>();
  tg(name: string): string {
    if (!this.byName.has(name)) {
      const id = latticeId('tg');
      this.byName.set(name, id);
      this.targetGroups.add(id);
    }
    return this.byName.get(name)!;
  }
  nameOf(id: string): string {
    return [...this.byName].find(([, v]) => v === id)?.[0] ?? id;
  }

  private now(): Date {
    this.clock += 1000;
    return new Date(this.clock);
  }

  /** A service with one listener whose default action forwards to `defaults`, and one rule forwarding to `targets`. */
  create(targets: readonly Target[], defaults: readonly Target[] = targets): { service: string; listener: string; rule: string } {
    const service = latticeId('svc');
    const listener = latticeId('listener');
    const rule = latticeId('rule');
    this.listeners.set(listener, { service, id: listener, defaultAction: forward(defaults), lastUpdatedAt: this.now(), writes: 0 });
    this.rules.set(rule, { service, listener, id: rule, action: forward(targets), match: { httpMatch: { pathMatch: { match: { prefix: '/' } } } }, priority: 10, lastUpdatedAt: this.now(), writes: 0 });
    return { service, listener, rule };
  }

  listenerArn = (l: { service: string; id: string }) => `${PREFIX}:service/${l.service}/listener/${l.id}`;
  ruleArn = (r: { service: string; listener: string; id: string }) => `${PREFIX}:service/${r.service}/listener/${r.listener}/rule/${r.id}`;

  /** Tags a service, listener or rule (by ID), as TagResource would. */
  tag(id: string, tags: Record<string, string>): void {
    this.tags.set(id, { ...this.tags.get(id), ...tags });
  }

  /** The resource an ARN names: a service, listener or rule this fake holds. */
  private taggable(arn: string): string {
    const m = /^arn:aws:vpc-lattice:us-east-1:123456789012:service\/([^/]+)(?:\/listener\/([^/]+)(?:\/rule\/([^/]+))?)?$/.exec(arn);
    if (!m) throw invalid(`resourceArn ${arn} is not a VPC Lattice ARN`);
    const [, service, listener, rule] = m;
    if (rule) return this.ruleFor({ serviceIdentifier: service, listenerIdentifier: listener, ruleIdentifier: rule }).id;
    if (listener) return this.listenerFor({ serviceIdentifier: service, listenerIdentifier: listener }).id;
    if (![...this.listeners.values()].some((l) => l.service === service)) throw notFound('SERVICE', arn);
    return service;
  }

  /** Someone else sets an action's targets (as a person with the console would). */
  setByHand(where: { listener: string; rule?: string }, targets: readonly Target[]): void {
    const action = forward(targets);
    if (where.rule) Object.assign(this.rules.get(where.rule)!, { action, lastUpdatedAt: this.now() });
    else Object.assign(this.listeners.get(where.listener)!, { defaultAction: action, lastUpdatedAt: this.now() });
  }

  private listenerFor(input: Record<string, any>): Listener {
    const service = idOf(String(input.serviceIdentifier ?? ''));
    const listener = this.listeners.get(idOf(String(input.listenerIdentifier ?? '')));
    if (!listener || listener.service !== service) throw notFound('LISTENER', String(input.listenerIdentifier));
    return listener;
  }

  private ruleFor(input: Record<string, any>): Rule {
    const listener = this.listenerFor(input);
    const rule = this.rules.get(idOf(String(input.ruleIdentifier ?? '')));
    if (!rule || rule.listener !== listener.id) throw notFound('RULE', String(input.ruleIdentifier));
    return rule;
  }

  private validAction(action: RuleAction | undefined): RuleAction {
    if (!action) throw invalid('action is required');
    if ('fixedResponse' in action && action.fixedResponse) return { fixedResponse: { statusCode: action.fixedResponse.statusCode } };
    const groups = action.forward?.targetGroups;
    if (!groups || groups.length < 1 || groups.length > 10) throw invalid('forward.targetGroups must hold 1 to 10 target groups');
    for (const g of groups) {
      if (g.weight !== undefined && (!Number.isInteger(g.weight) || g.weight < 0 || g.weight > 999)) throw invalid(`weight ${g.weight} is outside 0-999`);
      if (!this.targetGroups.has(idOf(g.targetGroupIdentifier ?? ''))) throw notFound('TARGET_GROUP', String(g.targetGroupIdentifier));
    }
    return { forward: { targetGroups: groups.map((g) => ({ targetGroupIdentifier: idOf(g.targetGroupIdentifier!), weight: g.weight })) } };
  }

  async send(command: { constructor: { name: string }; input: Record<string, any> }): Promise<unknown> {
    const name = command.constructor.name;
    const input = structuredClone(command.input);
    this.calls.push([name, input]);
    switch (name) {
      case 'GetRuleCommand': {
        const r = this.ruleFor(input);
        return { arn: this.ruleArn(r), id: r.id, isDefault: false, match: structuredClone(r.match), priority: r.priority, action: structuredClone(r.action), lastUpdatedAt: r.lastUpdatedAt };
      }
      case 'UpdateRuleCommand': {
        const r = this.ruleFor(input);
        // A PATCH: what is not sent stays.
        if (input.action !== undefined) r.action = this.validAction(input.action);
        if (input.match !== undefined) r.match = input.match;
        if (input.priority !== undefined) r.priority = input.priority;
        r.lastUpdatedAt = this.now();
        r.writes++;
        return { arn: this.ruleArn(r), id: r.id, isDefault: false, match: r.match, priority: r.priority, action: structuredClone(r.action) };
      }
      case 'GetListenerCommand': {
        const l = this.listenerFor(input);
        return { arn: this.listenerArn(l), id: l.id, serviceId: l.service, serviceArn: `${PREFIX}:service/${l.service}`, protocol: 'HTTP', port: 80, defaultAction: structuredClone(l.defaultAction), lastUpdatedAt: l.lastUpdatedAt };
      }
      case 'UpdateListenerCommand': {
        const l = this.listenerFor(input);
        l.defaultAction = this.validAction(input.defaultAction);
        l.lastUpdatedAt = this.now();
        l.writes++;
        return { arn: this.listenerArn(l), id: l.id, defaultAction: structuredClone(l.defaultAction) };
      }
      case 'ListTagsForResourceCommand':
        return { tags: { ...this.tags.get(this.taggable(String(input.resourceArn ?? ''))) } };
      default:
        throw invalid(`${name} is not something the fake VPC Lattice answers`);
    }
  }

  /** As a client the router can take. */
  client(): VPCLatticeClient {
    return { send: (command: never) => this.send(command) } as unknown as VPCLatticeClient;
  }
}

/** An in-memory lock table answering lock.ts's conditional PutItem, GetItem and DeleteItem. */
export function fakeLockTable(): LockTable {
  const items = new Map<string, Record<string, any>>();
  const failed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
  const send = async (command: { constructor: { name: string }; input: Record<string, any> }) => {
    const input = command.input;
    switch (command.constructor.name) {
      case 'PutItemCommand': {
        const key = input.Item.route.S;
        const held = items.get(key);
        const me = input.ExpressionAttributeValues[':me'].S;
        const now = Number(input.ExpressionAttributeValues[':now'].N);
        if (held && held.executionId.S !== me && !(Number(held.expiresAt.N) < now)) throw failed();
        items.set(key, structuredClone(input.Item));
        return {};
      }
      case 'GetItemCommand': {
        const item = items.get(input.Key.route.S);
        return item ? { Item: structuredClone(item) } : {};
      }
      case 'DeleteItemCommand': {
        const key = input.Key.route.S;
        if (items.get(key)?.executionId.S !== input.ExpressionAttributeValues[':me'].S) throw failed();
        items.delete(key);
        return {};
      }
      default:
        throw new Error(`the fake lock table does not answer ${command.constructor.name}`);
    }
  };
  return { client: { send } as unknown as DynamoDBClient, tableName: 'fake-locks' };
}
