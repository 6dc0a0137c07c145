import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { lambdaClients } from '../../adapters/aws-clients';
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
import { ConfigError, loadEnv, nonEmpty } from '../../shared/config';
import { currentLogger, logger, metrics, tracer, withLogContext } from '../../shared/observability';
import { TenantFlow } from '../../use-cases/tenant-flow';

const FlowEnv = {
  TABLE_NAME: nonEmpty,
  HISTORY_TABLE_NAME: nonEmpty,
  HISTORY_RETENTION_DAYS: z.coerce.number().int().positive().default(DEFAULT_HISTORY_RETENTION_DAYS),
  TFC_TOKEN_SECRET_ARN: nonEmpty,
  TFC_ADDRESS: z.url().default(DEFAULT_TFC_ADDRESS),
  TFC_ORGANIZATION: nonEmpty,
  /** Per function instance; TFC's limit is 30 requests/s per user. */
  TFC_REQUESTS_PER_SECOND: z.coerce.number().positive().default(30),
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
  const clients = lambdaClients();
  tracer.captureAWSv3Client(clients.dynamodb);
  tracer.captureAWSv3Client(clients.sns);
  tracer.captureAWSv3Client(clients.secretsManager);
  const client = new TfcClient({
    address: env.TFC_ADDRESS,
    organization: env.TFC_ORGANIZATION,
    requestsPerSecond: env.TFC_REQUESTS_PER_SECOND,
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
    pollIntervalSeconds: env.POLL_INTERVAL_SECONDS,
    pollBudget: env.POLL_BUDGET,
    onRunNeedsAttention: env.ON_RUN_NEEDS_ATTENTION,
    onFinalized: (_tenant, event) => {
      metrics.addMetric(event, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
  });
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
