// A local AWS of a test file's own (its faults, events or environment must not reach other files),
// with the stack deployed and clients that go straight to moto: the test's own calls meet no
// injected fault, only the functions' calls through the front do.
import { AppMeshClient } from '@aws-sdk/client-app-mesh';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../local/aws.ts';
import { deployStack, type LocalStack } from '../../local/stack.ts';
import type { RouteClients } from './release.ts';

export type DirectClients = RouteClients & { cloudWatch: CloudWatchClient; sfn: SFNClient; dynamo: DynamoDBClient };

export interface OwnAws {
  aws: LocalAws;
  stack: LocalStack;
  direct: DirectClients;
}

/**
 * `env`: variables the front (so every function) inherits, set in this process only while the local
 * AWS starts (a guard told a short PREPARE_TIMEOUT_SECONDS, say).
 */
export async function ownLocalAws(stackName: string, options: LocalAwsOptions & { env?: Record<string, string> }): Promise<OwnAws> {
  const { env = {}, ...rest } = options;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  let aws: LocalAws;
  try {
    aws = await startLocalAws({ quiet: true, ...rest });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  try {
    const stack = await deployStack(aws, stackName);
    const config = { endpoint: aws.motoEndpoint, region: aws.region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
    return {
      aws, stack,
      direct: {
        appMesh: new AppMeshClient(config), lattice: new VPCLatticeClient(config), cloudWatch: new CloudWatchClient(config),
        sfn: new SFNClient(config), dynamo: new DynamoDBClient(config),
      },
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}
