// The Lambda client check-health invokes hooks with, created once per Lambda environment; see
// clients/appmesh.ts. The SDK retries throttling (TooManyRequestsException) and 5xx itself, within
// each hook's timeoutSeconds (hooks.ts stops waiting then).
import { LambdaClient } from '@aws-sdk/client-lambda';

export const lambda = new LambdaClient({ maxAttempts: 4 });
