import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import {
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaEventBridge,
  lambdaSfn,
  lambdaSns,
} from '../../adapters/aws-clients';
import { DynamoDbRolloutStore } from '../../adapters/dynamodb/rollout-store';
import { StepFunctionsRolloutStarter } from '../../adapters/sfn/rollout-starter';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { EventBridgePublisher } from '../../adapters/eventbridge/publisher';
import { DEFAULT_TFC_ADDRESS } from '../../adapters/tfc/address';
import { buildModuleArchive } from '../../adapters/tfc/module-archive';
import { tfcRunLink } from '../../adapters/tfc/run-link';
import { route, type RouteDefinition, type RouteName } from '../../core/api-routes';
import type { Action } from '../../core/flows';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../core/history';
import {
  moduleVersion,
  MODULE_VERSION_LABEL_PATTERN,
  MODULE_VERSION_LABEL_RULE,
} from '../../core/module-version';
import { systemClock } from '../../core/ports';
import { parseTenantInputs } from '../../core/tenant-inputs';
// The module the trigger uploads (TERRAFORM_MODULE_BUNDLE): its tenant inputs ship inside this bundle.
import awsModuleInputs from '../../../terraform-module/aws/tenant-inputs.json';
import { loadEnv, nonEmpty } from '../../shared/config';
import { logger, tracer } from '../../shared/observability';
import { Rollouts } from '../../use-cases/rollouts';
import { ROLLOUT_ENV } from '../rollouts/contract';
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
 * What every API function reads, besides the tables: where answers link runs to (no permission implied).
 * Exported for the construct that sets them.
 */
export const RUN_LINK_ENV = ['TFC_ADDRESS', 'TFC_ORGANIZATION', 'ENVIRONMENT_NAME'] as const;

/**
 * Builds the API for one route's Lambda from its environment. A write function is given only its own
 * action's bus, the idempotency table and the history table it appends to; read functions get no bus, and
 * only the history route reads the history table.
 */
export function apiFromEnv(name: RouteName) {
  const definition = route(name);
  if (definition.access === 'rollout') return rolloutApiFromEnv(definition);
  const action = definition.access === 'write' ? definition.action : undefined;
  const history = action !== undefined || definition.readsHistory === true;
  const env = loadEnv({
    TABLE_NAME: nonEmpty,
    ...(action ? { IDEMPOTENCY_TABLE_NAME: nonEmpty, [BUS_ENV[action]]: nonEmpty } : {}),
    ...(history ? { HISTORY_TABLE_NAME: nonEmpty } : {}),
    HISTORY_RETENTION_DAYS: z.coerce.number().int().positive().default(DEFAULT_HISTORY_RETENTION_DAYS),
    IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(3600),
    TFC_ADDRESS: z.url().default(DEFAULT_TFC_ADDRESS),
    TFC_ORGANIZATION: nonEmpty,
    ENVIRONMENT_NAME: nonEmpty,
    ...(definition.readsModule
      ? {
          TF_MODULE_DIR: nonEmpty.default('./terraform-module'),
          MODULE_VERSION_LABEL: z
            .string()
            .regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE)
            .optional(),
        }
      : {}),
  }) as Record<string, string> & {
    TABLE_NAME: string;
    IDEMPOTENCY_TTL_SECONDS: number;
    HISTORY_RETENTION_DAYS: number;
    TFC_ADDRESS: string;
    TFC_ORGANIZATION: string;
    ENVIRONMENT_NAME: string;
  };
  const clients = {
    dynamodb: lambdaDynamoDb(),
    doc: lambdaDocumentClient(),
    eventBridge: lambdaEventBridge(),
  };
  tracer.captureAWSv3Client(clients.dynamodb);
  tracer.captureAWSv3Client(clients.eventBridge);
  const busNames = action ? { [action]: env[BUS_ENV[action]] } : {};
  const repository = new DynamoDbTenantRepository(
    clients.doc,
    env.TABLE_NAME,
    history
      ? { tableName: env.HISTORY_TABLE_NAME as string, retentionDays: env.HISTORY_RETENTION_DAYS }
      : undefined,
  );
  return makeTenantApi({
    clock: systemClock,
    tenantInputs: parseTenantInputs(awsModuleInputs, 'terraform-module/aws/tenant-inputs.json'),
    requests: new TenantRequests({
      repository,
      publisher: new EventBridgePublisher(clients.eventBridge, busNames),
      clock: systemClock,
    }),
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    runLink: tfcRunLink({
      address: env.TFC_ADDRESS,
      organization: env.TFC_ORGANIZATION,
      environment: env.ENVIRONMENT_NAME,
    }),
    ...(definition.readsModule
      ? {
          fleet: {
            reader: repository,
            currentModuleVersion: currentModuleVersionOf(
              env.TF_MODULE_DIR as string,
              env.MODULE_VERSION_LABEL,
            ),
          },
        }
      : {}),
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

/**
 * A rollout route's API: the rollouts table, and only what the route's entry says besides (the tenant
 * table to select tenants, the state machine to start, the topic to publish on, the module to name the
 * current version).
 */
function rolloutApiFromEnv(definition: RouteDefinition) {
  const uses = definition.rollouts ?? { table: 'read' as const };
  const env = loadEnv({
    [ROLLOUT_ENV.table]: nonEmpty,
    ...(uses.readsTenants ? { TABLE_NAME: nonEmpty } : {}),
    ...(uses.startsExecution ? { [ROLLOUT_ENV.stateMachine]: nonEmpty } : {}),
    ...(uses.notifies ? { [ROLLOUT_ENV.topic]: nonEmpty } : {}),
    ...(definition.readsModule
      ? {
          TF_MODULE_DIR: nonEmpty.default('./terraform-module'),
          MODULE_VERSION_LABEL: z
            .string()
            .regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE)
            .optional(),
        }
      : {}),
  }) as Record<string, string | undefined>;
  const value = (name: string): string => env[name] as string;
  const dynamodb = lambdaDynamoDb();
  tracer.captureAWSv3Client(dynamodb);
  const doc = lambdaDocumentClient();
  const unavailable = (what: string) => () => {
    throw new Error(`this route has no ${what}`);
  };
  const rollouts = new Rollouts({
    store: new DynamoDbRolloutStore(doc, value(ROLLOUT_ENV.table)),
    tenants: uses.readsTenants
      ? new DynamoDbTenantRepository(doc, value('TABLE_NAME'))
      : { get: unavailable('tenant table'), list: unavailable('tenant table') },
    ...(uses.startsExecution
      ? { starter: new StepFunctionsRolloutStarter(tracedSfn(), value(ROLLOUT_ENV.stateMachine)) }
      : {}),
    notifier: uses.notifies
      ? new SnsLifecycleNotifier(tracedSns(), value(ROLLOUT_ENV.topic))
      : { notifyRollout: unavailable('topic') },
    clock: systemClock,
    currentModuleVersion: definition.readsModule
      ? currentModuleVersionOf(value('TF_MODULE_DIR'), env.MODULE_VERSION_LABEL)
      : unavailable('module'),
  });
  return makeTenantApi({
    clock: systemClock,
    tenantInputs: parseTenantInputs(awsModuleInputs, 'terraform-module/aws/tenant-inputs.json'),
    rollouts,
  });
}

function tracedSfn() {
  const client = lambdaSfn();
  tracer.captureAWSv3Client(client);
  return client;
}

function tracedSns() {
  const client = lambdaSns();
  tracer.captureAWSv3Client(client);
  return client;
}

/**
 * The version of the module bundled with the function (the same files the trigger uploads), hashed once per
 * container: a deployment that changes the module brings new containers.
 */
export function currentModuleVersionOf(dir: string, label: string | undefined): () => Promise<string> {
  let version: Promise<string> | undefined;
  return () => {
    version ??= buildModuleArchive(dir).then(
      (archive) => moduleVersion(archive.contentHash, label),
      (error: unknown) => {
        version = undefined;
        throw error;
      },
    );
    return version;
  };
}

/** A route as a Lambda handler: the invocation's context on every log line and for idempotency. */
export function lambdaHandler(api: TenantApi, name: RouteName) {
  return (event: ApiEvent, context: Context): Promise<ApiResult> => {
    logger.addContext(context);
    api.registerContext(context);
    return api[name](event);
  };
}

/** The Lambda handler of one route of the table, built from the function's environment. */
export function routeHandler(name: RouteName) {
  return lambdaHandler(apiFromEnv(name), name);
}
