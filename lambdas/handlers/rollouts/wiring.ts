import type { Context } from 'aws-lambda';
import * as z from 'zod';
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
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../core/history';
import { MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE } from '../../core/module-version';
import { systemClock } from '../../core/ports';
import { DEFAULT_ROLLOUT_TIMINGS, RolloutStepEventSchema } from '../../core/rollout';
import { loadEnv, nonEmpty } from '../../shared/config';
import { currentLogger, logger, tracer, withLogContext, type LogContext } from '../../shared/observability';
import { Rollouts, runRolloutStep } from '../../use-cases/rollouts';
import { TenantRequests } from '../../use-cases/tenant-requests';
import { BUS_ENV, currentModuleVersionOf } from '../api/wiring';
import { ROLLOUT_ENV, ROLLOUT_TIMING_ENV } from './contract';

const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/**
 * The steps of the rollout state machine, built from the function's environment: the rollouts table, the
 * tenant table and history (each tenant's update transition), the update bus, the lifecycle topic and the
 * module the updates apply (to notice a deployment that changed it mid-rollout).
 */
export function rolloutsFromEnv(): Rollouts {
  const env = loadEnv({
    [ROLLOUT_ENV.table]: nonEmpty,
    TABLE_NAME: nonEmpty,
    HISTORY_TABLE_NAME: nonEmpty,
    HISTORY_RETENTION_DAYS: positive(DEFAULT_HISTORY_RETENTION_DAYS),
    [BUS_ENV.update]: nonEmpty,
    [ROLLOUT_ENV.topic]: nonEmpty,
    TF_MODULE_DIR: nonEmpty.default('./terraform-module'),
    MODULE_VERSION_LABEL: z
      .string()
      .regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE)
      .optional(),
    [ROLLOUT_TIMING_ENV.watchSeconds]: positive(DEFAULT_ROLLOUT_TIMINGS.watchSeconds),
    [ROLLOUT_TIMING_ENV.busySeconds]: positive(DEFAULT_ROLLOUT_TIMINGS.busySeconds),
    [ROLLOUT_TIMING_ENV.maxBusyAttempts]: positive(DEFAULT_ROLLOUT_TIMINGS.maxBusyAttempts),
  }) as Record<string, string | number | undefined>;
  const text = (name: string) => env[name] as string;
  const count = (name: string) => env[name] as number;
  const dynamodb = lambdaDynamoDb();
  const eventBridge = lambdaEventBridge();
  const sns = lambdaSns();
  for (const client of [dynamodb, eventBridge, sns]) tracer.captureAWSv3Client(client);
  const doc = lambdaDocumentClient();
  const repository = new DynamoDbTenantRepository(doc, text('TABLE_NAME'), {
    tableName: text('HISTORY_TABLE_NAME'),
    retentionDays: count('HISTORY_RETENTION_DAYS'),
  });
  return new Rollouts({
    store: new DynamoDbRolloutStore(doc, text(ROLLOUT_ENV.table)),
    tenants: repository,
    requests: new TenantRequests({
      repository,
      publisher: new EventBridgePublisher(eventBridge, { update: text(BUS_ENV.update) }),
      clock: systemClock,
    }),
    notifier: new SnsLifecycleNotifier(sns, text(ROLLOUT_ENV.topic)),
    clock: systemClock,
    currentModuleVersion: currentModuleVersionOf(
      text('TF_MODULE_DIR'),
      env.MODULE_VERSION_LABEL as string | undefined,
    ),
    timings: {
      watchSeconds: count(ROLLOUT_TIMING_ENV.watchSeconds),
      busySeconds: count(ROLLOUT_TIMING_ENV.busySeconds),
      maxBusyAttempts: count(ROLLOUT_TIMING_ENV.maxBusyAttempts),
    },
  });
}

/**
 * One task of the rollout state machine as a Lambda handler: the event is validated, the step's log lines
 * carry the rollout (and tenant), and an error the same call may get past is thrown as TransientError (the
 * definition's Retry matches it).
 */
export function rolloutStepHandler(rollouts: Rollouts) {
  return async (event: unknown, context?: Context): Promise<unknown> => {
    if (context) logger.addContext(context);
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
  };
}
