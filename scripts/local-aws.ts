// Runs the project's local AWS in the foreground until Ctrl-C.
//   node scripts/local-aws.ts [--region REGION] [--quiet] [--no-build]
import { parseArgs } from 'node:util';
import { startLocalAws } from '../local/aws.ts';
import { buildFunctions, defaultOutDir } from './build.ts';

const usage = `Usage: node scripts/local-aws.ts [--region REGION] [--quiet] [--no-build]

Builds the Lambda bundles into dist/ (scripts/build.ts), then starts the local AWS:
moto 5.2.1 (patched by local/moto_launcher.py) behind a Lambda front (local/front.ts) that
runs the bundles for Lambda Invoke, including from Step Functions Lambda tasks, and passes
every other AWS call to moto. Prints the endpoint and the environment to point the AWS CLI
and SDKs at it, then runs until Ctrl-C (or SIGTERM) and stops both processes.

Options:
  --region REGION  region of the local resources (default: us-east-1)
  --quiet          write the handlers' logs to .local-aws/lambda.log instead of this terminal
  --no-build       use the bundles already in dist/
  -h, --help       show this help

moto's own request log is in .local-aws/moto.log. State lives in memory: it is gone when this
stops. Python: MESH_CANARY_PYTHON, else .venv/bin/python, else python3, with moto[server]==5.2.1.`;

const { values } = parseArgs({
  options: {
    region: { type: 'string', default: 'us-east-1' },
    quiet: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

if (!values['no-build']) {
  const built = await buildFunctions();
  console.log(`Built ${built.length} functions into ${defaultOutDir}`);
}
const started = performance.now();
const aws = await startLocalAws({ region: values.region, quiet: values.quiet });
console.log(`Local AWS ready in ${((performance.now() - started) / 1000).toFixed(1)} s
  endpoint  ${aws.endpoint}   (moto itself: ${aws.motoEndpoint})
  region    ${aws.region}, account ${aws.accountId}
  functions ${aws.functionArn('<LogicalId>')}

Paste into another shell:
${Object.entries(aws.env).map(([key, value]) => `export ${key}=${value}`).join('\n')}

Ctrl-C to stop.`);

const keepAlive = setInterval(() => {}, 1 << 30);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    console.log('\nStopping the local AWS...');
    clearInterval(keepAlive);
    await aws.stop();
    process.exit(0);
  });
}
