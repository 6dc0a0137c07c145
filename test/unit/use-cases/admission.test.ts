import { flowConstants } from '../../../lambdas/core/flows';
import type { Clock, RunProgress, TenantRepository } from '../../../lambdas/core/ports';
import type { Tenant } from '../../../lambdas/core/tenant';
import type { TenantCode } from '../../../lambdas/core/tenant-code';
import type { AdmitRequest } from '../../../lambdas/core/flow-state';
import { Admission, askAgainIn } from '../../../lambdas/use-cases/admission';
import { MemoryAdmissionQueue } from '../../support/memory-admission-queue';

/** A clock the test moves. */
class TestClock implements Clock {
  public ms = Date.parse('2026-12-01T10:00:00.000Z');
  public now(): Date {
    return new Date(this.ms);
  }
  public advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** The two repository calls admission makes: the claim (first execution wins) and progress writes. */
class FakeRepository implements Pick<TenantRepository, 'claimFlow' | 'recordProgress'> {
  public readonly claims = new Map<string, string>();
  public readonly progress: Array<{ code: string; flowId: string; progress: RunProgress }> = [];

  public claimFlow(code: TenantCode, flowId: string, executionId: string) {
    const holder = this.claims.get(flowId) ?? executionId;
    this.claims.set(flowId, holder);
    return Promise.resolve({
      claimed: holder === executionId,
      tenant: { tenantCode: code, flowId } as Tenant,
    });
  }

  public recordProgress(code: TenantCode, flowId: string, progress: RunProgress): Promise<void> {
    this.progress.push({ code, flowId, progress });
    return Promise.resolve();
  }
}

const CAP = 3;

function setup(options: { staleAfterSeconds?: number } = {}) {
  const queue = new MemoryAdmissionQueue();
  const repository = new FakeRepository();
  const clock = new TestClock();
  const admission = new Admission({
    queue,
    repository,
    clock,
    maxConcurrentRuns: CAP,
    waitSeconds: 20,
    ...options,
  });
  return { queue, repository, clock, admission };
}

const input = (i: number, executionId = `exec-${i}`): AdmitRequest => ({
  tenantCode: `tenant-${i}`,
  flowId: `flow-${i}`,
  flow: flowConstants(i % 3 === 0 ? 'delete' : 'create'),
  executionId,
});

describe('admission control', () => {
  it('asks again once per round of slots a waiting flow is behind, at most 4 intervals apart', () => {
    expect([0, 2, 3, 5, 6, 9, 12, 500].map((ahead) => askAgainIn(20, ahead, 3))).toEqual([
      20, 20, 40, 40, 60, 80, 80, 80,
    ]);
  });

  it('a flow far back in the queue is told to ask less often than the head', async () => {
    const { admission } = setup();
    const answers = [];
    for (let i = 1; i <= 12; i += 1) answers.push(await admission.admit(input(i)));

    // Three admitted; the queue is flows 4..12: 0..8 flows ahead of each.
    expect(answers.slice(3).map((a) => a.waitSeconds)).toEqual([20, 20, 20, 40, 40, 40, 60, 60, 60]);
    // The head still asks every interval and is admitted first when a slot frees.
    await admission.release('flow-1');
    expect(await admission.admit(input(4))).toMatchObject({ admitted: true });
  });

  it('admits flows up to the cap at once and queues the rest, showing them as queued', async () => {
    const { admission, queue, repository } = setup();

    const answers = [];
    for (let i = 1; i <= 5; i += 1) answers.push(await admission.admit(input(i)));

    expect(answers.map((a) => a.admitted)).toEqual([true, true, true, false, false]);
    expect(answers[3]).toEqual({ duplicate: false, admitted: false, waitSeconds: 20, ticket: 4 });
    expect(queue.held).toBe(CAP);
    // Only the queued flows touch their tenant row: it shows when they joined the queue.
    expect(repository.progress).toEqual([
      { code: 'tenant-4', flowId: 'flow-4', progress: { queuedAt: '2026-12-01T10:00:00.000Z' } },
      { code: 'tenant-5', flowId: 'flow-5', progress: { queuedAt: '2026-12-01T10:00:00.000Z' } },
    ]);
  });

  it('hands freed slots out in ticket order (FIFO), whichever waiting flow asks', async () => {
    const { admission, queue, repository } = setup();
    for (let i = 1; i <= 7; i += 1) await admission.admit(input(i));

    await admission.release('flow-2');
    // The last in the queue asks first: the slot still goes to the head of the queue.
    expect(await admission.admit(input(7))).toMatchObject({ admitted: false });
    expect((await queue.get('flow-4'))?.state).toBe('admitted');
    expect(await admission.admit(input(4))).toMatchObject({ admitted: true });
    // Admitted on a later ask: the tenant no longer shows as queued.
    expect(repository.progress.at(-1)).toEqual({
      code: 'tenant-4',
      flowId: 'flow-4',
      progress: { queuedAt: null },
    });

    await admission.release('flow-1');
    await admission.release('flow-3');
    await admission.admit(input(6));
    const admitted = [...queue.entries.values()]
      .filter((e) => e.admittedAt !== undefined)
      .sort((a, b) => a.ticket - b.ticket)
      .map((e) => e.flowId);
    expect(admitted).toEqual(['flow-1', 'flow-2', 'flow-3', 'flow-4', 'flow-5', 'flow-6']);
    expect((await queue.get('flow-7'))?.state).toBe('waiting');
    expect(queue.held).toBe(CAP);
  });

  it('never gives one flow two slots or two tickets: retries and its own later asks find what it has', async () => {
    const { admission, queue } = setup();
    await admission.admit(input(1));
    await admission.admit(input(1));
    for (let i = 2; i <= 4; i += 1) await admission.admit(input(i));
    await admission.admit(input(4));
    await admission.admit(input(4));

    expect(queue.held).toBe(CAP);
    expect((await queue.get('flow-4'))?.ticket).toBe(4);
    expect(queue.entries.size).toBe(4);
  });

  it('ends a duplicated event’s execution without a slot or a ticket', async () => {
    const { admission, queue } = setup();
    await admission.admit(input(1, 'exec-first'));

    expect(await admission.admit(input(1, 'exec-duplicate'))).toEqual({
      duplicate: true,
      admitted: false,
      waitSeconds: 20,
    });
    expect(queue.held).toBe(1);
    expect(queue.entries.size).toBe(1);
  });

  it('lets a late retry of a finished flow pass without taking a slot', async () => {
    const { admission, queue } = setup();
    await admission.admit(input(1));
    await admission.release('flow-1');

    expect(await admission.admit(input(1))).toMatchObject({ admitted: true });
    expect(queue.held).toBe(0);
  });

  it('drops waiting flows that stopped asking, so a dead execution never holds the head of the queue', async () => {
    const { admission, queue, clock } = setup({ staleAfterSeconds: 100 });
    for (let i = 1; i <= 6; i += 1) await admission.admit(input(i));
    clock.advance(60);
    await admission.admit(input(5)); // flow-5 keeps asking; flow-4 and flow-6 went quiet
    clock.advance(60);
    await admission.release('flow-1');

    await admission.admit(input(5));

    expect((await queue.get('flow-4'))?.state).toBe('dropped');
    expect((await queue.get('flow-5'))?.state).toBe('admitted');
    expect((await queue.get('flow-6'))?.state).toBe('waiting'); // not needed for a slot yet: left alone
    // A dropped flow that comes back queues again, at the back.
    expect(await admission.admit(input(4))).toMatchObject({ admitted: false, ticket: 7 });
  });

  it('frees the slots of flows that no longer own their tenant', async () => {
    const { admission, queue } = setup();
    for (let i = 1; i <= 3; i += 1) await admission.admit(input(i));

    const freed = await admission.releaseOrphans((entry) => Promise.resolve(entry.flowId !== 'flow-2'));

    expect(freed).toEqual(['flow-2']);
    expect(queue.held).toBe(2);
    expect(await admission.release('flow-2')).toBe(false);
  });

  it('refuses a cap that is not a positive integer', () => {
    const make = (maxConcurrentRuns: number) => () =>
      new Admission({
        queue: new MemoryAdmissionQueue(),
        repository: new FakeRepository(),
        clock: new TestClock(),
        maxConcurrentRuns,
        waitSeconds: 20,
      });
    expect(make(0)).toThrow(RangeError);
    expect(make(1.5)).toThrow(RangeError);
  });
});
