import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import {
  type AwsClients,
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaSecretsManager,
  lambdaSns,
} from '../../adapters/aws-clients';
import { DynamoDbAdmissionQueue } from '../../adapters/dynamodb/admission-queue';
import { DynamoDbRateWindowStore } from '../../adapters/dynamodb/rate-window-store';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { TfcTerraformBackend } from '../../adapters/tfc/backend';
import { DEFAULT_TFC_ADDRESS, TfcClient } from '../../adapters/tfc/client';
import { secretsManagerTokenProvider } from '../../adapters/tfc/token';
import { isTransient, TransientError } from '../../core/errors';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../core/history';
import { systemClock, type LifecycleNotifier } from '../../core/ports';
import { DEFAULT_RUN_NEEDS_ATTENTION_ACTION, RUN_NEEDS_ATTENTION_ACTIONS } from '../../core/run-status';
import { MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE } from '../../core/module-version';
import { WindowedRateBudget } from '../../core/rate-budget';
import { TFC_LIMITS } from '../../core/tfc-limits';
import { ConfigError, limitSetting, loadEnv, nonEmpty } from '../../shared/config';
import { currentLogger, logger, metrics, tracer, withLogContext } from '../../shared/observability';
import { Admission } from '../../use-cases/admission';
import { TenantFlow } from '../../use-cases/tenant-flow';

/** Admission control's settings: the Admit task uses them, finalize frees slots with them. */
const AdmissionEnv = {
  TABLE_NAME: nonEmpty,
  HISTORY_TABLE_NAME: nonEmpty,
  HISTORY_RETENTION_DAYS: z.coerce.number().int().positive().default(DEFAULT_HISTORY_RETENTION_DAYS),
  COORDINATION_TABLE_NAME: nonEmpty,
  [TFC_LIMITS.maxConcurrentRuns.env]: limitSetting(TFC_LIMITS.maxConcurrentRuns),
  [TFC_LIMITS.queuedWaitSeconds.env]: limitSetting(TFC_LIMITS.queuedWaitSeconds),
} as const;

const FlowEnv = {
  ...AdmissionEnv,
  TFC_TOKEN_SECRET_ARN: nonEmpty,
  TFC_ADDRESS: z.url().default(DEFAULT_TFC_ADDRESS),
  TFC_ORGANIZATION: nonEmpty,
  /** The TFC user's budget, shared by every instance through the coordination table. */
  [TFC_LIMITS.requestsPerSecond.env]: limitSetting(TFC_LIMITS.requestsPerSecond),
  [TFC_LIMITS.runsListPerMinute.env]: limitSetting(TFC_LIMITS.runsListPerMinute),
  ENVIRONMENT_NAME: nonEmpty,
  POLL_INTERVAL_SECONDS: z.coerce.number().int().min(1).default(120),
  POLL_BUDGET: z.coerce.number().int().min(1).default(90),
  ON_RUN_NEEDS_ATTENTION: z.enum(RUN_NEEDS_ATTENTION_ACTIONS).default(DEFAULT_RUN_NEEDS_ATTENTION_ACTION),
  TF_MODULE_DIR: nonEmpty.default('./terraform-module'),
  MODULE_VERSION_LABEL: z.string().regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE).optional(),
  TFC_PROJECT: z.string().min(1).optional(),
  TFC_AWS_RUN_ROLE_ARN: z.string().optional(),
  TOPIC_ARN: z.string().optional(),
};

/** Builds the flow for one task Lambda from its environment; finalize also needs TOPIC_ARN. */
export function flowFromEnv(task: 'trigger' | 'check' | 'finalize'): TenantFlow {
  const env = loadEnv(FlowEnv);
  if (task === 'finalize' && !env.TOPIC_ARN)
    throw new ConfigError('invalid configuration: TOPIC_ARN (is required)');
  const clients = {
    dynamodb: lambdaDynamoDb(),
    doc: lambdaDocumentClient(),
    sns: lambdaSns(),
    secretsManager: lambdaSecretsManager(),
  };
  tracer.captureAWSv3Client(clients.dynamodb);
  tracer.captureAWSv3Client(clients.sns);
  tracer.captureAWSv3Client(clients.secretsManager);
  const client = new TfcClient({
    address: env.TFC_ADDRESS,
    organization: env.TFC_ORGANIZATION,
    budget: new WindowedRateBudget({
      store: new DynamoDbRateWindowStore(clients.doc, env.COORDINATION_TABLE_NAME),
      scope: `${new URL(env.TFC_ADDRESS).host}/${env.TFC_ORGANIZATION}`,
      limits: {
        api: env[TFC_LIMITS.requestsPerSecond.env],
        'runs-list': env[TFC_LIMITS.runsListPerMinute.env],
      },
    }),
    token: secretsManagerTokenProvider({
      secretId: env.TFC_TOKEN_SECRET_ARN,
      provider: new SecretsProvider({ awsSdkV3Client: clients.secretsManager }),
    }),
    logger: {
      debug: (message, attributes = {}) => currentLogger().debug(message, attributes),
      info: (message, attributes = {}) => currentLogger().info(message, attributes),
      warn: (message, attributes = {}) => currentLogger().warn(message, attributes),
    },
  });
  const notifier: LifecycleNotifier = env.TOPIC_ARN
    ? new SnsLifecycleNotifier(clients.sns, env.TOPIC_ARN)
    : { notify: () => Promise.reject(new Error('TOPIC_ARN is not configured for this function')) };
  return new TenantFlow({
    repository: new DynamoDbTenantRepository(clients.doc, env.TABLE_NAME, {
      tableName: env.HISTORY_TABLE_NAME,
      retentionDays: env.HISTORY_RETENTION_DAYS,
    }),
    backend: new TfcTerraformBackend(client, {
      address: env.TFC_ADDRESS,
      organization: env.TFC_ORGANIZATION,
      environment: env.ENVIRONMENT_NAME,
      moduleDir: env.TF_MODULE_DIR,
      ...(env.MODULE_VERSION_LABEL ? { moduleVersionLabel: env.MODULE_VERSION_LABEL } : {}),
      ...(env.TFC_PROJECT ? { project: env.TFC_PROJECT } : {}),
      ...(env.TFC_AWS_RUN_ROLE_ARN ? { runRoleArn: env.TFC_AWS_RUN_ROLE_ARN } : {}),
    }),
    notifier,
    clock: systemClock,
    // Check frees the slot as soon as the run is over; Finalize frees it in every case.
    ...(task === 'trigger' ? {} : { admission: admissionOf(env, clients) }),
    pollIntervalSeconds: env.POLL_INTERVAL_SECONDS,
    pollBudget: env.POLL_BUDGET,
    onRunNeedsAttention: env.ON_RUN_NEEDS_ATTENTION,
    onFinalized: (_tenant, event) => {
      metrics.addMetric(event, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
  });
}

function admissionOf(
  env: ReturnType<typeof loadEnv<typeof AdmissionEnv>>,
  clients: Pick<AwsClients, 'doc'>,
): Admission {
  return new Admission({
    queue: new DynamoDbAdmissionQueue(clients.doc, env.COORDINATION_TABLE_NAME),
    repository: new DynamoDbTenantRepository(clients.doc, env.TABLE_NAME, {
      tableName: env.HISTORY_TABLE_NAME,
      retentionDays: env.HISTORY_RETENTION_DAYS,
    }),
    clock: systemClock,
    maxConcurrentRuns: env[TFC_LIMITS.maxConcurrentRuns.env],
    waitSeconds: env[TFC_LIMITS.queuedWaitSeconds.env],
  });
}

/** Builds admission control for the Admit task from its environment (no TFC: it only queues flows). */
export function admissionFromEnv(): Admission {
  const env = loadEnv(AdmissionEnv);
  const clients = { dynamodb: lambdaDynamoDb(), doc: lambdaDocumentClient() };
  tracer.captureAWSv3Client(clients.dynamodb);
  return admissionOf(env, clients);
}

/**
 * A flow task as a Lambda handler: tenant code and flowId on every log line, and errors worth retrying
 * renamed `TransientError`, the name the state machine's Retry matches.
 */
export function taskHandler<I extends { tenantCode: string; flowId: string }, O>(
  fn: (input: I) => Promise<O>,
) {
  return async (input: I, context?: Context): Promise<O> => {
    if (context) logger.addContext(context);
    return withLogContext({ tenantCode: input.tenantCode, flowId: input.flowId }, async () => {
      try {
        return await fn(input);
      } catch (error) {
        currentLogger().error('flow task failed', { error });
        if (isTransient(error) && !(error instanceof TransientError)) {
          throw new TransientError(error instanceof Error ? error.message : String(error), { cause: error });
        }
        throw error;
      }
    });
  };
}
