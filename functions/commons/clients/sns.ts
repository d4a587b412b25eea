// The SNS client, created once per Lambda environment; see clients/appmesh.ts.
import { SNSClient } from '@aws-sdk/client-sns';

export const sns = new SNSClient({ maxAttempts: 4 });
