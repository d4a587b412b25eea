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

export async function ownLocalAws(stackName: string, options: LocalAwsOptions): Promise<OwnAws> {
  const aws = await startLocalAws({ quiet: true, ...options });
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
