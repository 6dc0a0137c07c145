import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbRolloutStore } from '../../lambdas/adapters/dynamodb/rollout-store';
import { buildModuleArchive } from '../../lambdas/adapters/tfc/module-archive';
import { moduleVersion } from '../../lambdas/core/module-version';
import { systemClock, type LifecycleEvent, type RolloutEvent } from '../../lambdas/core/ports';
import type { RolloutView } from '../../lambdas/core/rollout';
import { parseTenantCode, type TenantCode } from '../../lambdas/core/tenant-code';
import { LocalBus } from '../../lambdas/local/event-bus';
import { LocalRolloutEngine } from '../../lambdas/local/rollout-engine';
import { Rollouts } from '../../lambdas/use-cases/rollouts';
import { TenantRequests } from '../../lambdas/use-cases/tenant-requests';
import { createTestTables, type TestTables } from '../support/dynamodb';
import { flowHarness, MODULE_DIR } from '../support/flow-harness';
import { startTfcFake, type TfcFake } from '../support/tfc-fake/server';

const OLD_VERSION = 'old000000000';

let tables: TestTables;
let fake: TfcFake;
let current: string;
/** Workspaces whose runs error: a failure injected into chosen tenants. */
const failing = new Set<string>();
beforeAll(async () => {
  tables = await createTestTables();
  fake = await startTfcFake({
    organization: 'acme',
    token: 'tfc-test-token-123',
    runDurationMs: 150,
    uploadProcessingMs: 20,
    outputsProcessingMs: 20,
    rateLimitPerSecond: 10_000,
    runOutcome: (workspace) =>
      [...failing].some((code) => workspace.name.endsWith(`-${code}`)) ? 'errored' : undefined,
  });
  current = moduleVersion((await buildModuleArchive(MODULE_DIR)).contentHash);
});
afterAll(async () => {
  await fake.close();
  await tables.drop();
});

class Recorder {
  public readonly tenantEvents: LifecycleEvent[] = [];
  public readonly rolloutEvents: RolloutEvent[] = [];
  public async notify(event: LifecycleEvent): Promise<void> {
    await Promise.resolve();
    this.tenantEvents.push(event);
  }
  public async notifyRollout(event: RolloutEvent): Promise<void> {
    await Promise.resolve();
    this.rolloutEvents.push(event);
  }
}

/** The real update flows (local bus running the tenant flow ASL) and the real rollout ASL over DynamoDB Local. */
function rolloutHarness(options: { maxBusyAttempts?: number } = {}) {
  const h = flowHarness(tables, fake);
  const dir = mkdtempSync(join(tmpdir(), 'rollout-'));
  const recorder = new Recorder();
  const requestedAt = new Map<string, number>();
  const bus = new LocalBus({
    journalPath: join(dir, 'executions.jsonl'),
    waitMs: 20,
    tasks: h.tasks,
  });
  const publisher = {
    publish: async (...args: Parameters<LocalBus['publish']>) => {
      if (args[0] === 'update') requestedAt.set(args[1].tenantCode, Date.now());
      await bus.publish(...args);
    },
  };
  const requests = new TenantRequests({ repository: h.repository, publisher, clock: systemClock });
  const store = new DynamoDbRolloutStore(tables.doc, tables.rolloutTable);
  const engine = new LocalRolloutEngine({ waitMs: 20, retryMs: 20, warn: (l) => console.error(l) });
  // The tenant flows' own lifecycle events, with the time each update ended.
  const endedAt = new Map<string, number>();
  const rollouts = new Rollouts({
    store,
    tenants: h.repository,
    requests,
    starter: engine,
    notifier: recorder,
    clock: systemClock,
    currentModuleVersion: () => Promise.resolve(current),
    timings: { watchSeconds: 1, busySeconds: 1, maxBusyAttempts: options.maxBusyAttempts ?? 10 },
  });
  engine.bind(rollouts);

  /** Creates ready tenants on an older module version. */
  async function readyTenants(prefix: string, count: number): Promise<TenantCode[]> {
    const codes = Array.from({ length: count }, (_, i) =>
      parseTenantCode(`${prefix}-${String(i).padStart(2, '0')}`),
    );
    for (const code of codes) await requests.create({ tenantCode: code }, 'api:test');
    await bus.drain();
    for (const code of codes) {
      await tables.doc.send(
        new UpdateCommand({
          TableName: tables.tenantTable,
          Key: { tenantCode: code },
          UpdateExpression: 'SET moduleVersion = :old',
          ExpressionAttributeValues: { ':old': OLD_VERSION },
        }),
      );
    }
    return codes;
  }

  /** Waits until the rollout's executions and the flows they started have all ended. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await engine.drain();
      await bus.drain();
    }
  }

  /** Most tenants of `codes` updating at once: from each update's request to its end. */
  async function peakUpdating(codes: readonly TenantCode[]): Promise<number> {
    const points: { at: number; delta: number }[] = [];
    for (const code of codes) {
      const start = requestedAt.get(code);
      if (start === undefined) continue;
      const history = await h.repository.listHistory(code, { limit: 100 });
      const end = history.items.find(
        (i) =>
          i.kind === 'status' && (i.to === 'ready' || i.to === 'failed') && Date.parse(i.at) >= start - 5,
      );
      endedAt.set(code, end ? Date.parse(end.at) : Number.POSITIVE_INFINITY);
      points.push({ at: start, delta: 1 }, { at: endedAt.get(code) ?? Number.POSITIVE_INFINITY, delta: -1 });
    }
    points.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let now = 0;
    let peak = 0;
    for (const p of points) {
      now += p.delta;
      peak = Math.max(peak, now);
    }
    return peak;
  }

  return {
    ...h,
    requests,
    rollouts,
    store,
    engine,
    bus,
    recorder,
    requestedAt,
    endedAt,
    readyTenants,
    settle,
    peakUpdating,
    dir,
  };
}

const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('fleet rollouts over the real state machines (rollout and tenant flow ASL, DynamoDB Local, TFC fake)', () => {
  it('runs the canary alone, then the rest at most maxConcurrent at once, each through its update flow', async () => {
    const r = rolloutHarness();
    cleanups.push(r.dir);
    const codes = await r.readyTenants('ro-a', 10);
    const started = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 3, canary: 2, maxFailures: 0 },
      'api:ops',
    );
    expect(started).toMatchObject({
      status: 'running',
      moduleVersion: current,
      counts: { total: 10, pending: 10 },
    });
    await r.settle();

    const done = await r.rollouts.get(started.rolloutId);
    expect(done).toMatchObject({
      status: 'completed',
      counts: { total: 10, pending: 0, inProgress: 0, succeeded: 10, failed: 0, skipped: 0 },
      failures: [],
    });
    expect(done.endedAt).not.toBeNull();
    for (const code of codes) {
      const tenant = await r.repository.get(code);
      expect(tenant).toMatchObject({
        status: 'ready',
        moduleVersion: current,
        requestedBy: `rollout:${started.rolloutId}`,
      });
    }
    expect(await r.peakUpdating(codes)).toBeLessThanOrEqual(3);
    // The canary (the first two codes) ended before any other tenant was asked to update.
    const canaryEnd = Math.max(...codes.slice(0, 2).map((c) => r.endedAt.get(c) ?? Infinity));
    const restStart = Math.min(...codes.slice(2).map((c) => r.requestedAt.get(c) ?? 0));
    expect(canaryEnd).toBeLessThanOrEqual(restStart);
    expect(r.recorder.rolloutEvents.map((e) => e.event)).toEqual(['RolloutStarted', 'RolloutCompleted']);
    // The module version is free again.
    const again = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 3, canary: 1, maxFailures: 0 },
      'api:ops',
    );
    await r.settle();
    expect(await r.rollouts.get(again.rolloutId)).toMatchObject({
      status: 'completed',
      counts: { skipped: 10 },
    });
  });

  it('halts on a canary failure with every other tenant untouched, and completes on resume after the fix', async () => {
    const r = rolloutHarness();
    cleanups.push(r.dir);
    const codes = await r.readyTenants('ro-b', 6);
    failing.add(codes[0] as string);
    const started = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 3, canary: 1, maxFailures: 0 },
      'api:ops',
    );
    await r.settle();
    const halted = await r.rollouts.get(started.rolloutId);
    expect(halted).toMatchObject({ status: 'halted', counts: { failed: 1, pending: 5, succeeded: 0 } });
    expect(halted.haltReason).toContain(codes[0]);
    expect(halted.failures[0]).toMatchObject({ tenantCode: codes[0] });
    for (const code of codes.slice(1)) {
      expect(await r.repository.get(code)).toMatchObject({
        status: 'ready',
        moduleVersion: OLD_VERSION,
        requestedBy: 'api:test',
      });
    }
    expect(r.recorder.rolloutEvents.map((e) => e.event)).toEqual(['RolloutStarted', 'RolloutHalted']);
    // Another rollout of the version waits for this one.
    await expect(
      r.rollouts.create({ maxConcurrent: 1, canary: 1, maxFailures: 0 }, 'api:ops'),
    ).rejects.toThrow(/is halted/);

    failing.clear();
    await r.rollouts.command(started.rolloutId, 'resume');
    await r.settle();
    const completed = await r.rollouts.get(started.rolloutId);
    expect(completed).toMatchObject({
      status: 'completed',
      counts: { succeeded: 6, failed: 0, pending: 0 },
      failures: [],
    });
    for (const code of codes)
      expect(await r.repository.get(code)).toMatchObject({ status: 'ready', moduleVersion: current });
  });

  it('pause stops new starts and resume goes on; cancel leaves every tenant terminal and frees the version', async () => {
    const r = rolloutHarness();
    cleanups.push(r.dir);
    const codes = await r.readyTenants('ro-c', 8);
    const started = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 2, canary: 0, maxFailures: 0 },
      'api:ops',
    );
    await r.rollouts.command(started.rolloutId, 'pause');
    await r.settle();
    const paused = await r.rollouts.get(started.rolloutId);
    expect(paused.status).toBe('paused');
    expect(paused.counts.inProgress).toBe(0);
    // At most the first wave had started.
    expect(paused.counts.succeeded).toBeLessThanOrEqual(2);
    await expect(r.rollouts.command(started.rolloutId, 'pause')).rejects.toThrow(/while it is paused/);

    await r.rollouts.command(started.rolloutId, 'resume');
    await r.rollouts.command(started.rolloutId, 'cancel');
    await r.settle();
    const canceled = await r.rollouts.get(started.rolloutId);
    expect(canceled.status).toBe('canceled');
    expect(canceled.endedAt).not.toBeNull();
    expect(canceled.counts.inProgress + canceled.counts.pending).toBe(0);
    expect(canceled.counts.succeeded + canceled.counts.skipped).toBe(8);
    for (const code of codes) expect(['ready', 'failed']).toContain((await r.repository.get(code))?.status);
    await expect(r.rollouts.command(started.rolloutId, 'resume')).rejects.toThrow(/while it is canceled/);
    const next = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 5, canary: 0, maxFailures: 0 },
      'api:ops',
    );
    await r.settle();
    expect((await r.rollouts.get(next.rolloutId)).status).toBe('completed');
  });

  it('skips tenants deleted meanwhile and tenants busy with another request throughout', async () => {
    const r = rolloutHarness({ maxBusyAttempts: 2 });
    cleanups.push(r.dir);
    const codes = await r.readyTenants('ro-d', 4);
    const busy = codes[0] as TenantCode;
    const gone = codes[3] as TenantCode;
    const setStatus = (code: TenantCode, status: string) =>
      tables.doc.send(
        new UpdateCommand({
          TableName: tables.tenantTable,
          Key: { tenantCode: code },
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status },
        }),
      );
    // One tenant stays in an update no flow finishes; the last one is deleted once the rollout has begun.
    await setStatus(busy, 'updating');
    const started = await r.rollouts.create(
      { maxConcurrent: 1, canary: 0, maxFailures: 0, selector: { tenantCodes: codes } },
      'api:ops',
    );
    await setStatus(gone, 'deleted');
    await r.settle();
    const done = await r.rollouts.get(started.rolloutId);
    expect(done).toMatchObject({ status: 'completed', counts: { total: 4, succeeded: 2, skipped: 2 } });
    const reasons = Object.fromEntries(done.skipped.map((n) => [n.tenantCode, n.reason]));
    expect(reasons[busy]).toMatch(/updating/);
    expect(reasons[gone]).toBe('deleted');
    expect(await r.repository.get(gone)).toMatchObject({ status: 'deleted' });
    await expect(
      r.rollouts.create(
        { maxConcurrent: 2, canary: 0, maxFailures: 0, selector: { tenantCodes: [gone] } },
        'api:ops',
      ),
    ).rejects.toThrow(/do not exist/);
  });

  it('survives a stop of its engine: a new engine resumes from the record', async () => {
    const r = rolloutHarness();
    cleanups.push(r.dir);
    const codes = await r.readyTenants('ro-e', 6);
    const started = await r.rollouts.create(
      { selector: { tenantCodes: codes }, maxConcurrent: 2, canary: 1, maxFailures: 0 },
      'api:ops',
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    await r.engine.stop();
    await r.bus.drain();
    const mid: RolloutView = await r.rollouts.get(started.rolloutId);
    expect(mid.status).toBe('running');

    const engine = new LocalRolloutEngine({ waitMs: 20, retryMs: 20, warn: (l) => console.error(l) });
    const rollouts = new Rollouts({
      store: r.store,
      tenants: r.repository,
      requests: r.requests,
      starter: engine,
      notifier: r.recorder,
      clock: systemClock,
      currentModuleVersion: () => Promise.resolve(current),
      timings: { watchSeconds: 1, busySeconds: 1, maxBusyAttempts: 10 },
    });
    engine.bind(rollouts);
    expect(await engine.resume(r.store)).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 3; i++) {
      await engine.drain();
      await r.bus.drain();
    }
    expect(await rollouts.get(started.rolloutId)).toMatchObject({
      status: 'completed',
      counts: { succeeded: 6 },
    });
  });
});
