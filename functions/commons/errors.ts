// Named errors. Each `name` is a literal (it survives minification) and is what a Step
// Functions Retry/Catch matches: functions/commons/states.ts lists the ones the machines use,
// and test/unit/statemachines.test.ts checks them against these classes and the definitions.

export class MeshCanaryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** How many problems an InvalidInput message lists: the message becomes an execution's cause, which must stay readable (and small). */
export const MAX_LISTED_PROBLEMS = 20;

/** The event or deployment input is malformed. Nothing was changed. */
export class InvalidInput extends MeshCanaryError {
  override name = 'InvalidInput';
  readonly problems: string[];
  constructor(problems: string[]) {
    const more = problems.length - MAX_LISTED_PROBLEMS;
    super(`Invalid input: ${problems.slice(0, MAX_LISTED_PROBLEMS).join('; ')}${more > 0 ? `; and ${more} more problem${more > 1 ? 's' : ''}` : ''}`);
    this.problems = problems;
  }
}

/** The mesh, virtual router or route does not exist (or is not visible to this account). */
export class RouteNotFound extends MeshCanaryError {
  override name = 'RouteNotFound';
}

/** A virtual node named by the deployment does not exist in the mesh. */
export class VirtualNodeNotFound extends MeshCanaryError {
  override name = 'VirtualNodeNotFound';
}

/** A VPC Lattice target group named by the deployment does not exist (Lattice's ResourceNotFoundException for it). */
export class TargetGroupNotFound extends MeshCanaryError {
  override name = 'TargetGroupNotFound';
}

/** The stable virtual node is not one of the route's weighted targets. */
export class TargetNotInRoute extends MeshCanaryError {
  override name = 'TargetNotInRoute';
}

/** The route cannot be shifted safely as it is (no weighted targets, limits, ambiguity). */
export class UnsupportedRoute extends MeshCanaryError {
  override name = 'UnsupportedRoute';
}

/** A health check names something that does not exist or cannot be evaluated. */
export class HealthCheckMisconfigured extends MeshCanaryError {
  override name = 'HealthCheckMisconfigured';
}

/** Another execution is deploying to this route (one deployment per route). Nothing was changed. */
export class DeploymentInProgress extends MeshCanaryError {
  override name = 'DeploymentInProgress';
}

/** This execution no longer holds its route's lock (it was aborted, or the lock expired): do not write. */
export class DeploymentLockLost extends MeshCanaryError {
  override name = 'DeploymentLockLost';
}

/** Someone else changed the stable or canary weight since this deployment last wrote them. */
export class RouteDriftDetected extends MeshCanaryError {
  override name = 'RouteDriftDetected';
}

/** A restore did not leave the route at its snapshot (something else kept writing): retry, then a person. */
export class RouteNotRestored extends MeshCanaryError {
  override name = 'RouteNotRestored';
}

/**
 * The route is managed by the AWS Gateway API Controller (its `application-networking.k8s.aws/ManagedBy`
 * tag), which reconciles it from a Kubernetes route and can revert other writers: weights are shifted
 * in that route (an HTTPRoute's backendRefs) instead, unless the input opts in. Nothing was changed.
 */
export class ControllerManagedRoute extends MeshCanaryError {
  override name = 'ControllerManagedRoute';
}

/** Throttling, 5xx or a network failure that outlived the SDK's own retries: safe to retry. */
export class TransientAwsError extends MeshCanaryError {
  override name = 'TransientAwsError';
}

/** AWS refused the request (access denied, bad request, conflict): retrying will not help. */
export class AwsRequestRejected extends MeshCanaryError {
  override name = 'AwsRequestRejected';
}

const transientNames = new Set([
  'ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded',
  // DynamoDB: a write that met a transaction in flight on its item (a release taking its locks),
  // and its throttling (the lock table is on-demand, whose throttling AWS names so too).
  'TransactionConflictException', 'TransactionInProgressException', 'ProvisionedThroughputExceededException',
  'ServiceUnavailableException', 'ServiceUnavailable', 'InternalServerErrorException', 'InternalFailure',
  'InternalServiceError', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError',
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN',
]);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/** True when an AWS SDK error is worth retrying later (throttling, 5xx, network). */
export function isTransient(err: unknown): boolean {
  const e = err as SdkLikeError;
  if (!e || typeof e !== 'object') return false;
  if (transientNames.has(e.name ?? '') || transientNames.has(e.code ?? '')) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode ?? 0;
  return status >= 500 || status === 429;
}

/**
 * Turns an AWS SDK error into one of ours. `notFound` decides what a not-found means for the
 * call that failed (a missing route and a missing virtual node are different errors).
 */
export function wrapAwsError(err: unknown, action: string, notFound?: (message: string) => MeshCanaryError): MeshCanaryError {
  if (err instanceof MeshCanaryError) return err;
  const e = err as SdkLikeError;
  const name = e?.name ?? 'Error';
  const message = `${action}: ${name}: ${e?.message ?? String(err)}`;
  if (isTransient(err)) return new TransientAwsError(message, { cause: err });
  // NotFoundException is AWS's name; moto (the local AWS) says RouteNotFound, MeshNotFound...
  if (notFound && (name === 'NotFoundException' || name.endsWith('NotFound'))) return notFound(message);
  return new AwsRequestRejected(message, { cause: err });
}
