import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import {
  type AwsClients,
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaEventBridge,
  lambdaSfn,
  lambdaSns,
} from '../../adapters/aws-clients';
import { DynamoDbAdmissionQueue } from '../../adapters/dynamodb/admission-queue';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { EventBridgePublisher } from '../../adapters/eventbridge/publisher';
import { StepFunctionsExecutionInspector } from '../../adapters/sfn/execution-inspector';
import { SnsLifecycleNotifier } from '../../adapters/sns/notifier';
import { ValidationError } from '../../core/errors';
import { FAILURE_EVENT } from '../../core/flows';
import { TENANT_STATUSES, type TenantStatus } from '../../core/lifecycle';
import { systemClock, type Clock, type OpsLog, type TenantCounter } from '../../core/ports';
import { TENANTS_METRIC } from '../../core/telemetry';
import { ConfigError, loadSettingGroups, loadSettings, type Settings } from '../../shared/config';
import { lambdaHandler } from '../../shared/middleware';
import { logger, metrics, tracer } from '../../shared/observability';
import { Decommission, type DecommissionSummary } from '../../use-cases/decommission';
import { Reconciler, type ReconcileSummary } from '../../use-cases/reconciler';
import { Admission } from '../../use-cases/admission';
import { TenantRequests } from '../../use-cases/tenant-requests';
import { busVar, HISTORY_VARS, tenantTableVar } from '../contract';
import { OPS_ENV, RECONCILER_VARS } from './contract';

/**
 * What the operations functions are built from; tests hand in local clients, an environment, a clock. Clients
 * built here are traced (the document client sends through the traced DynamoDB client).
 */
export interface OpsWiring {
  clients?: AwsClients;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** The use cases' log lines go to the Powertools logger. */
export const opsLog: OpsLog = {
  info: (message, attributes = {}) => logger.info(message, attributes),
  warn: (message, attributes = {}) => logger.warn(message, attributes),
};

/** The tenant table and the history every write appends to. */
const REPOSITORY_VARS = { tenantTable: tenantTableVar, ...HISTORY_VARS };

function repositoryFromEnv(clients: Pick<AwsClients, 'doc'>, env: Settings<typeof REPOSITORY_VARS>) {
  return new DynamoDbTenantRepository(clients.doc, env.tenantTable, {
    tableName: env.historyTable,
    retentionDays: env.historyRetentionDays,
  });
}

/** Builds the decommission sweep from its environment: the tenant table and the delete bus. */
export function decommissionFromEnv(wiring: OpsWiring = {}): Decommission {
  const env = loadSettings({ ...REPOSITORY_VARS, deleteBus: busVar('delete') }, wiring.env);
  const clients = wiring.clients ?? {
    dynamodb: tracer.captureAWSv3Client(lambdaDynamoDb()),
    doc: lambdaDocumentClient(),
    eventBridge: tracer.captureAWSv3Client(lambdaEventBridge()),
  };
  const clock = wiring.clock ?? systemClock;
  const repository = repositoryFromEnv(clients, env);
  return new Decommission({
    repository,
    requests: new TenantRequests({
      repository,
      publisher: new EventBridgePublisher(clients.eventBridge, { delete: env.deleteBus }),
      clock,
      onFlowStartFailure: (tenant, error) =>
        logger.error('could not publish the decommission delete; the transition was undone', {
          tenantCode: tenant.tenantCode,
          error,
        }),
    }),
    clock,
    log: opsLog,
  });
}

/** Builds the reconciler from its environment: the table, every action's bus, its two age thresholds. */
export function reconcilerFromEnv(wiring: OpsWiring = {}): Reconciler {
  const { env, buses } = loadSettingGroups(
    {
      env: { ...REPOSITORY_VARS, ...RECONCILER_VARS },
      buses: { create: busVar('create'), update: busVar('update'), delete: busVar('delete') },
    },
    wiring.env,
  );
  if (env.failAfterSeconds <= env.republishAfterSeconds) {
    throw new ConfigError(
      `invalid configuration: ${OPS_ENV.failAfterSeconds} (must be larger than ${OPS_ENV.republishAfterSeconds})`,
    );
  }
  const clients = wiring.clients ?? {
    dynamodb: tracer.captureAWSv3Client(lambdaDynamoDb()),
    doc: lambdaDocumentClient(),
    eventBridge: tracer.captureAWSv3Client(lambdaEventBridge()),
    sfn: tracer.captureAWSv3Client(lambdaSfn()),
    sns: tracer.captureAWSv3Client(lambdaSns()),
  };
  const repository = repositoryFromEnv(clients, env);
  return new Reconciler({
    repository,
    // Frees the run slots of lost flows; releasing needs neither the cap nor the wait.
    ...(env.coordinationTable
      ? {
          admission: new Admission({
            queue: new DynamoDbAdmissionQueue(clients.doc, env.coordinationTable),
            repository,
            clock: wiring.clock ?? systemClock,
            maxConcurrentRuns: 1,
            waitSeconds: 1,
          }),
        }
      : {}),
    publisher: new EventBridgePublisher(clients.eventBridge, buses),
    inspector: new StepFunctionsExecutionInspector(clients.sfn),
    clock: wiring.clock ?? systemClock,
    ...(env.topic ? { notifier: new SnsLifecycleNotifier(clients.sns, env.topic) } : {}),
    log: opsLog,
    republishAfterSeconds: env.republishAfterSeconds,
    failAfterSeconds: env.failAfterSeconds,
  });
}

/**
 * The sweep's input: the schedule's event (whose fields are ignored) or, for an on-demand run,
 * `{ "dryRun": true }`. A `dryRun` that is not a boolean is refused rather than read as a real run.
 */
export const DecommissionEventSchema = z.object({ dryRun: z.boolean().default(false) });

/** The sweep's counts are flushed when the invocation ends (lambdaHandler). */
export function decommissionHandler(sweep: Decommission) {
  return lambdaHandler(async (event: unknown): Promise<DecommissionSummary> => {
    const parsed = DecommissionEventSchema.safeParse(event ?? {});
    if (!parsed.success) {
      throw new ValidationError('the decommission event may only carry { "dryRun": true | false }', [
        { path: 'dryRun', message: 'must be a boolean' },
      ]);
    }
    const summary = await sweep.run({ dryRun: parsed.data.dryRun });
    if (!summary.dryRun) {
      metrics.addMetric('DecommissionsStarted', MetricUnit.Count, summary.started.length);
      metrics.addMetric('DecommissionsFailed', MetricUnit.Count, summary.failed.length);
    }
    return summary;
  });
}

/** Builds what counts tenants by status for the dashboard's gauge: the tenant table's status index. */
export function tenantCounterFromEnv(wiring: OpsWiring = {}): TenantCounter {
  const env = loadSettings({ tenantTable: tenantTableVar }, wiring.env);
  return new DynamoDbTenantRepository(wiring.clients?.doc ?? lambdaDocumentClient(), env.tenantTable);
}

/** Publishes the `Tenants` gauge, one value per status (dimension `status`), and returns the counts. */
export async function publishTenantCounts(counter: TenantCounter): Promise<Record<TenantStatus, number>> {
  const counts = {} as Record<TenantStatus, number>;
  for (const status of TENANT_STATUSES) counts[status] = await counter.countByStatus(status);
  for (const [status, count] of Object.entries(counts)) {
    const single = metrics.singleMetric();
    single.addDimension('status', status);
    single.addMetric(TENANTS_METRIC, MetricUnit.Count, count);
  }
  return counts;
}

/** The reconciler's pass, then (when given a counter) the tenants-by-status gauge; counts flushed at the end. */
export function reconcilerHandler(reconciler: Reconciler, counter?: TenantCounter) {
  return lambdaHandler(async (_event: unknown): Promise<ReconcileSummary> => {
    const summary = await reconciler.run();
    if (counter) {
      try {
        await publishTenantCounts(counter);
      } catch (error) {
        logger.warn('could not count tenants by status', { error });
      }
    }
    metrics.addMetric('FlowsRepublished', MetricUnit.Count, summary.republished.length);
    // Counted like finalize's failures, so the failed-tenants alarm sees lost flows too.
    if (summary.failed.length) metrics.addMetric(FAILURE_EVENT, MetricUnit.Count, summary.failed.length);
    return summary;
  });
}
