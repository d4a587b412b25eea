// The DynamoDB client (the deployment lock table), created once per Lambda environment; see clients/appmesh.ts.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const dynamoDb = new DynamoDBClient({ maxAttempts: 4 });
