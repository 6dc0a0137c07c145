import { AdmitInputSchema, type AdmissionRef, type AdmitRequest } from '../core/flow-state';
import type { AdmissionEntry, AdmissionQueue, Clock, TenantRepository } from '../core/ports';

export interface AdmissionDeps {
  queue: AdmissionQueue;
  repository: Pick<TenantRepository, 'claimFlow' | 'recordProgress'>;
  clock: Clock;
  /** Runs in flight at once for the whole organization, all flows together. */
  maxConcurrentRuns: number;
  /** Seconds between two admission attempts of a waiting flow. */
  waitSeconds: number;
  /**
   * A waiting flow that has not asked for this long is taken out of the queue, so a flow whose execution
   * died can never hold the queue's head. @default max(2 × MAX_WAIT_MULTIPLE × waitSeconds, 120)
   */
  staleAfterSeconds?: number;
}

/** A flow far back in the queue asks at most this many times less often than one at its head. */
export const MAX_WAIT_MULTIPLE = 4;
/** Most queue entries read per ask: enough to place a flow up to `MAX_WAIT_MULTIPLE` rounds back. */
const HEAD_READ = 100;

/**
 * Seconds until a waiting flow asks again. A flow with `ahead` flows before it cannot be admitted before
 * about `ahead / cap` rounds of slots have been freed, so it asks once per round it is behind (at most
 * `MAX_WAIT_MULTIPLE` rounds): the queue's head asks every `waitSeconds`, as before, and a queue of
 * hundreds costs a few asks a second instead of one per flow per interval. A flow admitted by someone
 * else's ask is always among the first `cap` of the queue, so it learns of its slot within one interval.
 */
export function askAgainIn(waitSeconds: number, ahead: number, cap: number): number {
  const rounds = Math.floor(Math.max(0, ahead) / Math.max(1, cap));
  return waitSeconds * Math.min(MAX_WAIT_MULTIPLE, 1 + rounds);
}

/**
 * Admission control: at most `maxConcurrentRuns` flows hold a run slot at once; the others wait in the
 * control plane, in the order they arrived (FIFO), instead of piling up `pending` runs in Terraform Cloud.
 *
 * A flow asks at its start (the `Admit` state) and, while it waits, again (see `askAgainIn`). Whoever
 * asks fills every free slot from the head of the queue, head first, one conditional write each, so the
 * slots go out strictly in ticket order whichever waiting flow happens to ask; a flow learns it was
 * admitted on its next ask. The slot is the flow's until Check sees its run over or Finalize runs (or
 * the reconciler, for a flow that was lost). Everything is keyed by flowId: a retried task or a second execution of the same
 * flow finds its ticket or slot instead of taking another.
 */
export class Admission {
  private readonly staleAfterMs: number;

  public constructor(private readonly deps: AdmissionDeps) {
    if (!Number.isInteger(deps.maxConcurrentRuns) || deps.maxConcurrentRuns < 1) {
      throw new RangeError('maxConcurrentRuns must be a positive integer');
    }
    // Twice the longest ask interval: a flow far back in the queue is never taken for a dead one.
    this.staleAfterMs =
      (deps.staleAfterSeconds ?? Math.max(2 * MAX_WAIT_MULTIPLE * deps.waitSeconds, 120)) * 1000;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  public async admit(request: AdmitRequest): Promise<AdmissionRef> {
    const input = AdmitInputSchema.parse(request);
    const code = input.tenantCode;
    const waitSeconds = this.deps.waitSeconds;
    const { claimed } = await this.deps.repository.claimFlow(code, input.flowId, input.executionId);
    if (!claimed) return { duplicate: true, admitted: false, waitSeconds };

    const now = this.now();
    let entry = await this.deps.queue.get(input.flowId);
    // Released: the flow's run is already over; this is a late retry, which needs no slot.
    if (entry?.state === 'released') return { duplicate: false, admitted: true, waitSeconds };
    if (entry?.state === 'admitted') {
      // Admitted by another flow's ask while this one waited: the tenant no longer shows as queued.
      await this.deps.repository.recordProgress(code, input.flowId, { queuedAt: null }, now);
      return { duplicate: false, admitted: true, waitSeconds };
    }
    const joined = !entry || entry.state === 'dropped';
    if (!entry || entry.state === 'dropped') entry = await this.deps.queue.enqueue(input.flowId, code, now);
    else await this.deps.queue.heartbeat(entry, now);

    const waiting = await this.fillSlots(input.flowId);

    const after = (await this.deps.queue.get(input.flowId)) ?? entry;
    if (after.state === 'admitted' || after.state === 'released') {
      // Admitted on a later ask: the tenant no longer shows as queued.
      if (!joined)
        await this.deps.repository.recordProgress(code, input.flowId, { queuedAt: null }, this.now());
      return { duplicate: false, admitted: true, waitSeconds };
    }
    if (joined) {
      await this.deps.repository.recordProgress(code, input.flowId, { queuedAt: after.enqueuedAt }, now);
    }
    // Flows still waiting before this one (the head read before the slots were filled, less those admitted).
    const position = waiting.findIndex((w) => w.flowId === input.flowId);
    const ahead = position === -1 ? waiting.length : position;
    const askIn = askAgainIn(waitSeconds, ahead, this.deps.maxConcurrentRuns);
    return { duplicate: false, admitted: false, waitSeconds: askIn, ticket: after.ticket };
  }

  /** Frees the flow's slot (or its place in the queue). Harmless when it holds neither. */
  public async release(flowId: string): Promise<boolean> {
    return this.deps.queue.release(flowId, this.now());
  }

  /**
   * Frees the slots of flows that can no longer free them themselves: `isLive` says whether the flow still
   * owns its tenant (the row carries its flowId in an in-progress status). Returns the flowIds freed.
   */
  public async releaseOrphans(isLive: (entry: AdmissionEntry) => Promise<boolean>): Promise<string[]> {
    const freed: string[] = [];
    for (const entry of await this.deps.queue.holders()) {
      if (await isLive(entry)) continue;
      if (await this.deps.queue.release(entry.flowId, this.now())) freed.push(entry.flowId);
    }
    return freed;
  }

  /**
   * Admits waiting flows from the head of the queue while slots are free, skipping stale ones. Returns the
   * head of the queue that is still waiting after that (at most `HEAD_READ` entries, in ticket order).
   */
  private async fillSlots(self: string): Promise<AdmissionEntry[]> {
    const cap = this.deps.maxConcurrentRuns;
    const { held, waiting } = await this.deps.queue.head(Math.min(cap * MAX_WAIT_MULTIPLE, HEAD_READ));
    let free = cap - held;
    const nowMs = this.deps.clock.now().getTime();
    const left: AdmissionEntry[] = [];
    for (const entry of waiting) {
      if (free <= 0) {
        left.push(entry);
        continue;
      }
      if (entry.flowId !== self && nowMs - Date.parse(entry.lastSeenAt) > this.staleAfterMs) {
        await this.deps.queue.drop(entry);
        continue;
      }
      const result = await this.deps.queue.admit(entry, cap, this.now());
      if (result === 'full') {
        free = 0;
        left.push(entry);
        continue;
      }
      // 'gone': another flow admitted it (or it left) meanwhile; either way, one slot fewer to count on.
      free -= 1;
    }
    return left;
  }
}
