// The router contract (test/support/router-contract.ts) run against the VPC Lattice router over
// an in-memory VPC Lattice (test/support/fake-lattice.ts) and lock table: a listener rule, and a
// listener's default action. The same suite runs against App Mesh on the local AWS
// (test/integration/router-contract.test.ts); Lattice joins it there once the local AWS has Lattice.
import type { Target } from '../../functions/commons/weights.ts';
import { FakeLattice, fakeLockTable } from '../support/fake-lattice.ts';
import { routerContract, type RouterHarness } from '../support/router-contract.ts';

const fake = new FakeLattice();
const locks = fakeLockTable();
const account = '123456789012';

function harness(kind: 'rule' | 'default action'): RouterHarness {
  return {
    name: `VPC Lattice ${kind} (in memory)`,
    clients: { lattice: () => fake.client() },
    account,
    lockTableName: () => locks.tableName,
    lock: () => locks,
    id: (name) => fake.tg(name),
    async route(targets: Target[]) {
      const created = fake.create(targets);
      const { service, listener } = created;
      const rule = kind === 'rule' ? created.rule : undefined;
      const groups = () => (rule ? fake.rules.get(rule)!.action : fake.listeners.get(listener)!.defaultAction).forward!.targetGroups!;
      const listenerArn = fake.listenerArn({ service, id: listener });
      const names = { stableTargetGroup: fake.tg('s'), canaryTargetGroup: fake.tg('c') };
      const arnNames = { stableTargetGroup: `${fake.prefix}:targetgroup/${fake.tg('s')}`, canaryTargetGroup: `${fake.prefix}:targetgroup/${fake.tg('c')}` };
      const withRule = (r: Record<string, string>) => (rule ? r : Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'rule')));
      return {
        naming: { route: withRule({ service, listener, rule: rule! }), ...names },
        otherNamings: [
          // Every identifier as an ARN.
          { route: withRule({ service: `${fake.prefix}:service/${service}`, listener: listenerArn, rule: `${listenerArn}/rule/${rule}` }), ...arnNames },
          // IDs and ARNs mixed.
          { route: withRule({ service, listener: listenerArn, rule: rule! }), ...names },
          { route: withRule({ service: `${fake.prefix}:service/${service}`, listener, rule: rule! }), ...arnNames },
        ],
        targets: async () => groups().map((g) => ({ id: g.targetGroupIdentifier!, weight: g.weight! })),
        writes: async () => (rule ? fake.rules.get(rule)!.writes : fake.listeners.get(listener)!.writes),
        setByHand: async (ts) => fake.setByHand({ listener, rule }, ts),
      };
    },
  };
}

routerContract(harness('rule'));
routerContract(harness('default action'));
