// The Step Functions client (the abort guard reads execution histories); see clients/appmesh.ts.
import { SFNClient } from '@aws-sdk/client-sfn';

export const sfn = new SFNClient({ maxAttempts: 4 });
