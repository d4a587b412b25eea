// A VPC Lattice route on the local AWS for the CLI's and events' tests: a service, a listener, a
// listener rule forwarding all traffic to a stable target group, and a canary target group. Each
// call makes its own (unique names), so tests can run concurrently.
import { CreateListenerCommand, CreateRuleCommand, CreateServiceCommand, CreateTargetGroupCommand, GetRuleCommand, VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { unique } from './executions.ts';

export interface LocalLatticeRoute {
  service: string;
  listener: string;
  rule: string;
  stable: string;
  canary: string;
  stableName: string;
  canaryName: string;
}

export async function latticeRoute(lattice: VPCLatticeClient, prefix = 'product'): Promise<LocalLatticeRoute> {
  const tg = async (name: string) => {
    const out = await lattice.send(new CreateTargetGroupCommand({ name, type: 'IP', config: { port: 80, protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' } }));
    return out.id!;
  };
  const [stableName, canaryName] = [unique(`${prefix}-v1`), unique(`${prefix}-v15`)];
  const [stable, canary] = [await tg(stableName), await tg(canaryName)];
  const service = (await lattice.send(new CreateServiceCommand({ name: unique(prefix) }))).id!;
  const forwardStable = { forward: { targetGroups: [{ targetGroupIdentifier: stable, weight: 100 }] } };
  const listener = (await lattice.send(new CreateListenerCommand({ serviceIdentifier: service, name: 'web', protocol: 'HTTP', port: 80, defaultAction: forwardStable }))).id!;
  const rule = (await lattice.send(new CreateRuleCommand({
    serviceIdentifier: service, listenerIdentifier: listener, name: 'canary', priority: 10,
    match: { httpMatch: { pathMatch: { match: { prefix: '/' } } } }, action: forwardStable,
  }))).id!;
  return { service, listener, rule, stable, canary, stableName, canaryName };
}

/** The rule's forward target groups now, as {id, weight}. */
export async function latticeRuleTargets(lattice: VPCLatticeClient, r: LocalLatticeRoute): Promise<{ id?: string; weight?: number }[]> {
  const out = await lattice.send(new GetRuleCommand({ serviceIdentifier: r.service, listenerIdentifier: r.listener, ruleIdentifier: r.rule }));
  return out.action!.forward!.targetGroups!.map((g) => ({ id: g.targetGroupIdentifier, weight: g.weight }));
}
