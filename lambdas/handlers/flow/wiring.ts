import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  type AwsClients,
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaSecretsManager,
  lambdaSfn,
  lambdaSns,
} from '../../adapters/aws-clients';
import { DynamoDbAdmissionQueue } from '../../adapters/dynamodb/admission-queue';
import { DynamoDbRateWindowStore } from '../../adapters/dynamodb/rate-window-store';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { TfcTerraformBackend } from '../../adapters/tfc/backend';
import { TfcClient } from '../../adapters/tfc/client';
import { secretsManagerTokenProvider } from '../../adapters/tfc/token';
import { StepFunctionsFlowWaker } from '../../adapters/sfn/flow-waker';
import { DEFAULT_NOTIFICATION_WAIT_SECONDS } from '../../core/defaults';
import { isTransient, TransientError } from '../../core/errors';
import { finalizeAnswer, TenantFailedError, type FinalizeRequest } from '../../core/flow-state';
import { systemClock, type LifecycleNotifier } from '../../core/ports';
import { WindowedRateBudget } from '../../core/rate-budget';
import { ConfigError, loadSettings, type Settings } from '../../shared/config';
import { lambdaHandler } from '../../shared/middleware';
import { currentLogger, metrics, tracer, withLogContext } from '../../shared/observability';
import { Admission } from '../../use-cases/admission';
import { TenantFlow } from '../../use-cases/tenant-flow';
import { ADMISSION_VARS, FLOW_VARS } from './contract';

/** Builds the flow for one task Lambda from its environment; finalize also needs TOPIC_ARN. */
export function flowFromEnv(task: 'trigger' | 'check' | 'await' | 'finalize'): TenantFlow {
  const env = loadSettings(FLOW_VARS);
  if (task === 'finalize' && !env.topic)
    throw new ConfigError(`invalid configuration: ${FLOW_VARS.topic.name} (is required)`);
  if (env.notificationUrl && !env.notificationTokenSecret) {
    throw new ConfigError(
      `invalid configuration: ${FLOW_VARS.notificationTokenSecret.name} (is required with ${FLOW_VARS.notificationUrl.name})`,
    );
  }
  // The document client sends through the traced DynamoDB client.
  const clients = {
    dynamodb: tracer.captureAWSv3Client(lambdaDynamoDb()),
    doc: lambdaDocumentClient(),
    sns: tracer.captureAWSv3Client(lambdaSns()),
    secretsManager: tracer.captureAWSv3Client(lambdaSecretsManager()),
  };
  const secrets = new SecretsProvider({ awsSdkV3Client: clients.secretsManager });
  const tfcLogger = {
    debug: (message: string, attributes = {}) => currentLogger().debug(message, attributes),
    info: (message: string, attributes = {}) => currentLogger().info(message, attributes),
    warn: (message: string, attributes = {}) => currentLogger().warn(message, attributes),
  };
  const client = new TfcClient({
    address: env.tfcAddress,
    organization: env.tfcOrganization,
    budget: new WindowedRateBudget({
      store: new DynamoDbRateWindowStore(clients.doc, env.coordinationTable),
      scope: `${new URL(env.tfcAddress).host}/${env.tfcOrganization}`,
      limits: {
        api: env.requestsPerSecond,
        'runs-list': env.runsListPerMinute,
      },
    }),
    token: secretsManagerTokenProvider({ secretId: env.tokenSecret, provider: secrets }),
    logger: tfcLogger,
  });
  const notifier: LifecycleNotifier = env.topic
    ? new SnsLifecycleNotifier(clients.sns, env.topic)
    : {
        notify: () =>
          Promise.reject(new Error(`${FLOW_VARS.topic.name} is not configured for this function`)),
      };
  return new TenantFlow({
    repository: repositoryOf(env, clients),
    backend: new TfcTerraformBackend(
      client,
      {
        address: env.tfcAddress,
        organization: env.tfcOrganization,
        environment: env.environmentName,
        moduleDir: env.moduleDir,
        moduleVersionLabel: env.moduleVersionLabel,
        project: env.project,
        runRoleArn: env.awsRunRoleArn,
        // Only Trigger starts runs, so only Trigger registers the run notification configuration.
        ...(task === 'trigger' && env.notificationUrl && env.notificationTokenSecret
          ? {
              notifications: {
                url: env.notificationUrl,
                token: secretsManagerTokenProvider({
                  secretId: env.notificationTokenSecret,
                  provider: secrets,
                  what: 'notification token',
                }),
              },
            }
          : {}),
      },
      tfcLogger,
    ),
    notifier,
    clock: systemClock,
    // Check frees the slot as soon as the run is over; Finalize frees it in every case.
    ...(task === 'trigger' ? {} : { admission: admissionOf(env, clients) }),
    pollIntervalSeconds: env.pollIntervalSeconds,
    pollBudget: env.pollBudget,
    // Trigger registers the notification configuration, so its runs are the ones worth waiting for.
    awaitSeconds: env.notificationUrl ? DEFAULT_NOTIFICATION_WAIT_SECONDS : 0,
    ...(task === 'await' ? { waker: sfnWaker() } : {}),
    onRunNeedsAttention: env.onRunNeedsAttention,
    // Flushed when the invocation ends (lambdaHandler).
    onFinalized: (_tenant, event) => metrics.addMetric(event, MetricUnit.Count, 1),
  });
}

/** AwaitRun wakes its own state when the one read finds the run already over. */
function sfnWaker(): StepFunctionsFlowWaker {
  return new StepFunctionsFlowWaker(tracer.captureAWSv3Client(lambdaSfn()));
}

type AdmissionSettings = Settings<typeof ADMISSION_VARS>;

function repositoryOf(env: AdmissionSettings, clients: Pick<AwsClients, 'doc'>): DynamoDbTenantRepository {
  return new DynamoDbTenantRepository(clients.doc, env.tenantTable, {
    tableName: env.historyTable,
    retentionDays: env.historyRetentionDays,
  });
}

function admissionOf(env: AdmissionSettings, clients: Pick<AwsClients, 'doc'>): Admission {
  return new Admission({
    queue: new DynamoDbAdmissionQueue(clients.doc, env.coordinationTable),
    repository: repositoryOf(env, clients),
    clock: systemClock,
    maxConcurrentRuns: env.maxConcurrentRuns,
    waitSeconds: env.queuedWaitSeconds,
  });
}

/** Builds admission control for the Admit task from its environment (no TFC: it only queues flows). */
export function admissionFromEnv(): Admission {
  const env = loadSettings(ADMISSION_VARS);
  const clients = { dynamodb: tracer.captureAWSv3Client(lambdaDynamoDb()), doc: lambdaDocumentClient() };
  return admissionOf(env, clients);
}

/**
 * A flow task as a Lambda handler (Powertools' middleware): tenant code and flowId on every log line, and
 * errors worth retrying renamed `TransientError`, the name the state machine's Retry matches.
 */
export function taskHandler<I extends { tenantCode: string; flowId: string }, O>(
  fn: (input: I) => Promise<O>,
) {
  return lambdaHandler(async (input: I): Promise<O> => {
    return withLogContext({ tenantCode: input.tenantCode, flowId: input.flowId }, async () => {
      try {
        return await fn(input);
      } catch (error) {
        // A failed tenant is an outcome, recorded on the tenant: not a fault of the function.
        if (error instanceof TenantFailedError) {
          currentLogger().info('tenant failed', { reason: error.message });
          throw error;
        }
        currentLogger().error('flow task failed', { error });
        if (isTransient(error) && !(error instanceof TransientError)) {
          throw new TransientError(error instanceof Error ? error.message : String(error), { cause: error });
        }
        throw error;
      }
    });
  });
}

/** Finalize as the state machine calls it: a tenant that ended `failed` fails the execution (`TenantFailed`). */
export function finalizeTask(flow: () => TenantFlow) {
  return taskHandler(async (input: FinalizeRequest) => finalizeAnswer(await flow().finalize(input)));
}
