import {
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaEventBridge,
  lambdaSns,
} from '../../adapters/aws-clients';
import { DynamoDbRolloutStore } from '../../adapters/dynamodb/rollout-store';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { EventBridgePublisher } from '../../adapters/eventbridge/publisher';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { isTransient, TransientError } from '../../core/errors';
import { systemClock } from '../../core/ports';
import { DEFAULT_ROLLOUT_TIMINGS, RolloutStepEventSchema } from '../../core/rollout';
import { envVar, loadSettings, nonEmpty } from '../../shared/config';
import { lambdaHandler } from '../../shared/middleware';
import { currentLogger, tracer, withLogContext, type LogContext } from '../../shared/observability';
import { Rollouts, runRolloutStep } from '../../use-cases/rollouts';
import { TenantRequests } from '../../use-cases/tenant-requests';
import { busVar, HISTORY_VARS, MODULE_VARS, positiveSetting, tenantTableVar } from '../contract';
import { currentModuleVersionOf } from '../module-version';
import { ROLLOUT_ENV, ROLLOUT_TIMING_ENV } from './contract';

/**
 * The steps of the rollout state machine, built from the function's environment: the rollouts table, the
 * tenant table and history (each tenant's update transition), the update bus, the lifecycle topic and the
 * module the updates apply (to notice a deployment that changed it mid-rollout).
 */
export function rolloutsFromEnv(): Rollouts {
  const env = loadSettings({
    rolloutTable: envVar(ROLLOUT_ENV.table, nonEmpty),
    tenantTable: tenantTableVar,
    ...HISTORY_VARS,
    updateBus: busVar('update'),
    topic: envVar(ROLLOUT_ENV.topic, nonEmpty),
    ...MODULE_VARS,
    watchSeconds: envVar(
      ROLLOUT_TIMING_ENV.watchSeconds,
      positiveSetting(DEFAULT_ROLLOUT_TIMINGS.watchSeconds),
    ),
    busySeconds: envVar(ROLLOUT_TIMING_ENV.busySeconds, positiveSetting(DEFAULT_ROLLOUT_TIMINGS.busySeconds)),
    maxBusyAttempts: envVar(
      ROLLOUT_TIMING_ENV.maxBusyAttempts,
      positiveSetting(DEFAULT_ROLLOUT_TIMINGS.maxBusyAttempts),
    ),
  });
  // The document client sends through the sandbox's DynamoDB client: tracing that one traces both.
  tracer.captureAWSv3Client(lambdaDynamoDb());
  const eventBridge = tracer.captureAWSv3Client(lambdaEventBridge());
  const sns = tracer.captureAWSv3Client(lambdaSns());
  const doc = lambdaDocumentClient();
  const repository = new DynamoDbTenantRepository(doc, env.tenantTable, {
    tableName: env.historyTable,
    retentionDays: env.historyRetentionDays,
  });
  return new Rollouts({
    store: new DynamoDbRolloutStore(doc, env.rolloutTable),
    tenants: repository,
    requests: new TenantRequests({
      repository,
      publisher: new EventBridgePublisher(eventBridge, { update: env.updateBus }),
      clock: systemClock,
    }),
    notifier: new SnsLifecycleNotifier(sns, env.topic),
    clock: systemClock,
    currentModuleVersion: currentModuleVersionOf(env.moduleDir, env.moduleVersionLabel),
    timings: {
      watchSeconds: env.watchSeconds,
      busySeconds: env.busySeconds,
      maxBusyAttempts: env.maxBusyAttempts,
    },
  });
}

/**
 * One task of the rollout state machine as a Lambda handler: the event is validated, the step's log lines
 * carry the rollout (and tenant), and an error the same call may get past is thrown as TransientError (the
 * definition's Retry matches it).
 */
export function rolloutStepHandler(rollouts: Rollouts) {
  return lambdaHandler(async (event: unknown): Promise<unknown> => {
    const step = RolloutStepEventSchema.parse(event);
    const keys: LogContext = {
      rolloutId: step.rolloutId,
      ...(step.step === 'plan' || step.step === 'finish' ? {} : { tenantCode: step.tenantCode }),
    };
    return withLogContext(keys, async () => {
      try {
        return await runRolloutStep(rollouts, step);
      } catch (error) {
        currentLogger().error(`rollout step ${step.step} failed`, { error });
        if (isTransient(error) && !(error instanceof TransientError)) {
          throw new TransientError(error instanceof Error ? error.message : String(error), { cause: error });
        }
        throw error;
      }
    });
  });
}
