// The VPC Lattice client, created once per Lambda environment (module scope). One module per
// client, so a bundle carries only the SDK it uses. Region, credentials and AWS_ENDPOINT_URL
// (the local AWS) come from the environment. The SDK retries throttling and 5xx itself
// (standard mode: exponential backoff with full jitter) before an error reaches us.
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';

export const lattice = new VPCLatticeClient({ maxAttempts: 4 });
