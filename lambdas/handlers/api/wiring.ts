import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { lambdaDocumentClient, lambdaDynamoDb, lambdaEventBridge } from '../../adapters/aws-clients';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { EventBridgePublisher } from '../../adapters/eventbridge/publisher';
import { tfcRunLink } from '../../adapters/tfc/run-link';
import { route, type RouteName } from '../../core/api-routes';
import { systemClock } from '../../core/ports';
import { loadSettingGroups } from '../../shared/config';
import { tracer } from '../../shared/observability';
import { busVar, HISTORY_VARS, MODULE_VARS, TFC_LOCATION_VARS, tenantTableVar } from '../contract';
import { currentModuleVersionOf } from '../module-version';
import { TenantRequests } from '../../use-cases/tenant-requests';
import { idempotencyTableVar, idempotencyTtlVar } from './contract';
import { moduleTenantInputs, routeLambda } from './lambda-route';
import { makeTenantApi } from './tenant-api';

/**
 * Builds the API for one route's Lambda from its environment. A write function is given only its own
 * action's bus, the idempotency table and the history table it appends to; read functions get no bus, and
 * only the history route reads the history table.
 */
export function apiFromEnv(name: RouteName) {
  const definition = route(name);
  // A rollout route's function imports rollout-wiring.ts instead: its bundle carries none of this wiring.
  if (definition.access === 'rollout') throw new Error(`${name} is a rollout route: rolloutRouteHandler`);
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
    dynamodb: tracer.captureAWSv3Client(lambdaDynamoDb()),
    doc: lambdaDocumentClient(),
    eventBridge: tracer.captureAWSv3Client(lambdaEventBridge()),
  };
  const busNames = action && write ? { [action]: write.bus } : {};
  const repository = new DynamoDbTenantRepository(
    clients.doc,
    env.tenantTable,
    historyTable ? { tableName: historyTable, retentionDays: env.historyRetentionDays } : undefined,
  );
  return makeTenantApi({
    clock: systemClock,
    tenantInputs: moduleTenantInputs(),
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

/** The Lambda handler of one tenant route of the table, built from the function's environment. */
export function routeHandler(name: RouteName) {
  return routeLambda(apiFromEnv(name), name);
}
