import { TERMINAL_STATUSES } from '../core/lifecycle';
import type { TenantView } from '../core/tenant';
import type { WaitOptions } from './args';
import type { Progress } from './render';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * Calls `tick` every `ms` until the returned function stops it, without keeping the process alive:
   * animates a terminal's progress between polls. Absent, progress is drawn at each poll only.
   */
  every?(ms: number, tick: () => void): () => void;
}

export interface PollRequest<T> extends WaitOptions {
  /** What the command's first request answered: the first state shown. */
  first: T;
  /** Reads the state again (GET). */
  poll: () => Promise<T>;
  /** Whether the wait is over. */
  settled: (value: T) => boolean;
  clock: Clock;
  startedAt: number;
  progress: Progress<T>;
}

export type PollResult<T> = { outcome: 'settled' | 'timeout'; value: T };

/** Polls until `settled` holds or the timeout passes, reporting every state it sees. */
export async function pollUntil<T>(req: PollRequest<T>): Promise<PollResult<T>> {
  const { clock, progress } = req;
  let value = req.first;
  try {
    progress.update(value);
    while (!req.settled(value)) {
      const remaining = req.startedAt + req.timeoutMs - clock.now();
      if (remaining <= 0) return { outcome: 'timeout', value };
      await clock.sleep(Math.min(req.intervalMs, remaining));
      value = await req.poll();
      progress.update(value);
    }
    return { outcome: 'settled', value };
  } finally {
    progress.finish(value);
  }
}

export type WaitRequest = Omit<PollRequest<TenantView>, 'settled'>;

export type WaitResult = { outcome: 'settled' | 'timeout'; tenant: TenantView };

export function isTerminal(tenant: TenantView): boolean {
  return TERMINAL_STATUSES.includes(tenant.status);
}

/**
 * Polls until the tenant reaches a terminal status (ready, failed, deleted) or the timeout passes,
 * reporting every state it sees. Deleted tenants keep their row, so a delete also ends on a status.
 */
export async function waitForTerminal(req: WaitRequest): Promise<WaitResult> {
  const { outcome, value } = await pollUntil({ ...req, settled: isTerminal });
  return { outcome, tenant: value };
}
