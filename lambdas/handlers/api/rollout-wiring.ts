import { lambdaDocumentClient, lambdaDynamoDb, lambdaSfn, lambdaSns } from '../../adapters/aws-clients';
import { DynamoDbRolloutStore } from '../../adapters/dynamodb/rollout-store';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { StepFunctionsRolloutStarter } from '../../adapters/sfn/rollout-starter';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { route, type RouteDefinition, type RouteName } from '../../core/api-routes';
import { systemClock } from '../../core/ports';
import { envVar, loadSettingGroups, nonEmpty } from '../../shared/config';
import { tracer } from '../../shared/observability';
import { Rollouts } from '../../use-cases/rollouts';
import { MODULE_VARS, tenantTableVar } from '../contract';
import { currentModuleVersionOf } from '../module-version';
import { ROLLOUT_ENV } from '../rollouts/contract';
import { moduleTenantInputs, routeLambda } from './lambda-route';
import { makeTenantApi } from './tenant-api';

// The rollout routes' wiring, apart from the tenant routes' (wiring.ts): a rollout route's bundle carries
// neither idempotency nor the request buses, and a tenant route's neither the rollouts nor Step Functions
// and SNS.

/**
 * A rollout route's API: the rollouts table, and only what the route's entry says besides (the tenant
 * table to select tenants, the state machine to start, the topic to publish on, the module to name the
 * current version).
 */
export function rolloutApiFromEnv(definition: RouteDefinition) {
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
  // The document client sends through the sandbox's DynamoDB client: tracing that one traces both.
  tracer.captureAWSv3Client(lambdaDynamoDb());
  const doc = lambdaDocumentClient();
  const unavailable = (what: string) => () => {
    throw new Error(`this route has no ${what}`);
  };
  const rollouts = new Rollouts({
    store: new DynamoDbRolloutStore(doc, rolloutTable),
    tenants: tenantTable
      ? new DynamoDbTenantRepository(doc, tenantTable)
      : { get: unavailable('tenant table'), list: unavailable('tenant table') },
    ...(stateMachine
      ? { starter: new StepFunctionsRolloutStarter(tracer.captureAWSv3Client(lambdaSfn()), stateMachine) }
      : {}),
    notifier: topic
      ? new SnsLifecycleNotifier(tracer.captureAWSv3Client(lambdaSns()), topic)
      : { notifyRollout: unavailable('topic') },
    clock: systemClock,
    currentModuleVersion: moduleSettings
      ? currentModuleVersionOf(moduleSettings.moduleDir, moduleSettings.moduleVersionLabel)
      : unavailable('module'),
  });
  return makeTenantApi({
    clock: systemClock,
    tenantInputs: moduleTenantInputs(),
    rollouts,
  });
}

/** The Lambda handler of one rollout route of the table, built from the function's environment. */
export function rolloutRouteHandler(name: RouteName) {
  const definition = route(name);
  if (definition.access !== 'rollout') throw new Error(`${name} is a tenant route: routeHandler`);
  return routeLambda(rolloutApiFromEnv(definition), name);
}
