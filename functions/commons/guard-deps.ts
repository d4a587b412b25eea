// The abort guard's dependencies as a deployed function has them: the module-scope clients and the
// timeouts from the environment (checked when the module loads). The guard and the alarm path share them.
import { dynamoDb } from './clients/dynamodb.ts';
import { routerClients } from './clients/routers.ts';
import { sfn } from './clients/sfn.ts';
import { requireEnv, seconds } from './env.ts';
import type { GuardDeps } from './guard.ts';

export function guardDepsFromEnv(): GuardDeps {
  return {
    sfn, routers: routerClients,
    lock: { client: dynamoDb, tableName: requireEnv('LOCK_TABLE_NAME') },
    writerTimeoutMs: seconds('WRITER_TIMEOUT_SECONDS', requireEnv('WRITER_TIMEOUT_SECONDS')),
    // Prepare has the writers' Timeout (the template's Globals), so by default the same wait.
    prepareTimeoutMs: seconds('PREPARE_TIMEOUT_SECONDS', process.env.PREPARE_TIMEOUT_SECONDS || requireEnv('WRITER_TIMEOUT_SECONDS')),
  };
}
