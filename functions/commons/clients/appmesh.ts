// The App Mesh client, created once per Lambda environment (module scope). One module per
// client, so a bundle carries only the SDK it uses. Region, credentials and AWS_ENDPOINT_URL
// (the local AWS) come from the environment. The SDK retries throttling and 5xx itself
// (standard mode: exponential backoff with full jitter) before an error reaches us.
import { AppMeshClient } from '@aws-sdk/client-app-mesh';

export const appMesh = new AppMeshClient({ maxAttempts: 4 });
