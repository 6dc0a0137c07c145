import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * Every AWS SDK client the runtime uses, built in one place. Handlers build them once at module scope
 * and pass them into adapters, so tests hand in mocks or a local endpoint without patching modules.
 */
export interface AwsClients {
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  eventBridge: EventBridgeClient;
  sns: SNSClient;
  secretsManager: SecretsManagerClient;
  sfn: SFNClient;
}

export interface AwsClientOptions {
  region?: string;
  /** A DynamoDB endpoint other than AWS's, e.g. DynamoDB Local. */
  dynamoDbEndpoint?: string;
  credentials?: DynamoDBClientConfig['credentials'];
}

export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const base = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const dynamodb = new DynamoDBClient({
    ...base,
    ...(options.dynamoDbEndpoint ? { endpoint: options.dynamoDbEndpoint } : {}),
  });
  return {
    dynamodb,
    doc: documentClient(dynamodb),
    eventBridge: new EventBridgeClient(base),
    sns: new SNSClient(base),
    secretsManager: new SecretsManagerClient(base),
    sfn: new SFNClient(base),
  };
}

const sandbox: Partial<AwsClients> = {};

/**
 * The clients of this Lambda sandbox, each created on first use and reused across invocations: one
 * function per client, so that a function's bundle carries only the SDK clients its handler uses.
 */
export const lambdaDynamoDb = (): DynamoDBClient => (sandbox.dynamodb ??= new DynamoDBClient({}));
export const lambdaDocumentClient = (): DynamoDBDocumentClient =>
  (sandbox.doc ??= documentClient(lambdaDynamoDb()));
export const lambdaEventBridge = (): EventBridgeClient => (sandbox.eventBridge ??= new EventBridgeClient({}));
export const lambdaSns = (): SNSClient => (sandbox.sns ??= new SNSClient({}));
export const lambdaSecretsManager = (): SecretsManagerClient =>
  (sandbox.secretsManager ??= new SecretsManagerClient({}));
export const lambdaSfn = (): SFNClient => (sandbox.sfn ??= new SFNClient({}));
