// Invokes a function's built bundle through the local AWS's Lambda front, the way Step Functions
// (and `aws lambda invoke`) would: POST /2015-03-31/functions/{name}/invocations.
export interface Invocation<T = any> {
  result?: T;
  error?: { errorType: string; errorMessage: string };
}

export function endpoint(): string {
  const url = process.env.MESH_CANARY_ENDPOINT;
  if (!url) throw new Error('MESH_CANARY_ENDPOINT is not set: run integration tests with `jest --selectProjects integration`, whose globalSetup starts the local AWS');
  return url;
}

export async function invoke<T = any>(logicalId: string, event: unknown): Promise<Invocation<T>> {
  const res = await fetch(`${endpoint()}/2015-03-31/functions/${logicalId}/invocations`, { method: 'POST', body: JSON.stringify(event) });
  const body = (await res.json()) as any;
  if (res.status !== 200) throw new Error(`invoke ${logicalId}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return res.headers.get('x-amz-function-error') ? { error: body } : { result: body };
}

/** Invokes and returns the result, or throws an Error named as the function's error. */
export async function call<T = any>(logicalId: string, event: unknown): Promise<T> {
  const out = await invoke<T>(logicalId, event);
  if (out.error) throw Object.assign(new Error(out.error.errorMessage), { name: out.error.errorType });
  return out.result as T;
}
