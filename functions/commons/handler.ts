// What every function shares: the Powertools logger, middy with the Lambda context, and
// correlation keys (execution, route) on every log line. The event is never logged whole:
// an approval step's event carries a task token, which must not reach the logs.
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { MeshCanaryError } from './errors.ts';
import { routeLabelOf } from './routers/index.ts';

export const logger = new Logger();

interface Correlated {
  executionId?: string;
  input?: { route?: Record<string, unknown>; routes?: unknown };
  deployment?: { executionId?: string; route?: Record<string, unknown>; routes?: unknown };
}

function correlationKeys(event: unknown): Record<string, string> {
  const e = (event ?? {}) as Correlated;
  const execution = e.deployment?.executionId ?? e.executionId;
  const route = e.deployment?.route ?? e.input?.route;
  const keys: Record<string, string> = {};
  if (typeof execution === 'string') keys.execution = execution;
  // A release's routes, all named (a bounded list: at most MAX_ROUTES).
  const routes = e.deployment?.routes ?? e.input?.routes;
  const label = Array.isArray(routes) ? routes.map((r) => routeLabelOf((r as { route?: unknown })?.route)).filter(Boolean).join(', ') : routeLabelOf(route);
  if (label) keys.route = label;
  return keys;
}

/** Wraps a plain async function as a Lambda handler. Errors keep their name (Step Functions matches on it). */
export function lambdaHandler<E, R>(name: string, fn: (event: E, context: Context) => Promise<R>) {
  return middy(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.appendKeys({ step: name, ...correlationKeys(request.event) });
      },
      onError: (request) => {
        const err = request.error as Error;
        const expected = err instanceof MeshCanaryError;
        logger[expected ? 'warn' : 'error'](`${name} failed with ${err.name}`, {
          errorName: err.name,
          ...(expected ? { errorMessage: err.message } : { error: err }),
        });
      },
    });
}
