// The CloudWatch client, created once per Lambda environment; see clients/appmesh.ts.
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export const cloudWatch = new CloudWatchClient({ maxAttempts: 4 });
