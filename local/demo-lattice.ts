// The seed's demo on VPC Lattice: order, product and customer services, each with an HTTP
// listener whose default action and one listener rule send all traffic to the service's v1
// target group, plus the product v1.5 and customer v2 target groups that the seed's canaries
// moved traffic to (and order v2 and product v2 for the sandbox's approval and bad-release
// stories). The Lattice twin of demo-mesh.ts; used by the tests and the sandbox.
import {
  CreateListenerCommand, CreateRuleCommand, CreateServiceCommand, CreateTargetGroupCommand, VPCLatticeClient,
  type RuleAction,
} from '@aws-sdk/client-vpc-lattice';

export const services = ['order', 'product', 'customer'] as const;
export type DemoService = (typeof services)[number];
/** The target groups besides each service's v1, as demo-mesh.ts's canary nodes. */
export const canaryGroups = ['product-v15', 'customer-v2', 'order-v2', 'product-v2'] as const;
export type DemoGroup = `${DemoService}-v1` | (typeof canaryGroups)[number];

/** The match of the demo's rules: every path (the rule then decides, not the default action). */
export const DEMO_MATCH = { httpMatch: { pathMatch: { match: { prefix: '/' }, caseSensitive: false } } };
export const DEMO_PRIORITY = 10;

/** A forward action sending everything to one target group, the weight written out. */
export const allTo = (targetGroupIdentifier: string): RuleAction => ({ forward: { targetGroups: [{ targetGroupIdentifier, weight: 100 }] } });

export interface DemoLatticeService {
  service: string;
  serviceArn: string;
  listener: string;
  listenerArn: string;
  rule: string;
  ruleArn: string;
}

export interface DemoLattice {
  services: Record<DemoService, DemoLatticeService>;
  /** Target group IDs by demo name ("product-v1", "product-v15"...). */
  targetGroups: Record<DemoGroup, string>;
  /** Target group ARNs by demo name. */
  targetGroupArns: Record<DemoGroup, string>;
}

/**
 * Creates the demo on VPC Lattice. Names are prefixed with `prefix` ("demo" gives "demo-product",
 * "demo-product-v1"...) so tests can make fresh copies side by side (names are unique per account).
 */
export async function createDemoLattice(client: VPCLatticeClient, prefix = 'demo', vpcIdentifier = 'vpc-0123456789abcdef0'): Promise<DemoLattice> {
  const targetGroups = {} as Record<DemoGroup, string>;
  const targetGroupArns = {} as Record<DemoGroup, string>;
  for (const name of [...services.map((s) => `${s}-v1` as const), ...canaryGroups]) {
    const tg = await client.send(new CreateTargetGroupCommand({
      name: `${prefix}-${name}`, type: 'IP', config: { port: 8080, protocol: 'HTTP', vpcIdentifier },
    }));
    targetGroups[name] = tg.id!;
    targetGroupArns[name] = tg.arn!;
  }
  const out = {} as Record<DemoService, DemoLatticeService>;
  for (const s of services) {
    const service = await client.send(new CreateServiceCommand({ name: `${prefix}-${s}` }));
    const listener = await client.send(new CreateListenerCommand({
      serviceIdentifier: service.id, name: 'http', protocol: 'HTTP', port: 80, defaultAction: allTo(targetGroups[`${s}-v1`]),
    }));
    const rule = await client.send(new CreateRuleCommand({
      serviceIdentifier: service.id, listenerIdentifier: listener.id, name: `${s}-canary`, priority: DEMO_PRIORITY,
      match: DEMO_MATCH, action: allTo(targetGroups[`${s}-v1`]),
    }));
    out[s] = { service: service.id!, serviceArn: service.arn!, listener: listener.id!, listenerArn: listener.arn!, rule: rule.id!, ruleArn: rule.arn! };
  }
  return { services: out, targetGroups, targetGroupArns };
}
