import type { RunNeedsAttentionAction } from '../core/run-status';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { createAwsClients } from '../adapters/aws-clients';
import { DynamoDbAdmissionQueue } from '../adapters/dynamodb/admission-queue';
import {
  coordinationTableDefinition,
  historyTableDefinition,
  idempotencyTableDefinition,
  rolloutTableDefinition,
  tenantTableDefinition,
} from '../adapters/dynamodb/table-schema';
import { DynamoDbRolloutStore } from '../adapters/dynamodb/rollout-store';
import { DynamoDbTenantRepository } from '../adapters/dynamodb/tenant-repository';
import { loadTenantInputs } from '../adapters/module/tenant-inputs-file';
import { TfcTerraformBackend } from '../adapters/tfc/backend';
import { TfcClient } from '../adapters/tfc/client';
import { tfcRunLink } from '../adapters/tfc/run-link';
import { buildModuleArchive } from '../adapters/tfc/module-archive';
import { staticTokenProvider } from '../adapters/tfc/token';
import { moduleVersion } from '../core/module-version';
import { buildOpenApiDocument } from '../core/openapi';
import { RUN_NOTIFICATION_PATH } from '../core/run-notification';
import type { RunLink } from '../core/tenant';
import { DEFAULT_NOTIFICATION_WAIT_SECONDS } from '../core/defaults';
import { systemClock, type TerraformBackend } from '../core/ports';
import { MemoryRateWindowStore, WindowedRateBudget } from '../core/rate-budget';
import { makeTenantApi } from '../handlers/api/tenant-api';
import { finalizeTask, taskHandler } from '../handlers/flow/wiring';
import { Admission } from '../use-cases/admission';
import { TenantFlow } from '../use-cases/tenant-flow';
import { TenantRequests } from '../use-cases/tenant-requests';
import { Decommission } from '../use-cases/decommission';
import { Reconciler } from '../use-cases/reconciler';
import { Rollouts } from '../use-cases/rollouts';
import { RunNotifications } from '../use-cases/run-notifications';
import { ensureTable, LOCAL_AWS, startDynamoDbLocal } from './dynamodb-local';
import { LocalBus } from './event-bus';
import { LocalFlowWaker } from './flow-waker';
import { startApiServer } from './http-server';
import { LocalNotifier } from './notifier';
import { LocalRolloutEngine } from './rollout-engine';
import { LocalTerraformBackend } from './terraform-runner';

export interface LocalConfig {
  host: string;
  port: number;
  /** Everything the control plane keeps between restarts: DynamoDB files, workspaces, the journal. */
  dataDir: string;
  moduleDir: string;
  environment: string;
  /** Seconds each Wait state lasts (AWS default: 120). */
  waitSeconds: number;
  pollBudget: number;
  /** What Check does with a run that waits for a person. @default 'discard' */
  onRunNeedsAttention?: RunNeedsAttentionAction;
  /** Admission control: runs in flight at once, all flows together. */
  maxConcurrentRuns: number;
  /** Seconds a queued flow waits between two admission attempts. */
  queuedWaitSeconds: number;
  /** Terraform Cloud / Enterprise instead of the local CLI. */
  tfc?: {
    address: string;
    token: string;
    organization: string;
    requestsPerSecond: number;
    /**
     * Task workers, like concurrent Lambda instances: each has its own TFC client (with the i-th of
     * `tokens` when given, all of one TFC user), and flow tasks go to them in turn. @default 1
     */
    workers?: number;
    tokens?: readonly string[];
    /** TFC project of the workspaces. @default `tenant-control-plane-<environment>` */
    project?: string;
    runsListPerMinute: number;
  };
  /** Label in front of the module's content hash in its version. */
  moduleVersionLabel?: string;
  /**
   * Run notifications on (absent: off): with `tfc`, TFC is told to notify the end of each run to `url`
   * (@default `http://127.0.0.1:<port>` + RUN_NOTIFICATION_PATH, this server's receiver route).
   */
  notifications?: { url?: string };
  /**
   * Seconds a flow waits for its run's notification before it falls back to polling every `waitSeconds`.
   * @default DEFAULT_NOTIFICATION_WAIT_SECONDS (as in AWS)
   */
  notificationWaitSeconds?: number;
  webhookUrl?: string;
  /** Looks at a tenant busy with another request before a rollout skips it. @default 10 */
  rolloutMaxBusyAttempts?: number;
  /** Days each history item is kept. @default 90 */
  historyRetentionDays?: number;
}

export interface LocalIo {
  /** One line of output (lifecycle events, status lines). */
  out: (line: string) => void;
  warn: (line: string) => void;
}

/** Hooks for the entry point's instance lock. */
export interface StartHooks {
  /** Called with DynamoDB Local's process id once it runs. */
  onDynamoDb?: (pid: number | undefined) => Promise<void>;
  /** Called just before the API server listens (frees a reserved port). */
  beforeListen?: () => Promise<void>;
}

export interface RunningControlPlane {
  url: string;
  dynamoDbEndpoint: string;
  backendName: string;
  /** The module version new runs apply (content hash of the module at start, optional label). */
  moduleVersion: string;
  resumed: { executions: number; runs: number; rollouts: number };
  bus: LocalBus;
  /**
   * The HMAC token of this process's run notifications (random, made once per start): TFC signs with it,
   * the receiver route verifies with it. Never logged.
   */
  notificationToken: string;
  /** The emulated task-token callback: flows wait on it, the receiver route wakes them. */
  flowWaker: LocalFlowWaker;
  stop(): Promise<void>;
}

/** Runs `task` every `intervalMs` (and at once if asked); returns a starter giving back a stopper. */
function schedule(intervalMs: number, runNow: boolean, task: () => Promise<void>) {
  return (warn: (line: string) => void) => {
    const run = () =>
      void task().catch((error: unknown) => warn(`scheduled sweep failed: ${(error as Error).message}`));
    if (runNow) setImmediate(run);
    const timer = setInterval(run, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  };
}

export const TABLES = {
  tenants: 'tenants',
  idempotency: 'idempotency',
  history: 'history',
  coordination: 'coordination',
  rollouts: 'rollouts',
} as const;

/**
 * The whole control plane on one machine: the same API routes, repository, flow tasks and ASL file as in
 * AWS, with DynamoDB Local, a journal-backed local bus and the local Terraform CLI (or TFC) as adapters.
 */
export async function startLocalControlPlane(
  config: LocalConfig,
  io: LocalIo,
  hooks: StartHooks = {},
): Promise<RunningControlPlane> {
  await mkdir(join(config.dataDir, 'dynamodb'), { recursive: true });
  const dynamo = await startDynamoDbLocal({ dataDir: join(config.dataDir, 'dynamodb') });
  await hooks.onDynamoDb?.(dynamo.pid);
  const clients = createAwsClients({ ...LOCAL_AWS, dynamoDbEndpoint: dynamo.endpoint });
  await ensureTable(clients.dynamodb, tenantTableDefinition(TABLES.tenants));
  await ensureTable(clients.dynamodb, idempotencyTableDefinition(TABLES.idempotency));
  await ensureTable(clients.dynamodb, historyTableDefinition(TABLES.history));
  await ensureTable(clients.dynamodb, coordinationTableDefinition(TABLES.coordination));
  await ensureTable(clients.dynamodb, rolloutTableDefinition(TABLES.rollouts));

  const repository = new DynamoDbTenantRepository(clients.doc, TABLES.tenants, {
    tableName: TABLES.history,
    ...(config.historyRetentionDays ? { retentionDays: config.historyRetentionDays } : {}),
  });
  // Answers link each run to TFC's page of it, or to its log on this server (known once it listens).
  let serverUrl = '';
  const notificationToken = randomBytes(32).toString('hex');
  const flowWaker = new LocalFlowWaker();
  const notificationUrl = (): string | undefined =>
    config.notifications?.url ??
    (serverUrl === '' ? undefined : `http://127.0.0.1:${new URL(serverUrl).port}${RUN_NOTIFICATION_PATH}`);
  let runLink: RunLink;
  let backends: TerraformBackend[];
  let localRunner: LocalTerraformBackend | undefined;
  let backendName: string;
  if (config.tfc) {
    const tfc = config.tfc;
    // One budget object for every worker and flow of this process, as the coordination table is in AWS.
    const budget = new WindowedRateBudget({
      store: new MemoryRateWindowStore(),
      scope: `${new URL(tfc.address).host}/${tfc.organization}`,
      limits: { api: tfc.requestsPerSecond, 'runs-list': tfc.runsListPerMinute },
    });
    // One target for every worker: they share one registration (TfcTerraformBackend).
    const notifications = config.notifications
      ? { url: notificationUrl, token: () => Promise.resolve(notificationToken) }
      : undefined;
    const tfcLog = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message: string, attributes?: Record<string, unknown>) =>
        io.warn(attributes ? `${message} ${JSON.stringify(attributes)}` : message),
    };
    backends = Array.from({ length: Math.max(1, tfc.workers ?? 1) }, (_, worker) => {
      const client = new TfcClient({
        address: tfc.address,
        organization: tfc.organization,
        token: staticTokenProvider(tfc.tokens?.[worker] ?? tfc.token),
        budget,
      });
      return new TfcTerraformBackend(
        client,
        {
          ...tfc,
          environment: config.environment,
          moduleDir: config.moduleDir,
          ...(config.moduleVersionLabel ? { moduleVersionLabel: config.moduleVersionLabel } : {}),
          ...(notifications ? { notifications } : {}),
        },
        tfcLog,
      );
    });
    backendName = `Terraform Cloud at ${tfc.address} (organization ${tfc.organization})`;
    runLink = tfcRunLink({ ...tfc, environment: config.environment });
  } else {
    localRunner = new LocalTerraformBackend({
      dataDir: join(config.dataDir, 'workspaces'),
      logDir: join(config.dataDir, 'run-logs'),
      moduleDir: config.moduleDir,
      environment: config.environment,
      ...(config.moduleVersionLabel ? { moduleVersionLabel: config.moduleVersionLabel } : {}),
      // Each run's end is notified to the receiver route, signed as TFC signs it.
      ...(config.notifications
        ? {
            notifications: {
              url: notificationUrl,
              token: notificationToken,
              runUrl: (code: string, runId: string) => `${serverUrl}/tenants/${code}/runs/${runId}/log`,
            },
          }
        : {}),
      warn: io.warn,
    });
    backends = [localRunner];
    runLink = (code, runId) => `${serverUrl}/tenants/${code}/runs/${runId}/log`;
    backendName = 'local terraform CLI';
  }

  const admission = new Admission({
    queue: new DynamoDbAdmissionQueue(clients.doc, TABLES.coordination),
    repository,
    clock: systemClock,
    maxConcurrentRuns: config.maxConcurrentRuns,
    waitSeconds: config.queuedWaitSeconds,
  });
  const notifier = new LocalNotifier(io.out, config.webhookUrl, io.warn);
  // With notifications on, a flow whose run will be notified (TFC took the configuration, or the local
  // runner, which always notifies this server) waits for it; the others poll.
  const awaitSeconds = config.notifications
    ? (config.notificationWaitSeconds ?? DEFAULT_NOTIFICATION_WAIT_SECONDS)
    : 0;
  const flows = backends.map(
    (backend) =>
      new TenantFlow({
        repository,
        backend,
        admission,
        notifier,
        clock: systemClock,
        pollIntervalSeconds: config.waitSeconds,
        pollBudget: config.pollBudget,
        awaitSeconds,
        waker: flowWaker,
        ...(config.onRunNeedsAttention ? { onRunNeedsAttention: config.onRunNeedsAttention } : {}),
      }),
  );
  let turn = 0;
  /** The worker that runs the next task, in turn. */
  const flow = (): TenantFlow => flows[turn++ % flows.length] as TenantFlow;
  const bus = new LocalBus({
    journalPath: join(config.dataDir, 'executions.jsonl'),
    waitMs: config.waitSeconds * 1000,
    // The Admit task's own ask interval (config.queuedWaitSeconds near the queue's head, longer behind).
    queuedWaitMs: 'definition',
    ...(awaitSeconds > 0 ? { awaitRun: { waker: flowWaker, timeoutMs: awaitSeconds * 1000 } } : {}),
    tasks: {
      admit: taskHandler((i) => admission.admit(i)),
      trigger: taskHandler((i) => flow().trigger(i)),
      check: taskHandler((i) => flow().check(i)),
      awaitRun: taskHandler((i) => flow().awaitRun(i)),
      finalize: finalizeTask(flow),
    },
    onError: (record, error) =>
      io.warn(`execution ${record.executionId} crashed: ${(error as Error).message}`),
    warn: io.warn,
  });
  const requests = new TenantRequests({ repository, publisher: bus, clock: systemClock });
  // The module is read at start, as the runs read it: a changed module shows once the plane restarts.
  const currentModuleVersion = moduleVersion(
    (await buildModuleArchive(config.moduleDir)).contentHash,
    config.moduleVersionLabel,
  );
  const rolloutStore = new DynamoDbRolloutStore(clients.doc, TABLES.rollouts);
  const rolloutEngine = new LocalRolloutEngine({ waitMs: config.waitSeconds * 1000, warn: io.warn });
  const rollouts = new Rollouts({
    store: rolloutStore,
    tenants: repository,
    requests,
    starter: rolloutEngine,
    notifier,
    clock: systemClock,
    currentModuleVersion: () => Promise.resolve(currentModuleVersion),
    timings: {
      watchSeconds: config.waitSeconds,
      busySeconds: config.waitSeconds,
      ...(config.rolloutMaxBusyAttempts ? { maxBusyAttempts: config.rolloutMaxBusyAttempts } : {}),
    },
  });
  rolloutEngine.bind(rollouts);
  const api = makeTenantApi({
    rollouts,
    requests,
    clock: systemClock,
    runLink,
    tenantInputs: loadTenantInputs(config.moduleDir),
    fleet: { reader: repository, currentModuleVersion: () => Promise.resolve(currentModuleVersion) },
    idempotencyStore: new DynamoDBPersistenceLayer({
      tableName: TABLES.idempotency,
      awsSdkV3Client: clients.dynamodb,
    }),
  });
  // The local server's request timeout stands in for a Lambda's remaining time.
  api.registerContext({ getRemainingTimeInMillis: () => 30_000 } as Context);

  const runs = (await localRunner?.resume()) ?? 0;
  const executions = bus.resume();
  const resumedRollouts = await rolloutEngine.resume(rolloutStore);
  const log = { info: () => undefined, warn: (message: string) => io.warn(message) };
  const decommission = new Decommission({ repository, requests, clock: systemClock, log });
  const reconciler = new Reconciler({
    repository,
    publisher: bus,
    inspector: bus,
    clock: systemClock,
    log,
    admission,
  });
  const sweeps = [
    // Same schedules as in AWS: the decommission sweep daily (and once at start), the reconciler often.
    schedule(24 * 3600_000, true, async () => {
      const s = await decommission.run();
      if (s.started.length || s.failed.length) io.out(JSON.stringify({ decommission: s }));
    }),
    schedule(60_000, false, async () => {
      const s = await reconciler.run();
      if (s.republished.length || s.failed.length) io.out(JSON.stringify({ reconciler: s }));
    }),
  ].map((start) => start(io.warn));

  // Always served, like the function URL in AWS: without a valid signature it answers 401.
  const notificationReceiver = new RunNotifications({
    repository,
    waker: flowWaker,
    token: () => Promise.resolve(notificationToken),
    environment: config.environment,
    clock: systemClock,
    log: {
      info: () => undefined,
      warn: (message, attributes) =>
        io.warn(attributes ? `${message} ${JSON.stringify(attributes)}` : message),
    },
  });

  await hooks.beforeListen?.();
  const server = await startApiServer(
    api,
    {
      host: config.host,
      port: config.port,
      log: io.out,
      ops: {
        decommission: (options) => decommission.run(options),
        reconcile: () => reconciler.run(),
      },
      notifications: (request) => notificationReceiver.receive(request),
    },
    {
      openApi: buildOpenApiDocument(),
      ...(localRunner ? { runLog: (code, runId) => localRunner.runLog(code, runId) } : {}),
    },
  );
  serverUrl = server.url;

  return {
    url: server.url,
    dynamoDbEndpoint: dynamo.endpoint,
    backendName,
    moduleVersion: currentModuleVersion,
    resumed: { executions, runs, rollouts: resumedRollouts },
    bus,
    notificationToken,
    flowWaker,
    stop: async () => {
      // Abort flows and mark runs as interrupted first, synchronously: on Ctrl-C the terminal signals
      // DynamoDB Local and terraform too, and nothing that fails from here on may be recorded as ended.
      for (const stopSweep of sweeps) stopSweep();
      const rolloutsStopped = rolloutEngine.stop();
      const flowsStopped = bus.stop();
      const runsStopped = localRunner?.stop();
      await server.close();
      await rolloutsStopped;
      await flowsStopped;
      await runsStopped;
      await dynamo.stop();
      clients.dynamodb.destroy();
    },
  };
}
