import { randomUUID } from 'node:crypto';
import { TfcTerraformBackend } from '../../lambdas/adapters/tfc/backend';
import { TfcClient, type RetryOptions } from '../../lambdas/adapters/tfc/client';
import type { NotificationTarget } from '../../lambdas/adapters/tfc/notification-registration';
import { staticTokenProvider } from '../../lambdas/adapters/tfc/token';
import { DynamoDbAdmissionQueue } from '../../lambdas/adapters/dynamodb/admission-queue';
import { DynamoDbTenantRepository } from '../../lambdas/adapters/dynamodb/tenant-repository';
import { flowInput, type Action, type TenantRequestDetail } from '../../lambdas/core/flows';
import {
  systemClock,
  type LifecycleEvent,
  type LifecycleNotifier,
  type TerraformBackend,
} from '../../lambdas/core/ports';
import type { RunNeedsAttentionAction } from '../../lambdas/core/run-status';
import { finalizeTask, taskHandler } from '../../lambdas/handlers/flow/wiring';
import { LocalFlowWaker } from '../../lambdas/local/flow-waker';
import { executeFlow, type FlowTasks } from '../../lambdas/local/state-machine';
import { Admission } from '../../lambdas/use-cases/admission';
import { TenantFlow } from '../../lambdas/use-cases/tenant-flow';
import { TenantRequests } from '../../lambdas/use-cases/tenant-requests';
import type { TestTables } from './dynamodb';
import { RecordingPublisher } from './api';
import type { TfcFake } from './tfc-fake/server';

export class RecordingNotifier implements LifecycleNotifier {
  public readonly events: LifecycleEvent[] = [];
  public async notify(event: LifecycleEvent): Promise<void> {
    await Promise.resolve();
    this.events.push(event);
  }
}

export const MODULE_DIR = 'terraform-module/local';
export const ENVIRONMENT = 'test';

/**
 * The real flow over real adapters: DynamoDB Local, the TFC client over HTTP to the TFC fake, and the
 * real ASL file executed by aws-local-stepfunctions. Only the SNS notifier and bus are recorded.
 */
export interface FlowHarnessOptions {
  pollBudget?: number;
  /** Wraps the TFC backend, e.g. to simulate a crash right after a call succeeded. */
  wrapBackend?: (backend: TerraformBackend) => TerraformBackend;
  onRunNeedsAttention?: RunNeedsAttentionAction;
  /** Admission control: runs in flight at once. @default 10 */
  maxConcurrentRuns?: number;
  /** The TFC client's retries. @default 6 attempts, 5–50 ms apart */
  retry?: RetryOptions;
  /** Registers a run notification configuration for this receiver. @default none */
  notifications?: NotificationTarget;
  /**
   * Flows wait in AwaitRun for their run's notification (woken through `waker`), up to `timeoutMs`
   * before falling back to polling. @default none: flows poll
   */
  awaitRun?: { timeoutMs: number };
}

export function flowHarness(tables: TestTables, fake: TfcFake, options: FlowHarnessOptions = {}) {
  const repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
  const admissionQueue = new DynamoDbAdmissionQueue(tables.doc, tables.coordinationTable);
  const admission = new Admission({
    queue: admissionQueue,
    repository,
    clock: systemClock,
    maxConcurrentRuns: options.maxConcurrentRuns ?? 10,
    waitSeconds: 1,
  });
  const client = new TfcClient({
    address: fake.url,
    organization: fake.organization,
    token: staticTokenProvider(fake.token),
    retry: options.retry ?? { maxAttempts: 6, baseDelayMs: 5, maxDelayMs: 50 },
    configurationVersionPoll: { attempts: 50, intervalMs: 10 },
  });
  const backend = new TfcTerraformBackend(client, {
    address: fake.url,
    organization: fake.organization,
    environment: ENVIRONMENT,
    moduleDir: MODULE_DIR,
    ...(options.notifications ? { notifications: options.notifications } : {}),
  });
  const notifier = new RecordingNotifier();
  const publisher = new RecordingPublisher();
  const waker = new LocalFlowWaker();
  const flow = new TenantFlow({
    repository,
    backend: options.wrapBackend ? options.wrapBackend(backend) : backend,
    notifier,
    clock: systemClock,
    admission,
    pollIntervalSeconds: 1,
    pollBudget: options.pollBudget ?? 200,
    // Any positive value: locally the wait lasts `awaitRun.timeoutMs`.
    awaitSeconds: options.awaitRun ? 1 : 0,
    waker,
    ...(options.onRunNeedsAttention ? { onRunNeedsAttention: options.onRunNeedsAttention } : {}),
  });
  const tasks: FlowTasks = {
    admit: taskHandler((i) => admission.admit(i)),
    trigger: taskHandler((i) => flow.trigger(i)),
    check: taskHandler((i) => flow.check(i)),
    awaitRun: taskHandler((i) => flow.awaitRun(i)),
    finalize: finalizeTask(() => flow),
  };
  const requests = new TenantRequests({ repository, publisher, clock: systemClock });

  /** Runs one execution for a published request event, as the bus rule would start it. */
  const execute = (action: Action, detail: TenantRequestDetail, executionId = `exec-${randomUUID()}`) =>
    executeFlow(flowInput(action, detail), tasks, {
      executionId,
      waitMs: 20,
      retryMs: 20,
      ...(options.awaitRun ? { awaitRun: { waker, timeoutMs: options.awaitRun.timeoutMs } } : {}),
    });

  /** Runs the execution of the last published event. */
  const executeLast = () => {
    const last = publisher.events.at(-1);
    if (!last) throw new Error('no event was published');
    return execute(last.action, last.detail);
  };

  return {
    repository,
    admission,
    admissionQueue,
    client,
    backend,
    notifier,
    publisher,
    flow,
    tasks,
    waker,
    requests,
    execute,
    executeLast,
  };
}

/** One process's flow harness: its own clients and caches over the shared tables and fake. */
export type FlowHarness = ReturnType<typeof flowHarness>;
