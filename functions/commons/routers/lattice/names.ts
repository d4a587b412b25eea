// Target groups' names, for people: the CLI's `routes` table shows each target group by name and
// ID (a listener rule holds IDs only). One GetTargetGroup per target group (IAM:
// vpc-lattice:GetTargetGroup). Not used by the functions: a deployment works by ID.
import { GetTargetGroupCommand } from '@aws-sdk/client-vpc-lattice';
import { latticeIdOf } from './reference.ts';
import type { LatticeClients } from './index.ts';

/** What naming found: a name per target group ID, and the IDs it could not name with AWS's error name. */
export interface TargetGroupNames {
  names: Record<string, string>;
  unnamed: Record<string, string>;
}

/** The names of these target groups (IDs or ARNs), read concurrently; a failed read leaves that one unnamed, with its error's name. */
export async function latticeTargetGroupNames(clients: LatticeClients, targetGroups: readonly string[]): Promise<TargetGroupNames> {
  const ids = [...new Set(targetGroups.map(latticeIdOf))];
  const out: TargetGroupNames = { names: {}, unnamed: {} };
  await Promise.all(ids.map(async (id) => {
    try {
      const tg = await clients.lattice().send(new GetTargetGroupCommand({ targetGroupIdentifier: id }));
      if (tg.name) out.names[id] = tg.name;
      else out.unnamed[id] = 'NoName';
    } catch (e) {
      out.unnamed[id] = (e as Error).name || 'Error';
    }
  }));
  return out;
}
