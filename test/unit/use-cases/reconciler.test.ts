import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbTenantRepository } from '../../../lambdas/adapters/dynamodb/tenant-repository';
import type { Action } from '../../../lambdas/core/flows';
import type {
  ExecutionInspector,
  ExecutionStatus,
  LifecycleEvent,
  TerraformBackend,
} from '../../../lambdas/core/ports';
import { parseTenantCode, type TenantCode } from '../../../lambdas/core/tenant-code';
import { FLOW_LOST, Reconciler } from '../../../lambdas/use-cases/reconciler';
import { TenantFlow } from '../../../lambdas/use-cases/tenant-flow';
import { Admission } from '../../../lambdas/use-cases/admission';
import { flowConstants } from '../../../lambdas/core/flows';
import { MemoryAdmissionQueue } from '../../support/memory-admission-queue';
import { fixedClock, RecordingPublisher, tableSnapshot } from '../../support/api';
import { createTestTables, type TestTables } from '../../support/dynamodb';

const NOW = '2026-11-23T10:00:00.000Z';
const clock = fixedClock(NOW);
const REPUBLISH_AFTER = 600;
const FAIL_AFTER = 86_400;
const ago = (seconds: number) => new Date(Date.parse(NOW) - seconds * 1000).toISOString();

/** Answers what each execution id was set to; anything else does not exist. */
class FakeInspector implements ExecutionInspector {
  public readonly statuses = new Map<string, ExecutionStatus>();
  public readonly asked: string[] = [];

  public describe(executionId: string): Promise<ExecutionStatus> {
    this.asked.push(executionId);
    return Promise.resolve(this.statuses.get(executionId) ?? 'UNKNOWN');
  }
}

let tables: TestTables;
let repository: DynamoDbTenantRepository;
beforeEach(async () => {
  tables = await createTestTables();
  repository = new DynamoDbTenantRepository(tables.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
});
afterEach(() => tables.drop());

function reconcilerOver(options: { pageSize?: number; admission?: Admission } = {}) {
  const publisher = new RecordingPublisher();
  const inspector = new FakeInspector();
  const notified: LifecycleEvent[] = [];
  const reconciler = new Reconciler({
    repository,
    publisher,
    inspector,
    clock,
    notifier: { notify: (e) => Promise.resolve(void notified.push(e)) },
    republishAfterSeconds: REPUBLISH_AFTER,
    failAfterSeconds: FAIL_AFTER,
    ...options,
  });
  return { reconciler, publisher, inspector, notified };
}

let n = 0;

/**
 * A tenant left in `action`'s in-progress status by a request made `age` seconds ago, optionally claimed
 * by an execution (which may have recorded a Terraform run).
 */
async function stuck(
  action: Action,
  age: number,
  options: { claimedBy?: string; runId?: string; requestedBy?: string } = {},
) {
  const code = parseTenantCode(`rc-${n++}-${randomUUID().slice(0, 8)}`);
  const at = ago(age);
  let flowId = randomUUID();
  await repository.transition({
    tenantCode: code,
    action: 'create',
    flowId,
    requestedBy: 'api:seed',
    now: at,
    changes: {},
  });
  if (action !== 'create') {
    await repository.completeFlow(code, flowId, { status: 'ready', now: at });
    flowId = randomUUID();
    await repository.transition({
      tenantCode: code,
      action,
      flowId,
      requestedBy: options.requestedBy ?? 'api:alice',
      now: at,
      changes: {},
    });
  }
  if (options.claimedBy) await repository.claimFlow(code, flowId, options.claimedBy);
  if (options.runId)
    await repository.recordProgress(code, flowId, { workspaceId: 'ws-1', runId: options.runId }, at);
  return { code, flowId };
}

async function claimOf(code: TenantCode): Promise<unknown> {
  const out = await tables.doc.send(
    new GetCommand({ TableName: tables.tenantTable, Key: { tenantCode: code }, ConsistentRead: true }),
  );
  return out.Item?.claimedBy;
}

describe('Reconciler', () => {
  describe('a flow no execution picked up (event never published, dead-lettered or not delivered)', () => {
    it('publishes the request again, same flowId, once older than republishAfterSeconds', async () => {
      const { code, flowId } = await stuck('create', REPUBLISH_AFTER + 60, { requestedBy: 'api:seed' });
      const before = await tableSnapshot(tables);
      const { reconciler, publisher, inspector } = reconcilerOver();

      const summary = await reconciler.run();

      expect(summary).toEqual({ examined: 1, republished: [code], failed: [], left: [], errors: [] });
      expect(publisher.events).toEqual([
        { action: 'create', detail: { tenantCode: code, flowId, requestedBy: 'api:seed', requestedAt: NOW } },
      ]);
      expect(inspector.asked).toEqual([]);
      expect(await tableSnapshot(tables)).toEqual(before);
    });

    it("republishes each dead-lettered event on its own action's bus, across pages", async () => {
      const update = await stuck('update', 3600, { requestedBy: 'api:bob' });
      const remove = await stuck('delete', 7200, { requestedBy: 'system' });
      const create = await stuck('create', 1800);
      await stuck('create', 30);
      const { reconciler, publisher } = reconcilerOver({ pageSize: 1 });

      const summary = await reconciler.run();

      expect(summary.examined).toBe(4);
      expect([...summary.republished].sort()).toEqual([update.code, remove.code, create.code].sort());
      expect(
        publisher.events.map((e) => [e.action, e.detail.tenantCode, e.detail.flowId, e.detail.requestedBy]),
      ).toEqual(
        expect.arrayContaining([
          ['update', update.code, update.flowId, 'api:bob'],
          ['delete', remove.code, remove.flowId, 'system'],
          ['create', create.code, create.flowId, 'api:seed'],
        ]),
      );
      expect(publisher.events).toHaveLength(3);
    });

    it('leaves a young unclaimed tenant alone: its event may still be on its way', async () => {
      const { code } = await stuck('update', REPUBLISH_AFTER - 60);
      const before = await tableSnapshot(tables);
      const { reconciler, publisher, inspector } = reconcilerOver();

      const summary = await reconciler.run();

      expect(summary).toEqual({
        examined: 1,
        republished: [],
        failed: [],
        left: [{ tenantCode: code, reason: 'awaiting-delivery' }],
        errors: [],
      });
      expect(publisher.events).toEqual([]);
      expect(inspector.asked).toEqual([]);
      expect(await tableSnapshot(tables)).toEqual(before);
    });

    it('marks it failed with a reason once older than failAfterSeconds', async () => {
      const { code, flowId } = await stuck('delete', FAIL_AFTER + 60);
      const { reconciler, publisher, notified } = reconcilerOver();

      const summary = await reconciler.run();

      expect(summary.failed).toEqual([code]);
      expect(publisher.events).toEqual([]);
      const row = await repository.get(code);
      expect(row).toMatchObject({ status: 'failed', flowId, lastError: { code: FLOW_LOST, at: NOW } });
      expect(row?.lastError?.message).toMatch(/no execution ever picked up the delete request/);
      expect(row?.lastError?.message).toMatch(/dead-letter queue/);
      expect(notified).toEqual([
        expect.objectContaining({
          event: 'TenantFailed',
          tenantCode: code,
          action: 'delete',
          status: 'failed',
        }),
      ]);
    });
  });

  describe('a flow whose execution ended without recording a result', () => {
    it.each<ExecutionStatus>(['ABORTED', 'TIMED_OUT', 'FAILED', 'UNKNOWN'])(
      'clears the dead claim (%s) and republishes, so a new execution carries on with the same run',
      async (status) => {
        const dead = `arn:aws:states:eu-west-1:123456789012:execution:update:${randomUUID()}`;
        const { code, flowId } = await stuck('update', 1800, { claimedBy: dead, runId: 'run-1' });
        const { reconciler, publisher, inspector } = reconcilerOver();
        inspector.statuses.set(dead, status);

        const summary = await reconciler.run();

        expect(summary.republished).toEqual([code]);
        expect(inspector.asked).toEqual([dead]);
        expect(await claimOf(code)).toBeUndefined();
        expect(publisher.events).toEqual([
          {
            action: 'update',
            detail: { tenantCode: code, flowId, requestedBy: 'api:alice', requestedAt: NOW },
          },
        ]);
        const startRun = jest.fn<ReturnType<TerraformBackend['startRun']>, []>();
        const flow = new TenantFlow({
          repository,
          backend: { startRun } as unknown as TerraformBackend,
          notifier: { notify: () => Promise.resolve() },
          clock,
          pollIntervalSeconds: 1,
          pollBudget: 1,
        });
        const run = await flow.trigger({
          tenantCode: code,
          flowId,
          flow: { action: 'update', destroy: false, successStatus: 'ready', successEvent: 'TenantReady' },
          executionId: 'arn:exec:new',
        });
        expect(run).toMatchObject({ duplicate: false, runId: 'run-1', outcome: 'running' });
        expect(startRun).not.toHaveBeenCalled();
      },
    );

    it('marks it failed with a reason naming the execution once older than failAfterSeconds', async () => {
      const dead = 'arn:aws:states:eu-west-1:123456789012:execution:create:abc';
      const { code } = await stuck('create', FAIL_AFTER + 1, { claimedBy: dead, runId: 'run-9' });
      const { reconciler, publisher, inspector } = reconcilerOver();
      inspector.statuses.set(dead, 'TIMED_OUT');

      const summary = await reconciler.run();

      expect(summary).toMatchObject({ examined: 1, republished: [], failed: [code], errors: [] });
      expect(publisher.events).toEqual([]);
      const row = await repository.get(code);
      expect(row).toMatchObject({ status: 'failed', runId: 'run-9', lastError: { code: FLOW_LOST } });
      expect(row?.lastError?.message).toContain(`execution ${dead} ended TIMED_OUT`);
      expect(row?.lastError?.message).toContain('Terraform run run-9');
      expect(row?.lastError?.message).toContain('retry with an update');
    });
  });

  it('never touches a running execution, however old the tenant', async () => {
    const live = 'arn:aws:states:eu-west-1:123456789012:execution:delete:live';
    const { code } = await stuck('delete', FAIL_AFTER * 3, { claimedBy: live });
    const before = await tableSnapshot(tables);
    const { reconciler, publisher, inspector } = reconcilerOver();
    inspector.statuses.set(live, 'RUNNING');

    const summary = await reconciler.run();

    expect(summary.left).toEqual([{ tenantCode: code, reason: 'running' }]);
    expect(summary).toMatchObject({ republished: [], failed: [] });
    expect(publisher.events).toEqual([]);
    expect(await tableSnapshot(tables)).toEqual(before);
  });

  it('leaves a row that moved on between the index read and the write', async () => {
    const dead = 'arn:exec:dead';
    const { code, flowId } = await stuck('create', 1800, { claimedBy: dead });
    const list = repository.listInProgress.bind(repository);
    jest.spyOn(repository, 'listInProgress').mockImplementationOnce(async (...args) => {
      const page = await list(...args);
      await repository.completeFlow(code, flowId, { status: 'ready', now: NOW });
      return page;
    });
    const { reconciler, publisher, inspector } = reconcilerOver();
    inspector.statuses.set(dead, 'SUCCEEDED');

    const summary = await reconciler.run();

    expect(summary.left).toEqual([{ tenantCode: code, reason: 'moved-on' }]);
    expect(publisher.events).toEqual([]);
    expect(await claimOf(code)).toBe(dead);
  });

  it('ignores terminal tenants', async () => {
    const { code, flowId } = await stuck('create', FAIL_AFTER * 2);
    await repository.completeFlow(code, flowId, { status: 'ready', now: NOW });
    const { reconciler } = reconcilerOver();

    expect(await reconciler.run()).toEqual({
      examined: 0,
      republished: [],
      failed: [],
      left: [],
      errors: [],
    });
  });

  it('reports a republish that could not be sent and sends it on the next run', async () => {
    const dead = 'arn:exec:dead';
    const { code, flowId } = await stuck('update', 1800, { claimedBy: dead });
    const { reconciler, publisher, inspector } = reconcilerOver();
    inspector.statuses.set(dead, 'ABORTED');
    publisher.failNext = 1;

    const first = await reconciler.run();
    const second = await reconciler.run();

    expect(first.errors).toEqual([
      { tenantCode: code, error: expect.stringContaining('PutEvents') as string },
    ]);
    expect(second.republished).toEqual([code]);
    expect(publisher.events.map((e) => e.detail.flowId)).toEqual([flowId]);
  });

  it('refuses a fail age that is not longer than the republish age', () => {
    expect(
      () =>
        new Reconciler({
          repository,
          publisher: new RecordingPublisher(),
          inspector: new FakeInspector(),
          clock,
          republishAfterSeconds: 600,
          failAfterSeconds: 600,
        }),
    ).toThrow(RangeError);
  });

  describe('run slots (admission control)', () => {
    function withAdmission() {
      const queue = new MemoryAdmissionQueue();
      const admission = new Admission({ queue, repository, clock, maxConcurrentRuns: 10, waitSeconds: 20 });
      const { reconciler, inspector } = reconcilerOver({ admission });
      return { queue, admission, reconciler, inspector };
    }

    it('frees the slot of a flow it fails, and of a holder whose tenant moved on, but not of a live one', async () => {
      const { queue, admission, reconciler, inspector } = withAdmission();
      const lost = await stuck('create', FAIL_AFTER + 60, { claimedBy: 'exec-dead' });
      const live = await stuck('update', 60, { claimedBy: 'exec-live' });
      await admission.admit({
        tenantCode: lost.code,
        flowId: lost.flowId,
        flow: flowConstants('create'),
        executionId: 'exec-dead',
      });
      await admission.admit({
        tenantCode: live.code,
        flowId: live.flowId,
        flow: flowConstants('update'),
        executionId: 'exec-live',
      });
      const orphan = await queue.enqueue('flow-of-a-gone-tenant', 'gone-tenant', NOW);
      await queue.admit(orphan, 10, NOW);
      inspector.statuses.set('exec-live', 'RUNNING');

      const summary = await reconciler.run();

      expect(summary.failed).toEqual([lost.code]);
      expect([...(summary.releasedSlots ?? [])].sort()).toEqual(
        [lost.flowId, 'flow-of-a-gone-tenant'].sort(),
      );
      expect((await queue.holders()).map((e) => e.flowId)).toEqual([live.flowId]);
    });
  });
});
