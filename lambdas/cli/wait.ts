import { TERMINAL_STATUSES } from '../core/lifecycle';
import type { TenantView } from '../core/tenant';
import type { WaitOptions } from './args';
import type { Progress } from './render';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface WaitRequest extends WaitOptions {
  /** What the write answered: the first state shown. */
  first: TenantView;
  /** Reads the tenant again (GET). */
  poll: () => Promise<TenantView>;
  clock: Clock;
  startedAt: number;
  progress: Progress;
}

export type WaitResult = { outcome: 'settled' | 'timeout'; tenant: TenantView };

export function isTerminal(tenant: TenantView): boolean {
  return TERMINAL_STATUSES.includes(tenant.status);
}

/**
 * Polls until the tenant reaches a terminal status (ready, failed, deleted) or the timeout passes,
 * reporting every state it sees. Deleted tenants keep their row, so a delete also ends on a status.
 */
export async function waitForTerminal(req: WaitRequest): Promise<WaitResult> {
  const { clock, progress } = req;
  let tenant = req.first;
  try {
    progress.update(tenant);
    while (!isTerminal(tenant)) {
      const remaining = req.startedAt + req.timeoutMs - clock.now();
      if (remaining <= 0) return { outcome: 'timeout', tenant };
      await clock.sleep(Math.min(req.intervalMs, remaining));
      tenant = await req.poll();
      progress.update(tenant);
    }
    return { outcome: 'settled', tenant };
  } finally {
    progress.finish(tenant);
  }
}
