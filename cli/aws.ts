// AWS clients for the CLI, configured the way the AWS CLI is: --region, --profile,
// --endpoint-url. Clients are made on first use, so a command that fails on its arguments
// never touches credentials or the network. Their reads ride out transient errors
// (throttling, 5xx, a dropped connection) for a bounded time: see cli/retry.ts.
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { newRouterClients, type RouterClients } from '../functions/commons/routers/index.ts';
import { samConfigHere } from './project.ts';
import { retryReads } from './retry.ts';

export interface AwsOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
}

export interface Aws {
  readonly region: string | undefined;
  readonly endpointUrl: string | undefined;
  sfn(): SFNClient;
  /** The traffic routers' clients (App Mesh...), each made on first use. */
  routers(): RouterClients;
  cloudFormation(): CloudFormationClient;
  lambda(): LambdaClient;
}

/**
 * The region: --region, else the one in an ARN the user gave (it can only be found there),
 * else AWS_REGION / AWS_DEFAULT_REGION, else the region of samconfig.toml in the current directory;
 * undefined lets the SDK read the profile's.
 */
export function resolveRegion(options: AwsOptions, arnRegion?: string, env: Record<string, string | undefined> = process.env): string | undefined {
  return options.region ?? arnRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? samConfigHere().region;
}

/** The local AWS (moto) accepts any credentials; these are the ones its README exports. */
const LOCAL_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * An endpoint on this machine with no credentials configured in the environment: use dummy
 * ones, so `--endpoint-url http://127.0.0.1:PORT` works from a fresh shell. Credentials in the
 * environment or a chosen profile still win.
 */
export function localWithoutCredentials(options: AwsOptions, env: Record<string, string | undefined> = process.env): boolean {
  if (!options.endpointUrl || options.profile || env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID) return false;
  const host = URL.canParse(options.endpointUrl) ? new URL(options.endpointUrl).hostname : undefined; // URL.parse: Node >= 20.18
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

export function awsClients(options: AwsOptions, arnRegion?: string): Aws {
  // The SDK's credential and region chains read AWS_PROFILE when a client first needs them.
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  const region = resolveRegion(options, arnRegion);
  const config = {
    region,
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    ...(localWithoutCredentials(options) ? { credentials: LOCAL_CREDENTIALS } : {}),
  };
  const once = <T>(make: () => T) => {
    let client: T | undefined;
    return () => (client ??= make());
  };
  const reading = <T extends { send: (...args: any[]) => Promise<any> }>(client: T) => {
    retryReads(client);
    return client;
  };
  return {
    region,
    endpointUrl: options.endpointUrl,
    sfn: once(() => reading(new SFNClient(config))),
    routers: once(() => newRouterClients(config, reading)),
    cloudFormation: once(() => reading(new CloudFormationClient(config))),
    // Its one call is Invoke (the rollback in abort): a write, never repeated here.
    lambda: once(() => new LambdaClient(config)),
  };
}
