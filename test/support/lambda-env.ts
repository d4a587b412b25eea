// The environment Lambda and template.yaml give every function (Globals.Function.Environment),
// set before any handler module (and its module-scope logger and clients) loads.
process.env.POWERTOOLS_SERVICE_NAME = 'mesh-canary';
// Quiet by default so a failing test is easy to find; TEST_LOG_LEVEL=INFO shows the handlers' logs.
process.env.POWERTOOLS_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'SILENT';
process.env.LOCK_TABLE_NAME = 'mesh-canary-LockTable';
process.env.WRITER_TIMEOUT_SECONDS = '35';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_LAMBDA_FUNCTION_NAME ??= 'mesh-canary-test';
