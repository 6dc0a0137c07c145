import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lambdaClients } from '../../adapters/aws-clients';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { EventBridgePublisher } from '../../adapters/eventbridge/publisher';
import type { Action } from '../../core/flows';
import { systemClock } from '../../core/ports';
import { loadEnv, nonEmpty } from '../../shared/config';
import { logger, tracer } from '../../shared/observability';
import { TenantRequests } from '../../use-cases/tenant-requests';
import type { ApiEvent, ApiResult } from './http';
import { makeTenantApi, type TenantApi } from './tenant-api';

/** Environment variable naming each action's bus; the CDK construct sets it and grants PutEvents on it. */
export const BUS_ENV: Record<Action, string> = {
  create: 'CREATE_BUS_NAME',
  update: 'UPDATE_BUS_NAME',
  delete: 'DELETE_BUS_NAME',
};

/**
 * Builds the API for one Lambda from its environment. A write function is given only its own action's
 * bus; the read functions get no bus and no idempotency table.
 */
export function apiFromEnv(action?: Action) {
  const env = loadEnv({
    TABLE_NAME: nonEmpty,
    ...(action ? { IDEMPOTENCY_TABLE_NAME: nonEmpty, [BUS_ENV[action]]: nonEmpty } : {}),
    IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
  }) as Record<string, string> & { TABLE_NAME: string; IDEMPOTENCY_TTL_SECONDS: number };
  const clients = lambdaClients();
  tracer.captureAWSv3Client(clients.dynamodb);
  tracer.captureAWSv3Client(clients.eventBridge);
  const busNames = action ? { [action]: env[BUS_ENV[action]] } : {};
  return makeTenantApi({
    clock: systemClock,
    requests: new TenantRequests({
      repository: new DynamoDbTenantRepository(clients.doc, env.TABLE_NAME),
      publisher: new EventBridgePublisher(clients.eventBridge, busNames),
      clock: systemClock,
    }),
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    ...(action
      ? {
          idempotencyStore: new DynamoDBPersistenceLayer({
            tableName: env.IDEMPOTENCY_TABLE_NAME as string,
            awsSdkV3Client: clients.dynamodb,
          }),
        }
      : {}),
  });
}

/** A route as a Lambda handler: the invocation's context on every log line and for idempotency. */
export function lambdaHandler(api: TenantApi, route: Exclude<keyof TenantApi, 'registerContext'>) {
  return (event: ApiEvent, context: Context): Promise<ApiResult> => {
    logger.addContext(context);
    api.registerContext(context);
    return api[route](event);
  };
}
