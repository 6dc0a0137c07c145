import { startDynamoDbLocal } from '../../lambdas/local/dynamodb-local';

/** One DynamoDB Local for the whole run, on a free loopback port; each suite makes its own tables. */
export default async function globalSetup(): Promise<void> {
  const ddb = await startDynamoDbLocal();
  process.env.TEST_DYNAMODB_ENDPOINT = ddb.endpoint;
  (globalThis as { __dynamoDbLocal?: typeof ddb }).__dynamoDbLocal = ddb;
}
