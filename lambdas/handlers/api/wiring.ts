import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
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
import { tfcRunLink } from '../../adapters/tfc/run-link';
import { route, type RouteDefinition, type RouteName } from '../../core/api-routes';
import { systemClock } from '../../core/ports';
import { parseTenantInputs } from '../../core/tenant-inputs';
// The module the trigger uploads (TERRAFORM_MODULE_BUNDLE): its tenant inputs ship inside this bundle.
import awsModuleInputs from '../../../terraform-module/aws/tenant-inputs.json';
import { envVar, loadSettingGroups, nonEmpty } from '../../shared/config';
import { logger, tracer } from '../../shared/observability';
import { Rollouts } from '../../use-cases/rollouts';
import { ROLLOUT_ENV } from '../rollouts/contract';
import { busVar, HISTORY_VARS, MODULE_VARS, TFC_LOCATION_VARS, tenantTableVar } from '../contract';
import { currentModuleVersionOf } from '../module-version';
import { TenantRequests } from '../../use-cases/tenant-requests';
import { idempotencyTableVar, idempotencyTtlVar } from './contract';
import type { ApiEvent, ApiResult } from './http';
import { makeTenantApi, type TenantApi } from './tenant-api';

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
  const settings = loadSettingGroups({
    env: {
      tenantTable: tenantTableVar,
      historyRetentionDays: HISTORY_VARS.historyRetentionDays,
      idempotencyTtlSeconds: idempotencyTtlVar,
      ...TFC_LOCATION_VARS,
    },
    write: action ? { idempotencyTable: idempotencyTableVar, bus: busVar(action) } : undefined,
    history: history ? { table: HISTORY_VARS.historyTable } : undefined,
    module: definition.readsModule ? MODULE_VARS : undefined,
  });
  const { env, write, module: moduleSettings } = settings;
  const historyTable = settings.history?.table;
  const clients = {
    dynamodb: lambdaDynamoDb(),
    doc: lambdaDocumentClient(),
    eventBridge: lambdaEventBridge(),
  };
  tracer.captureAWSv3Client(clients.dynamodb);
  tracer.captureAWSv3Client(clients.eventBridge);
  const busNames = action && write ? { [action]: write.bus } : {};
  const repository = new DynamoDbTenantRepository(
    clients.doc,
    env.tenantTable,
    historyTable ? { tableName: historyTable, retentionDays: env.historyRetentionDays } : undefined,
  );
  return makeTenantApi({
    clock: systemClock,
    tenantInputs: parseTenantInputs(awsModuleInputs, 'terraform-module/aws/tenant-inputs.json'),
    requests: new TenantRequests({
      repository,
      publisher: new EventBridgePublisher(clients.eventBridge, busNames),
      clock: systemClock,
    }),
    idempotencyTtlSeconds: env.idempotencyTtlSeconds,
    runLink: tfcRunLink({
      address: env.tfcAddress,
      organization: env.tfcOrganization,
      environment: env.environmentName,
    }),
    ...(moduleSettings
      ? {
          fleet: {
            reader: repository,
            currentModuleVersion: currentModuleVersionOf(
              moduleSettings.moduleDir,
              moduleSettings.moduleVersionLabel,
            ),
          },
        }
      : {}),
    ...(write
      ? {
          idempotencyStore: new DynamoDBPersistenceLayer({
            tableName: write.idempotencyTable,
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
  const settings = loadSettingGroups({
    rollouts: { table: envVar(ROLLOUT_ENV.table, nonEmpty) },
    tenants: uses.readsTenants ? { table: tenantTableVar } : undefined,
    starter: uses.startsExecution ? { stateMachine: envVar(ROLLOUT_ENV.stateMachine, nonEmpty) } : undefined,
    notifier: uses.notifies ? { topic: envVar(ROLLOUT_ENV.topic, nonEmpty) } : undefined,
    module: definition.readsModule ? MODULE_VARS : undefined,
  });
  const rolloutTable = settings.rollouts.table;
  const tenantTable = settings.tenants?.table;
  const stateMachine = settings.starter?.stateMachine;
  const topic = settings.notifier?.topic;
  const moduleSettings = settings.module;
  const dynamodb = lambdaDynamoDb();
  tracer.captureAWSv3Client(dynamodb);
  const doc = lambdaDocumentClient();
  const unavailable = (what: string) => () => {
    throw new Error(`this route has no ${what}`);
  };
  const rollouts = new Rollouts({
    store: new DynamoDbRolloutStore(doc, rolloutTable),
    tenants: tenantTable
      ? new DynamoDbTenantRepository(doc, tenantTable)
      : { get: unavailable('tenant table'), list: unavailable('tenant table') },
    ...(stateMachine ? { starter: new StepFunctionsRolloutStarter(tracedSfn(), stateMachine) } : {}),
    notifier: topic ? new SnsLifecycleNotifier(tracedSns(), topic) : { notifyRollout: unavailable('topic') },
    clock: systemClock,
    currentModuleVersion: moduleSettings
      ? currentModuleVersionOf(moduleSettings.moduleDir, moduleSettings.moduleVersionLabel)
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
